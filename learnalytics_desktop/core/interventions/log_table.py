"""The intervention log of one course as a table: the raw values with the words people read
next to them (rule label, channel, status and arm in words, placeholders still in the text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from learnalytics_desktop.core.interventions.templates import placeholders_left
from learnalytics_desktop.core.interventions.words import ARM_TEXT, CHANNEL_TEXT, REVIEW_STATUSES, STATUS_TEXT

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

    import pandas as pd

TABLE_COLUMNS = [
    "id",
    "student",
    "name",
    "to",
    "actor",
    "rule",
    "rule_label",
    "channel",
    "channel_text",
    "subject",
    "body",
    "status",
    "status_text",
    "arm",
    "arm_text",
    "date",
    "created_at",
    "risk",
    "batch",
    "user",
    "placeholders",
]


def _rule_labels(conn: sqlite3.Connection) -> dict[str, str]:
    from learnalytics_desktop.core.interventions.rules import RulesError, default_rules, load_rules

    try:
        rules = load_rules(conn)
    except RulesError:
        rules = default_rules()
    labels = {r.key: r.label for r in default_rules().rules}
    labels.update({r.key: r.label for r in rules.rules})
    labels["external"] = "Done outside the app"
    return labels


def _name(person: object, label: object) -> str:
    full = getattr(person, "full_name", None)
    return str(full) if full else str(label)


def _to(person: object) -> str:
    """The To: line of a student's message ("Ana Silva <ana@uni.example>"), "" without an address."""
    email = getattr(person, "email", None)
    if not email:
        return ""
    full = getattr(person, "full_name", None)
    return f"{full} <{email}>" if full else str(email)


def interventions_table(conn: sqlite3.Connection, course_id: int) -> pd.DataFrame:
    """Every intervention of the course (oldest first) with the columns :data:`TABLE_COLUMNS`.

    ``name`` is the student's name (``core.people``; the label when none is known) and ``to``
    the address a student's message goes to ("" when unknown, and for instructor alerts).
    ``date`` is the day of the data the draft was made from (the as-of date); ``created_at``
    when it was actually drafted (UTC, ISO). ``placeholders`` lists the ``{names}`` still in the text of draft and approved rows
    (empty for the others); ``risk`` is the risk score stored when the row was drafted.
    """
    import pandas as pd

    from learnalytics_desktop.core.interventions.review import list_interventions
    from learnalytics_desktop.core.people import people

    frame = list_interventions(conn, int(course_id))
    labels = _rule_labels(conn)
    who = people(conn, [int(a) for a in frame["actor"]])
    out = pd.DataFrame(
        {
            "id": frame["id"].astype("int64"),
            "student": frame["student"].astype(str),
            "name": [
                _name(who.get(int(a)), lab) for a, lab in zip(frame["actor"], frame["student"], strict=True)
            ],
            "to": [
                "" if ch == "instructor_alert" else _to(who.get(int(a)))
                for a, ch in zip(frame["actor"], frame["channel"], strict=True)
            ],
            "actor": frame["actor"].astype("int64"),
            "rule": frame["rule"].astype(str),
            "rule_label": [labels.get(r, r) for r in frame["rule"]],
            "channel": frame["channel"].astype(str),
            "channel_text": [CHANNEL_TEXT.get(c, c) for c in frame["channel"]],
            "subject": frame["subject"].fillna("").astype(str),
            "body": frame["body"].fillna("").astype(str),
            "status": frame["status"].astype(str),
            "status_text": [STATUS_TEXT.get(s, s) for s in frame["status"]],
            "arm": frame["arm"].astype(str),
            "arm_text": [ARM_TEXT.get(a, a) for a in frame["arm"]],
            "date": frame["date"].astype(str),
            "created_at": frame["created_at"].astype(str),
            "risk": pd.to_numeric(frame["risk"], errors="coerce").astype("float64"),
            "batch": frame["batch"].fillna("").astype(str),
            "user": frame["user"].astype(str),
            "placeholders": [
                placeholders_left(s, b) if st in REVIEW_STATUSES else []
                for s, b, st in zip(frame["subject"], frame["body"], frame["status"], strict=True)
            ],
        },
        columns=TABLE_COLUMNS,
    )
    return out


def status_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Rows per status (every status of :data:`STATUS_TEXT`, zeros included)."""
    counts = {s: 0 for s in STATUS_TEXT}
    for s, n in frame["status"].value_counts().items():
        counts[str(s)] = int(n)
    return counts


__all__ = ["TABLE_COLUMNS", "interventions_table", "status_counts"]
