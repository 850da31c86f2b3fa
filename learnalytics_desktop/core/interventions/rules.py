"""Intervention rules: which features, over which thresholds, suggest which message.

The defaults follow the seed design's ``InterventionEngine``: over 7 days without activity
suggests a re-engagement e-mail, video completion under 30% a content recommendation, a quiz
score trend under -0.1 an alert to the instructor, and only students whose risk score is at
least the risk threshold (0.6) get suggestions at all. Unlike the seed, the rules are data:
the advisor edits thresholds and templates, :meth:`RuleSet.validate` checks them, and they
are kept per database in the ``settings`` table under :data:`SETTINGS_KEY` (JSON with a
``version`` so later releases can migrate them).

The default message texts are our own and make no claims about effects (the seed's "students
who watch the videos score 25% higher" is not something we can back up).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.interventions.templates import TemplateError, check_template

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

SETTINGS_KEY = "intervention_rules"
RULES_VERSION = 1
OPERATORS = {
    ">": lambda v, t: v > t,
    ">=": lambda v, t: v >= t,
    "<": lambda v, t: v < t,
    "<=": lambda v, t: v <= t,
}
CHANNELS = ("email", "content", "instructor_alert")
"""Channels a rule can use; ``instructor_alert`` messages go to the instructor, the others to the student."""

FRACTION_FEATURES = {"video_completion_rate"}


class RulesError(ValueError):
    """The rules cannot be saved or loaded; the message names the rule and field."""


@dataclass(frozen=True)
class Rule:
    """One rule: ``feature op threshold`` suggests a message on ``channel``."""

    key: str
    label: str
    feature: str
    op: str
    threshold: float
    channel: str
    subject: str
    body: str
    enabled: bool = True

    def applies(self, features: Mapping[str, Any]) -> bool | None:
        """True/False, or None when the student has no value for the feature."""
        value = features.get(self.feature)
        if value is None:
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        if math.isnan(number):
            return None
        return bool(OPERATORS[self.op](number, self.threshold))

    def describe(self) -> str:
        """Plain text such as ``days_since_last_activity > 7``."""
        return f"{self.feature} {self.op} {self.threshold:g}"


@dataclass(frozen=True)
class RuleSet:
    """All rules plus the risk gate, the advisor's name and the instructor's address."""

    rules: tuple[Rule, ...]
    risk_threshold: float = 0.6
    advisor: str = ""
    instructor_email: str = ""
    version: int = RULES_VERSION

    def rule(self, key: str) -> Rule:
        """The rule with this key (KeyError naming it otherwise)."""
        for r in self.rules:
            if r.key == key:
                return r
        raise KeyError(f"There is no intervention rule called {key!r}.")

    def passes_gate(self, risk: float | None) -> bool | None:
        """True when ``risk >= risk_threshold``; None when the risk is unknown."""
        if risk is None or (isinstance(risk, float) and math.isnan(risk)):
            return None
        return float(risk) >= self.risk_threshold

    def matching(self, features: Mapping[str, Any]) -> tuple[list[Rule], list[Rule]]:
        """(enabled rules that apply, enabled rules that could not be evaluated)."""
        hits, unknown = [], []
        for r in self.rules:
            if not r.enabled:
                continue
            ok = r.applies(features)
            if ok is None:
                unknown.append(r)
            elif ok:
                hits.append(r)
        return hits, unknown

    def validate(self) -> None:
        """Raise :class:`RulesError` with a plain message for the first problem found."""
        if not isinstance(self.risk_threshold, (int, float)) or not 0.0 <= float(self.risk_threshold) <= 1.0:
            raise RulesError(f"The risk threshold must be a number from 0 to 1, not {self.risk_threshold!r}.")
        for name, text, limit in (
            ("advisor name", self.advisor, 200),
            ("instructor e-mail", self.instructor_email, 320),
        ):
            if not isinstance(text, str) or len(text) > limit or any(c in text for c in "\r\n\0"):
                raise RulesError(f"The {name} must be one line of at most {limit} characters.")
        if self.instructor_email and (
            "@" not in self.instructor_email or " " in self.instructor_email.strip()
        ):
            raise RulesError(f"The instructor e-mail {self.instructor_email!r} is not an address.")
        seen: set[str] = set()
        for i, r in enumerate(self.rules, start=1):
            where = f"rule {i} ({r.key or 'no key'})"
            if not r.key or not r.key.replace("_", "").isalnum():
                raise RulesError(f"The key of {where} must be letters, digits and underscores.")
            if r.key in seen:
                raise RulesError(f"Two rules share the key {r.key!r}.")
            seen.add(r.key)
            if not r.label.strip():
                raise RulesError(f"{where.capitalize()} needs a label.")
            if not r.feature or not r.feature.isidentifier():
                raise RulesError(
                    f"{where.capitalize()} needs a feature name such as days_since_last_activity."
                )
            if r.op not in OPERATORS:
                raise RulesError(
                    f"{where.capitalize()}: the comparison must be one of {', '.join(OPERATORS)}, not {r.op!r}."
                )
            if (
                isinstance(r.threshold, bool)
                or not isinstance(r.threshold, (int, float))
                or not math.isfinite(r.threshold)
            ):
                raise RulesError(
                    f"{where.capitalize()}: the threshold must be a finite number, not {r.threshold!r}."
                )
            if r.feature in FRACTION_FEATURES and not 0.0 <= r.threshold <= 1.0:
                raise RulesError(
                    f"{where.capitalize()}: {r.feature} is a fraction from 0 to 1 (30% is 0.3), "
                    f"so the threshold {r.threshold:g} can never be meaningful."
                )
            if r.channel not in CHANNELS:
                raise RulesError(
                    f"{where.capitalize()}: the channel must be one of {', '.join(CHANNELS)}, not {r.channel!r}."
                )
            if any(c in r.subject for c in "\r\n"):
                raise RulesError(f"{where.capitalize()}: the subject must be a single line.")
            try:
                check_template(r.subject, where=f"subject of {where}")
                check_template(r.body, where=f"message of {where}")
            except TemplateError as exc:
                raise RulesError(str(exc)) from exc

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (what :func:`save_rules` stores)."""
        d = asdict(self)
        d["rules"] = [asdict(r) for r in self.rules]
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSet:
        """Build (and validate) a rule set from :meth:`to_dict` output."""
        if not isinstance(data, Mapping):
            raise RulesError("The saved intervention rules are not a JSON object.")
        version = data.get("version", RULES_VERSION)
        if not isinstance(version, int) or version > RULES_VERSION:
            raise RulesError(f"The intervention rules were saved by a newer version (format {version!r}).")
        raw_rules = data.get("rules")
        if not isinstance(raw_rules, list):
            raise RulesError("The intervention rules have no list of rules.")
        rules = []
        names = {f.name for f in Rule.__dataclass_fields__.values()}
        for i, raw in enumerate(raw_rules, start=1):
            if not isinstance(raw, Mapping):
                raise RulesError(f"Rule {i} is not a JSON object.")
            unknown = set(raw) - names
            missing = {"key", "label", "feature", "op", "threshold", "channel", "subject", "body"} - set(raw)
            if unknown or missing:
                raise RulesError(
                    f"Rule {i}: unknown fields {sorted(unknown)}; missing fields {sorted(missing)}."
                )
            rules.append(Rule(**{k: raw[k] for k in raw}))
        out = cls(
            rules=tuple(rules),
            risk_threshold=data.get("risk_threshold", 0.6),
            advisor=data.get("advisor", ""),
            instructor_email=data.get("instructor_email", ""),
            version=RULES_VERSION,
        )
        out.validate()
        return out

    def with_rule(self, rule: Rule) -> RuleSet:
        """A copy with ``rule`` replacing the rule with the same key (or appended)."""
        rules = [rule if r.key == rule.key else r for r in self.rules]
        if all(r.key != rule.key for r in self.rules):
            rules.append(rule)
        return replace(self, rules=tuple(rules))


DEFAULT_RULES = RuleSet(
    rules=(
        Rule(
            key="re_engagement",
            label="Re-engagement e-mail",
            feature="days_since_last_activity",
            op=">",
            threshold=7.0,
            channel="email",
            subject="Checking in about {course}",
            body=(
                "Dear {first_name},\n\n"
                "I noticed that you have not been active in {course} for {days_inactive} days. "
                "Getting back in now is much easier than later, and I am happy to help you plan "
                "how to catch up.\n\n"
                "If something is getting in the way, just reply to this message and we can talk "
                "it through.\n\n"
                "Best wishes,\n{advisor}"
            ),
        ),
        Rule(
            key="video_reminder",
            label="Content recommendation",
            feature="video_completion_rate",
            op="<",
            threshold=0.3,
            channel="content",
            subject="The lecture videos in {course}",
            body=(
                "Dear {first_name},\n\n"
                "So far you have watched {video_completion} of the lecture videos in {course}. "
                "The videos cover what the quizzes and assignments ask about, so catching up on "
                "the ones you missed is a good use of your next study session.\n\n"
                "Best wishes,\n{advisor}"
            ),
        ),
        Rule(
            key="declining_performance",
            label="Instructor alert",
            feature="quiz_score_trend",
            op="<",
            threshold=-0.1,
            channel="instructor_alert",
            subject="Falling quiz scores: {name} in {course}",
            body=(
                "{name}'s quiz scores in {course} have been falling (trend {quiz_trend} per quiz).\n"
                "Risk score: {risk} ({risk_level}).\n"
                "Reasons given by the model: {reasons}.\n\n"
                "You may want to reach out to them.\n\n{advisor}"
            ),
        ),
    ),
    risk_threshold=0.6,
)


def default_rules() -> RuleSet:
    """The built-in rules (a fresh copy; RuleSet is immutable anyway)."""
    return replace(DEFAULT_RULES, rules=tuple(DEFAULT_RULES.rules))


def load_rules(conn: sqlite3.Connection) -> RuleSet:
    """The database's rules, or the defaults when none were saved.

    Raises :class:`RulesError` if the saved rules are damaged (the editor then offers the
    defaults; they are never replaced silently).
    """
    from learnalytics_desktop.core.store.db import get_setting

    data = get_setting(conn, SETTINGS_KEY)
    if data is None:
        return default_rules()
    return RuleSet.from_dict(data)


def save_rules(conn: sqlite3.Connection, rules: RuleSet) -> None:
    """Validate and save the rules (and note the change in the audit log)."""
    from learnalytics_desktop.core.store.db import audit, set_setting, transaction

    rules.validate()
    with transaction(conn):
        set_setting(conn, SETTINGS_KEY, rules.to_dict())
        audit(
            conn,
            "intervention_rules",
            rules=[r.key for r in rules.rules],
            risk_threshold=rules.risk_threshold,
        )


__all__ = [
    "CHANNELS",
    "DEFAULT_RULES",
    "OPERATORS",
    "SETTINGS_KEY",
    "Rule",
    "RuleSet",
    "RulesError",
    "default_rules",
    "load_rules",
    "save_rules",
]
