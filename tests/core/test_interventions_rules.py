"""Templates (safe placeholders), rules (validation, persistence) and the hold-out draw."""

from __future__ import annotations

import pytest

from learnalytics_desktop.core.interventions import (
    DEFAULT_RULES,
    HOLDOUT_EXPLANATION,
    Rule,
    RulesError,
    RuleSet,
    TemplateError,
    check_template,
    default_rules,
    draw_holdout,
    load_rules,
    render,
    save_rules,
)
from learnalytics_desktop.core.interventions.rules import SETTINGS_KEY
from learnalytics_desktop.core.store import get_setting

# --- templates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("{0.__class__}", "attribute or index"),
        ("{0}", "without a name"),
        ("{name.__class__.__init__.__globals__}", "attribute or index"),
        ("{name[0]}", "attribute or index"),
        ("{name!r}", "conversion"),
        ("{name:>999999999}", "format"),
        ("Hello {nickname}", "unknown placeholder {nickname}"),
        ("Hello {", "do not balance"),
        ("Hello }", "do not balance"),
        ("{}", "without a name"),
        ("x" * 20_001, "limit"),
    ],
)
def test_check_template_refuses(text, fragment):
    with pytest.raises(TemplateError, match=None) as info:
        check_template(text, where="subject")
    assert fragment in str(info.value)


def test_check_template_accepts_known_names_and_literal_braces():
    assert check_template("Dear {first_name}, {{not a field}} in {course}") == ["first_name", "course"]


def test_render_substitutes_without_evaluating():
    values = {"first_name": "Ada", "course": "{name} 101", "name": "Ada L"}
    out = render("Dear {first_name}, {course}; {{literal}}; {0.__class__}; {name!r}; {advisor}", values)
    # values are inserted verbatim (not re-expanded), dangerous fields stay as text, unknown stay visible
    assert out == "Dear Ada, {name} 101; {literal}; {0.__class__}; {name!r}; {advisor}"


def test_render_keeps_unbalanced_text():
    assert render("broken {", {"name": "x"}) == "broken {"


# --- rules -------------------------------------------------------------------------------


def test_default_rules_follow_the_seed_and_validate():
    rules = default_rules()
    rules.validate()
    assert rules.risk_threshold == 0.6
    got = {r.key: (r.feature, r.op, r.threshold, r.channel) for r in rules.rules}
    assert got == {
        "re_engagement": ("days_since_last_activity", ">", 7.0, "email"),
        "video_reminder": ("video_completion_rate", "<", 0.3, "content"),
        "declining_performance": ("quiz_score_trend", "<", -0.1, "instructor_alert"),
    }


def test_rule_matching_and_missing_features():
    rules = default_rules()
    hits, unknown = rules.matching(
        {"days_since_last_activity": 8, "video_completion_rate": 0.3, "quiz_score_trend": None}
    )
    assert [r.key for r in hits] == ["re_engagement"]  # 0.3 is not < 0.3
    assert [r.key for r in unknown] == ["declining_performance"]
    assert (
        rules.passes_gate(0.6) is True
        and rules.passes_gate(0.59) is False
        and rules.passes_gate(None) is None
    )


def test_rules_round_trip_through_settings(db):
    assert load_rules(db) == DEFAULT_RULES
    changed = RuleSet(
        rules=(
            Rule(
                "re_engagement",
                "Nudge",
                "days_since_last_activity",
                ">=",
                10,
                "email",
                "Hi {first_name}",
                "Body {course}",
            ),
        ),
        risk_threshold=0.5,
        advisor="Dr Advisor",
        instructor_email="prof@example.org",
    )
    save_rules(db, changed)
    assert get_setting(db, SETTINGS_KEY)["risk_threshold"] == 0.5
    assert load_rules(db) == changed
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'intervention_rules'").fetchone()[0] == 1


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"threshold": float("nan")}, "finite number"),
        ({"threshold": "7"}, "finite number"),
        ({"op": "=="}, "comparison must be one of"),
        ({"channel": "sms"}, "channel must be one of"),
        ({"subject": "Hi\r\nBcc: x@example.org"}, "single line"),
        ({"body": "Hello {0.__class__}"}, "attribute or index"),
        ({"body": "Hello {nickname}"}, "unknown placeholder"),
        ({"feature": "video_completion_rate", "threshold": 30}, "fraction"),
        ({"key": "bad key!"}, "letters, digits"),
        ({"feature": "1abc"}, "feature name"),
    ],
)
def test_invalid_rules_are_refused_with_the_rule_named(db, change, fragment):
    base = DEFAULT_RULES.rules[0]
    bad = (
        DEFAULT_RULES.with_rule(Rule(**{**base.__dict__, **change}))
        if "key" not in change
        else RuleSet(rules=(Rule(**{**base.__dict__, **change}),))
    )
    with pytest.raises(RulesError) as info:
        save_rules(db, bad)
    assert fragment in str(info.value)
    assert get_setting(db, SETTINGS_KEY) is None  # nothing saved


def test_rule_set_level_checks():
    with pytest.raises(RulesError, match="risk threshold"):
        RuleSet(rules=DEFAULT_RULES.rules, risk_threshold=1.5).validate()
    with pytest.raises(RulesError, match="instructor e-mail"):
        RuleSet(rules=DEFAULT_RULES.rules, instructor_email="a@b.org\r\nBcc: c@d.org").validate()
    with pytest.raises(RulesError, match="share the key"):
        RuleSet(rules=(DEFAULT_RULES.rules[0], DEFAULT_RULES.rules[0])).validate()


def test_damaged_saved_rules_are_reported(db):
    from learnalytics_desktop.core.store import set_setting

    set_setting(db, SETTINGS_KEY, {"rules": [{"key": "x"}]})
    with pytest.raises(RulesError, match="missing fields"):
        load_rules(db)
    set_setting(db, SETTINGS_KEY, {"version": 99, "rules": []})
    with pytest.raises(RulesError, match="newer version"):
        load_rules(db)


# --- hold-out ----------------------------------------------------------------------------


def test_holdout_size_and_reproducibility():
    actors = list(range(1, 101))
    a = draw_holdout(actors, 0.2, seed=42)
    b = draw_holdout(list(reversed(actors)), 0.2, seed=42)
    c = draw_holdout(actors, 0.2, seed=43)
    assert len(a.held_out) == 20
    assert a.held_out == b.held_out  # order of input does not matter
    assert a.held_out != c.held_out
    assert a.to_dict()["held_out"] == 20 and a.seed == 42


def test_holdout_known_draw_is_stable_across_versions():
    # HMAC-SHA256 ranks do not depend on Python's or numpy's random generators
    draw = draw_holdout([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.3, seed=7)
    import hashlib
    import hmac

    ranked = sorted(
        range(1, 11), key=lambda a: hmac.new(b"7", f"unknown|{a}".encode(), hashlib.sha256).digest()
    )
    assert draw.held_out == frozenset(ranked[:3])


def test_holdout_is_stratified_by_risk_level():
    strata = {a: ("high" if a <= 50 else "moderate" if a <= 80 else "low") for a in range(1, 101)}
    draw = draw_holdout(list(strata), 0.2, seed=1, strata=strata)
    held = draw.held_out
    assert sum(strata[a] == "high" for a in held) == 10
    assert sum(strata[a] == "moderate" for a in held) == 6
    assert sum(strata[a] == "low" for a in held) == 4
    assert draw.by_stratum == {"high": (50, 10), "low": (20, 4), "moderate": (30, 6)}


def test_holdout_remainders_and_limits():
    strata = {1: "a", 2: "a", 3: "b", 4: "b", 5: "c"}
    draw = draw_holdout(list(strata), 0.5, seed=3, strata=strata)
    # 5 x 0.5 = 2.5 rounds half up to 3: one from each stratum (floors 1, 1, 0; the remainder goes to c)
    assert len(draw.held_out) == 3
    assert draw.by_stratum == {"a": (2, 1), "b": (2, 1), "c": (1, 1)}
    assert draw_holdout([1], 0.5, seed=1).held_out == frozenset()  # somebody always stays treated
    assert len(draw_holdout([1, 2], 0.9, seed=1).held_out) == 1
    with pytest.raises(ValueError, match="below 1"):
        draw_holdout([1, 2], 1.0)
    with pytest.raises(ValueError, match="twice"):
        draw_holdout([1, 1, 2], 0.5, seed=1)
    assert draw_holdout([1, 2, 3], 0.4).seed >= 0  # a fresh seed is drawn and recorded


def test_holdout_explanation_is_plain_text():
    assert "only way" in HOLDOUT_EXPLANATION and "random" in HOLDOUT_EXPLANATION
    assert "<" not in HOLDOUT_EXPLANATION
