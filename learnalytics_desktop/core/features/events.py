"""The as-of event table the features are computed from: one SQL filter, then numpy arrays.

One query reads the offering's analytics statements (``v_events``: voided and voiding ones
left out) with ``ts < as_of`` through the ``(course, ts)`` index, seven numbers per
statement. Categories are decided once per (verb, activity type) pair present, with the
user's mapping (``core.ingest.categories``), and looked up by array indexing. No Python
object per event survives the fetch.

Statements whose verb means joining or leaving the course (``core.outcomes.status``) are
not events: they only give each student's registration time (``Events.reg_ms``).

Verb sets used by the features (IRIs matched whole, never by their last segment):
``FORUM_POST_VERBS`` (contributions, as opposed to reading a thread), ``SUBMIT_VERBS`` and
``COMPLETED_VERBS``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from learnalytics_desktop.core.courses import course_start, to_ms
from learnalytics_desktop.core.features.catalog import MAX_DURATION_MS

ADL = "http://adlnet.gov/expapi/verbs/"
TC = "http://id.tincanapi.com/verb/"
AS = "http://activitystrea.ms/schema/1.0/"
FORUM_POST_VERBS = frozenset(
    {
        ADL + "commented",
        ADL + "asked",
        ADL + "shared",
        TC + "replied",
        TC + "tweeted",
        TC + "posted",
        AS + "post",
        AS + "reply",
        AS + "share",
        AS + "create",
        "http://activitystrea.ms/post",
        "https://w3id.org/xapi/acrossx/verbs/posted",
        "https://w3id.org/xapi/adb/verbs/posted",
    }
)
SUBMIT_VERBS = frozenset(
    {
        TC + "submitted",
        AS + "submit",
        "http://activitystrea.ms/submit",
        "https://w3id.org/xapi/dod-isd/verbs/submitted",
    }
)
COMPLETED_VERBS = frozenset({ADL + "completed"})

_SCORE = """CASE WHEN score_scaled IS NOT NULL THEN score_scaled
            WHEN score_raw IS NOT NULL AND score_max IS NOT NULL AND score_max > ifnull(score_min, 0)
            THEN (score_raw - ifnull(score_min, 0)) / (score_max - ifnull(score_min, 0)) END"""
# Durations are read to the millisecond and capped at a day (see catalog.MAX_DURATION_MS).
_DUR_MS = f"min(CAST(round(duration * 1000) AS INTEGER), {MAX_DURATION_MS})"
_PLAIN = f"""SELECT actor, ts, verb, ifnull(object, 0), {_DUR_MS}, {_SCORE}, late
FROM v_events WHERE course = ? AND ts < ? ORDER BY ts"""
# The same values packed into three integers per row: (actor, ts - lo) in one; (object, verb,
# duration + 1 or 0) in another; the rare score/late pair in the third (0 when both are
# absent). Python's cost per fetched value, and per object created for it, is what limits
# the speed: three values per row, one of them nearly always the cached small int 0, make
# the fetch much faster than seven. Used when the ids and times fit (they do in any
# realistic database); the plain query otherwise.
_TS_BITS, _DUR_BITS = 42, (MAX_DURATION_MS + 1).bit_length()
_NONE, _SCORE_ABSENT, _LATE_UNIT = 0, 9_000_000_000, 10_000_000_000
_PACKED = f"""SELECT actor * {1 << _TS_BITS} + (ts - ?1),
       ((ifnull(object, 0) << ?2) + verb) * {1 << _DUR_BITS} + ifnull({_DUR_MS} + 1, 0),
       CASE WHEN late IS NULL AND ({_SCORE}) IS NULL THEN {_NONE}
            ELSE ifnull(late, 2) * {_LATE_UNIT}
                 + ifnull(CAST(round((({_SCORE}) + 2) * 1e9) AS INTEGER), {_SCORE_ABSENT})
       END
FROM v_events WHERE course = ?3 AND ts < ?4 ORDER BY ts"""
# rows per fetch: small enough that turning one chunk into arrays holds the interpreter lock
# for only a few milliseconds (the GUI thread keeps painting while a page loads)
_CHUNK = 20_000
_DENSE_MAX = 50_000_000  # ids below this are looked up in arrays indexed by id


@dataclass
class Events:
    """An offering's statements before ``as_of_ms``, sorted by (student, time).

    ``students`` are the actor ids (sorted) of everyone enrolled or with a statement before
    the as-of instant; ``sidx`` indexes into it. Arrays are aligned per event.
    """

    students: Any  # int64 actor ids
    sidx: Any  # int64
    ts: Any  # int64 UTC ms
    dur: Any  # float64 seconds, NaN when not reported
    cat: Any  # int8 index into CATEGORIES
    verb: Any  # int64 verb id
    obj: Any  # int64 activity id, 0 when the object is not an activity
    score: Any  # float64 0-1 scale (see catalog), NaN when none
    late: Any  # float64 1/0, NaN when unknown
    categories: tuple[str, ...]
    verb_iris: dict[int, str]
    start: date | None
    as_of_ms: int
    # the offering's assessment calendar (core.outcomes.assessments), one entry per item:
    # activity id (-1 when no statement names it yet), due ms (-1 = no due date), weight
    # (NaN = none) and kind ("assignment" | "quiz" | "exam")
    cal_obj: Any = None
    cal_due: Any = None
    cal_weight: Any = None
    cal_kind: tuple[str, ...] = ()
    reg_ms: Any = (
        None  # float64 per student: registration time (class list, else first joining statement), NaN unknown
    )

    @property
    def n(self) -> int:
        """Number of students."""
        return len(self.students)

    def code(self, category: str) -> int:
        """The code of a category in ``cat``."""
        return self.categories.index(category)

    def verb_mask(self, iris: frozenset[str]) -> Any:
        """Boolean per event: its verb is one of ``iris``."""
        import numpy as np

        ids = [vid for vid, iri in self.verb_iris.items() if iri in iris]
        return np.isin(self.verb, np.asarray(ids, dtype=np.int64)) if ids else np.zeros(len(self.verb), bool)


def _fetch(conn: sqlite3.Connection, course_id: int, as_of_ms: int) -> tuple[Any, Any, Any]:
    """``(actor, rows, decode)`` of the as-of statements in time order: ``decode(rows)`` gives
    ``(ts, verb, object, duration, score, late)``. ``rows`` (one array, a row per statement)
    can be filtered and reordered first, while the values are still packed."""
    import numpy as np

    lo, hi = conn.execute(
        "SELECT min(ts), max(ts) FROM statements WHERE course = ? AND ts < ?", (int(course_id), int(as_of_ms))
    ).fetchone()
    top = [
        conn.execute(f"SELECT ifnull(max(id), 0) FROM {t}").fetchone()[0]
        for t in ("actors", "verbs", "activities")
    ]
    verb_bits = max(1, int(top[1]).bit_length())
    packed = lo is not None and (
        hi - lo < 1 << _TS_BITS
        and top[0] < 1 << (63 - _TS_BITS)
        and verb_bits + int(top[2]).bit_length() + _DUR_BITS <= 63
    )
    if not packed:
        dtype = np.dtype(
            [
                ("actor", "i8"),
                ("ts", "i8"),
                ("verb", "i8"),
                ("obj", "i8"),
                ("dur", "f8"),
                ("score", "f8"),
                ("late", "f8"),
            ]
        )
        cur = conn.execute(_PLAIN, (int(course_id), int(as_of_ms)))
        parts = []
        while rows := cur.fetchmany(_CHUNK):
            parts.append(np.array(rows, dtype=dtype))
        d = np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        def plain(r: Any) -> tuple[Any, ...]:
            names = dtype.names[1:]  # type: ignore[index]
            ts, verb, obj, dur_ms, score, late = (np.ascontiguousarray(r[f]) for f in names)
            return ts, verb, obj, dur_ms / 1000.0, score, late

        return np.ascontiguousarray(d["actor"]), d, plain
    cur = conn.execute(_PACKED, (int(lo), verb_bits, int(course_id), int(as_of_ms)))
    parts = []
    while rows := cur.fetchmany(_CHUNK):
        parts.append(np.array(rows, dtype=np.int64))
    packed = np.concatenate(parts) if parts else np.zeros((0, 3), dtype=np.int64)  # all voided
    base = int(lo)

    def decode(rows: Any) -> tuple[Any, ...]:
        a, b, x = (np.ascontiguousarray(rows[:, i]) for i in range(3))
        n = len(a)
        score, late = np.full(n, np.nan), np.full(n, np.nan)
        nz = np.flatnonzero(x != _NONE)  # the few rows with a score or a late flag
        if len(nz):
            late_code, rest = np.divmod(x[nz], _LATE_UNIT)
            score[nz] = np.where(rest != _SCORE_ABSENT, (rest - 2_000_000_000) / 1e9, np.nan)
            late[nz] = np.where(late_code < 2, late_code, np.nan)
        dur_code = b & ((1 << _DUR_BITS) - 1)
        dur = (dur_code - 1) / 1000.0
        dur[dur_code == 0] = np.nan
        ov = b >> _DUR_BITS
        ts = (a & ((1 << _TS_BITS) - 1)) + base
        return ts, ov & ((1 << verb_bits) - 1), ov >> verb_bits, dur, score, late

    return packed[:, 0] >> _TS_BITS, packed, decode


def distinct(values: Any) -> tuple[Any, Any]:
    """``(sorted distinct values, position of each value among them)`` of non-negative ids:
    a lookup table when the ids are small (O(n)), else a sort."""
    import numpy as np

    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    top = int(values.max())
    if top < _DENSE_MAX:
        present = np.zeros(top + 1, dtype=bool)
        present[values] = True
        uniq = np.flatnonzero(present)
        return uniq, (np.cumsum(present) - 1)[values]
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, inverse.reshape(-1)


def _stable_order(sidx: Any) -> Any:
    """Stable argsort of student positions: LSD radix over 16-bit digits (numpy sorts 16-bit
    keys by radix, several times faster than a comparison sort of int64)."""
    import numpy as np

    order = np.argsort((sidx & 0xFFFF).astype(np.uint16), kind="stable")
    high = sidx >> 16
    if high.any():
        order = order[np.argsort(high[order].astype(np.uint16), kind="stable")]
    return order


def _categories(conn: sqlite3.Connection, verb: Any, obj: Any) -> tuple[Any, tuple[str, ...], dict[int, str]]:
    """Category code per event: the mapping applied once per (verb, activity type) present."""
    import numpy as np
    import pandas as pd

    from learnalytics_desktop.core.ingest.categories import CATEGORIES, load_mapping

    verb_iris = dict(conn.execute("SELECT id, iri FROM verbs").fetchall())
    if len(verb) == 0:
        return np.zeros(0, dtype=np.int8), tuple(CATEGORIES), verb_iris
    acts = conn.execute("SELECT id, type_iri FROM activities WHERE type_iri IS NOT NULL").fetchall()
    types = sorted({t for _, t in acts})
    tcode_of = {t: i + 1 for i, t in enumerate(types)}  # 0 = no type
    typed = np.asarray([a for a, _ in acts], dtype=np.int64)
    codes_of = np.asarray([tcode_of[t] for _, t in acts], dtype=np.int64)
    top = int(max(typed.max(initial=0), obj.max(initial=0)))
    if top < _DENSE_MAX:  # type code per activity id, by table lookup
        act_type = np.zeros(top + 1, dtype=np.int64)
        act_type[typed] = codes_of
        tcode = act_type[obj]
    elif len(typed) == 0:
        tcode = np.zeros(len(obj), dtype=np.int64)
    else:  # ids too large for a table: binary search
        order = np.argsort(typed)
        typed, codes_of = typed[order], codes_of[order]
        pos = np.minimum(np.searchsorted(typed, obj), len(typed) - 1)
        tcode = np.where(typed[pos] == obj, codes_of[pos], 0)
    vids, vpos = distinct(verb)
    tids, tpos = distinct(tcode)
    vv, tt = np.meshgrid(vids, tids, indexing="ij")
    type_names = [None, *types]
    cats = load_mapping(conn).categorize(
        pd.Series([verb_iris.get(int(v)) for v in vv.ravel()], dtype=object),
        pd.Series([type_names[int(t)] for t in tt.ravel()], dtype=object),
    )
    codes = np.asarray(pd.Categorical(cats, categories=list(CATEGORIES)).codes, dtype=np.int8)
    table = codes.reshape(len(vids), len(tids))
    return table[vpos, tpos], tuple(CATEGORIES), verb_iris


def load_events(
    conn: sqlite3.Connection, course_id: int, as_of: datetime, start: date | None = None
) -> Events:
    """The statements of offering ``course_id`` strictly before ``as_of`` (see the module docstring)."""
    import numpy as np

    as_of_ms = to_ms(as_of)
    if start is None:  # the user's date, else what the data before as_of says (never look ahead)
        start = course_start(conn, course_id, before=as_of)
    actor, rows, decode = _fetch(conn, course_id, as_of_ms)
    groups = np.asarray(
        [r[0] for r in conn.execute("SELECT id FROM actors WHERE kind = 'group'")], dtype=np.int64
    )
    if len(groups) and len(actor):
        keep = ~np.isin(actor, groups)
        actor, rows = actor[keep], rows[keep]
    enrolled = np.asarray(
        [
            r[0]
            for r in conn.execute(
                "SELECT e.actor FROM enrolments e JOIN actors a ON a.id = e.actor WHERE e.course = ? AND a.kind != 'group'",
                (int(course_id),),
            )
        ],
        dtype=np.int64,
    )
    top = int(max(actor.max(initial=0), enrolled.max(initial=0)))
    if top < _DENSE_MAX:  # a lookup table: O(n)
        present = np.zeros(top + 1, dtype=bool)
        present[actor] = True
        present[enrolled] = True
        students = np.flatnonzero(present).astype(np.int64)
        position = np.zeros(top + 1, dtype=np.int64)
        position[students] = np.arange(len(students))
        sidx = position[actor]
    else:  # ids too large for a table
        students = np.union1d(enrolled, np.unique(actor))
        sidx = np.searchsorted(students, actor)
    order = _stable_order(sidx)  # rows come in time order; keep it within a student
    sidx = sidx[order]
    ts, verb, obj, dur, score, late = decode(rows[order])
    # joining/leaving the course is enrolment, not learning: those statements only give the
    # registration time (core.outcomes.status has the verbs and the withdrawal)
    reg_ms = _registration_ms(conn, course_id, students)
    join_ids, leave_ids = _enrolment_verbs(conn)
    if (join_ids or leave_ids) and len(verb):
        joins = np.isin(verb, np.asarray(join_ids, dtype=np.int64))
        if joins.any():
            first = np.full(len(students), np.inf)
            np.minimum.at(first, sidx[joins], ts[joins].astype(np.float64))
            reg_ms = np.where(np.isnan(reg_ms) & np.isfinite(first), first, reg_ms)
        keep = ~(joins | np.isin(verb, np.asarray(leave_ids, dtype=np.int64)))
        sidx, ts, verb, obj, dur, score, late = (a[keep] for a in (sidx, ts, verb, obj, dur, score, late))
    cat, categories, verb_iris = _categories(conn, verb, obj)
    cal = conn.execute(
        "SELECT coalesce(c.activity, (SELECT a.id FROM activities a WHERE a.iri = c.key), -1), "
        "ifnull(c.due_ms, -1), c.weight, c.kind FROM assessments c WHERE c.course = ? ORDER BY c.id",
        (int(course_id),),
    ).fetchall()
    return Events(
        cal_obj=np.asarray([r[0] for r in cal], dtype=np.int64),
        cal_due=np.asarray([r[1] for r in cal], dtype=np.int64),
        cal_weight=np.asarray([np.nan if r[2] is None else float(r[2]) for r in cal], dtype=np.float64),
        cal_kind=tuple(str(r[3]) for r in cal),
        students=students,
        sidx=sidx,
        ts=ts,
        dur=dur,
        cat=cat,
        verb=verb,
        obj=obj,
        score=score,
        late=late,
        categories=categories,
        verb_iris=verb_iris,
        start=start,
        as_of_ms=as_of_ms,
        reg_ms=reg_ms,
    )


def _enrolment_verbs(conn: sqlite3.Connection) -> tuple[list[int], list[int]]:
    """Verb ids (in this database) of the joining and the leaving verbs."""
    from learnalytics_desktop.core.outcomes.status import load_enrolment_verbs

    verbs = load_enrolment_verbs(conn)
    ids = dict(conn.execute("SELECT iri, id FROM verbs").fetchall()) if (verbs.join or verbs.leave) else {}
    return [ids[i] for i in verbs.join if i in ids], [ids[i] for i in verbs.leave if i in ids]


def _registration_ms(conn: sqlite3.Connection, course_id: int, students: Any) -> Any:
    """The class list's registration time per student (NaN when not given)."""
    import numpy as np

    out = np.full(len(students), np.nan)
    rows = conn.execute(
        "SELECT actor, registered_ms FROM enrolments WHERE course = ? AND registered_ms IS NOT NULL",
        (int(course_id),),
    ).fetchall()
    if rows and len(students):
        a = np.asarray([r[0] for r in rows], dtype=np.int64)
        v = np.asarray([r[1] for r in rows], dtype=np.float64)
        pos = np.minimum(np.searchsorted(students, a), len(students) - 1)
        hit = students[pos] == a
        out[pos[hit]] = v[hit]
    return out
