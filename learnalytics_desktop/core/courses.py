"""Course offerings and their calendars: start date, weeks, and "as of week k".

An offering is a row of ``courses`` (found by the importer from a context activity of the
course type). Its calendar:

* **Start date.** The date the user set (``courses.start_date``), else one found from the
  data: the Monday on or before the UTC date of the offering's 5th-percentile statement
  time, statements whose verb means joining or leaving the course left out (registrations
  often come months before teaching; ``core.outcomes.status`` lists the verbs). When most
  activity still begins weeks after that start, ``Course.warnings`` says so
  (:func:`late_start_warning`). The percentile rather than the first statement, so a handful of early statements
  (a teacher trying the course out, a clock set wrong) do not move the start by weeks;
  a Monday, because teaching weeks start on one and "week 3" should mean the same days
  to everybody. (The percentiles are read from the (course, ts, ...) index over all stored
  statements, the rare voided ones included, so they cost nothing on millions of rows.)
* **Weeks.** The number the user set, else the whole weeks from the start to the
  99th-percentile statement time (at least 1); for an offering still running this is the
  number of weeks so far.
* **As of week k** is the instant ``start + 7k days`` at 00:00 UTC, exclusive: everything
  strictly before it counts, so weeks 1..k are complete (``Course.as_of_week``).
  ``Course.week_of(t)`` is the week a time falls in (week 1 = the first seven days; times
  before the start give 0 or less).
* **Students**: the distinct people enrolled (roster/outcomes) or with at least one
  statement in the offering (groups are not students). **Statements** counts analytics
  statements (voided and voiding statements left out).

**Speed on millions of statements (schema 2).** The counts, first/last times and distinct
students come from one pass over the covering index ``statements_course_cover`` (course, ts,
voided, is_voiding, actor), never the table's rows; the percentiles from the same index.
Measured on a 10,000,000-statement term (80 offerings, 2 cores): ``list_courses`` 58.6 s ->
about 5 s, ``get_course`` of the biggest offering (1.3 M statements) 7.3 s -> 0.6 s. Cost of
the index: building it when an existing database is upgraded, about 20 s on that term (+11 %
file size, on top of the backup copy every upgrade makes), and no measurable change in
import speed (it replaces the (course, ts) index; inserts of 1 M rows timed within noise).
A per-course statistics table refreshed after every import would make the list instant, but
every writer (import, voiding, erasure, tests building rows by hand) would have to keep it
right; the index is always right, so it was chosen. What is left (a pass over each
offering's index entries, ~0.4 µs each) is what to cache if the list must get faster.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from learnalytics_desktop.core.ingest.xapi.timestamps import MAX_TS_MS, MIN_TS_MS

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
MAX_WEEKS = 104


class CourseError(ValueError):
    """A course could not be found or its calendar is not usable; the message says why."""


def _utc(ms: int | None) -> datetime | None:
    """The instant of ``ms``, clamped to the range imports accept (``MIN_TS_MS``..``MAX_TS_MS``).

    Decision: a database written before imports checked the range may hold a statement dated
    year 1 or 9999; clamping keeps that one record from making the course unlistable (a
    ``datetime`` cannot hold it) while every in-range time is unchanged."""
    if ms is None:
        return None
    ms = min(max(int(ms), MIN_TS_MS), MAX_TS_MS - 1)
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def to_ms(value: datetime | int | float) -> int:
    """UTC epoch milliseconds of a datetime (naive means UTC) or of a number of milliseconds."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(round(value.timestamp() * 1000))
    return int(value)


@dataclass(frozen=True)
class Course:
    """One course offering with its calendar (see the module docstring)."""

    id: int
    iri: str
    name: str
    start: date | None  # None when there is neither a user date nor any statement
    weeks: int | None
    students: int
    statements: int
    start_source: str  # "user" | "data" | "none"
    weeks_source: str  # "user" | "data" | "none"
    first_statement: datetime | None
    last_statement: datetime | None
    warnings: tuple[str, ...] = ()  # e.g. a start found from the data that looks too early

    @property
    def label(self) -> str:
        """The name, else the IRI."""
        return self.name or self.iri

    @property
    def start_dt(self) -> datetime:
        """The start as an instant (00:00 UTC of the start date)."""
        if self.start is None:
            raise CourseError(
                f"The course {self.label!r} has no start date: it has no statements yet. "
                "Set its start date (learnalytics courses, or the Courses page)."
            )
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)

    @property
    def end_dt(self) -> datetime | None:
        """Exclusive end of the last week, None when the length is unknown."""
        if self.start is None or self.weeks is None:
            return None
        return self.start_dt + timedelta(days=7 * self.weeks)

    def as_of_week(self, k: int) -> datetime:
        """The exclusive instant at which weeks 1..k are complete: ``start + 7k`` days, 00:00 UTC."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise CourseError(f"The week must be a whole number 0 or more, got {k!r}.")
        return self.start_dt + timedelta(days=7 * k)

    def week_of(self, when: datetime | int | float) -> int:
        """The course week ``when`` falls in (1 = the first seven days; 0 or less before the start).
        ``when`` is a datetime (naive = UTC) or UTC epoch milliseconds."""
        start_ms = to_ms(self.start_dt)
        return (to_ms(when) - start_ms) // WEEK_MS + 1

    def weeks_complete(self, now: datetime) -> int:
        """How many weeks are complete at ``now`` (0 before the end of week 1, at most ``weeks``)."""
        done = max(0, (to_ms(now) - to_ms(self.start_dt)) // WEEK_MS)
        return int(min(done, self.weeks)) if self.weeks is not None else int(done)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (dates as ISO text)."""
        d = asdict(self)
        for key in ("start", "first_statement", "last_statement"):
            d[key] = d[key].isoformat() if d[key] is not None else None
        return d


def _enrolment_verb_ids(conn: sqlite3.Connection) -> tuple[int, ...]:
    """Ids of the verbs that mean joining or leaving an offering (``core.outcomes.status``)
    that this database has: registering is not studying, so they never place the calendar."""
    from learnalytics_desktop.core.outcomes.status import load_enrolment_verbs

    verbs = load_enrolment_verbs(conn)
    iris = (*verbs.join, *verbs.leave)
    q = f"SELECT id FROM verbs WHERE iri IN ({','.join('?' * len(iris))})"
    return tuple(int(r[0]) for r in conn.execute(q, iris)) if iris else ()


def _percentile_ts(
    conn: sqlite3.Connection,
    course_id: int,
    q: float,
    before_ms: int | None = None,
    stored: int | None = None,
    skip: tuple[int, ...] | None = None,
) -> int | None:
    """The ``q`` quantile of the offering's statement times (those before ``before_ms`` when
    given), read from the (course, ts) index alone: over all stored statements, voided ones
    included (rare; they still show when people were active), which keeps this instant on
    millions of statements. ``stored``: the count of all the offering's statements when the
    caller has it (only used without ``before_ms``). Statements whose verb means joining or
    leaving the course are left out (``skip``: their verb ids, found when None); only a
    database that has such verbs pays for reading the rows' verbs."""
    skip = _enrolment_verb_ids(conn) if skip is None else skip
    limit = (1 << 62) if before_ms is None else int(before_ms)
    cond = f" AND verb NOT IN ({','.join(str(int(v)) for v in skip)})" if skip else ""
    if stored is not None and before_ms is None and not skip:  # the caller counted them already
        n = int(stored)
    else:
        n = conn.execute(
            f"SELECT count(*) FROM statements WHERE course = ? AND ts < ?{cond}", (course_id, limit)
        ).fetchone()[0]
    if n <= 0:
        return None
    k = min(n - 1, int(math.floor(q * (n - 1))))
    if k <= (n - 1) // 2:
        sql = f"SELECT ts FROM statements WHERE course = ? AND ts < ?{cond} ORDER BY ts LIMIT 1 OFFSET ?"
    else:  # count from the end
        sql, k = (
            f"SELECT ts FROM statements WHERE course = ? AND ts < ?{cond} ORDER BY ts DESC LIMIT 1 OFFSET ?",
            n - 1 - k,
        )
    row = conn.execute(sql, (course_id, limit, k)).fetchone()
    return None if row is None else int(row[0])


LATE_START_WEEKS = 3  # warn when activity reaches its usual weekly level this many weeks late


def late_start_warning(
    conn: sqlite3.Connection, course_id: int, start: date, weeks: int | None, total: int | None = None
) -> str | None:
    """A warning when most activity starts weeks after a start found from the data: the
    first week whose statements (joining/leaving ones left out) reach half the offering's
    mean weekly count comes :data:`LATE_START_WEEKS` or more weeks after the start (early
    access, a pilot group or a course shell opened long before teaching). None otherwise.
    Usually one range count (week 1 reaches the level); ``total``, the offering's statement
    count when the caller has it, saves counting the whole offering."""
    skip = _enrolment_verb_ids(conn)
    cond = f" AND verb NOT IN ({','.join(str(int(v)) for v in skip)})" if skip else ""
    start_ms = to_ms(datetime(start.year, start.month, start.day, tzinfo=UTC))
    span = max(1, int(weeks or 1))
    if total is None:  # the caller may pass the offering's statement count (the course list does)
        total = conn.execute(
            f"SELECT count(*) FROM statements WHERE course = ? AND ts >= ? AND ts < ?{cond}",
            (int(course_id), start_ms, start_ms + span * WEEK_MS),
        ).fetchone()[0]
    if total == 0 or span <= LATE_START_WEEKS:
        return None
    half = 0.5 * total / span
    for w in range(span):
        n = conn.execute(
            f"SELECT count(*) FROM statements WHERE course = ? AND ts >= ? AND ts < ?{cond}",
            (int(course_id), start_ms + w * WEEK_MS, start_ms + (w + 1) * WEEK_MS),
        ).fetchone()[0]
        if n >= half:
            if w < LATE_START_WEEKS:
                return None
            return (
                f"Most activity starts in week {w + 1}, {w} weeks after the start found from the data "
                f"({start.isoformat()}); if teaching began later, set the start date (Courses, or "
                "learnalytics courses --start) so that week numbers mean teaching weeks."
            )
    return None


def _monday_on_or_before(ms: int) -> date:
    d = _utc(ms).date()  # type: ignore[union-attr]
    return d - timedelta(days=d.weekday())


_EVENT = "voided = 0 AND is_voiding = 0"
_COUNTS = f"""SELECT count(*), count(*) FILTER (WHERE {_EVENT}),
       min(ts) FILTER (WHERE {_EVENT}), max(ts) FILTER (WHERE {_EVENT}),
       count(DISTINCT actor) FILTER (WHERE {_EVENT}
           AND actor NOT IN (SELECT actor FROM enrolments WHERE course = ?1)
           AND actor NOT IN (SELECT id FROM actors WHERE kind = 'group'))
FROM statements WHERE course = ?1"""


def _build(conn: sqlite3.Connection, row: tuple[Any, ...]) -> Course:
    cid, iri, name, start_text, weeks_user = row
    # One pass over the covering index statements_course_cover, never the table's rows (see
    # the module docstring): the students are those enrolled plus the distinct actors with a
    # statement who are not enrolled (groups left out of both).
    stored, n, first, last, unenrolled = conn.execute(_COUNTS, (cid,)).fetchone()
    enrolled = conn.execute(
        "SELECT count(*) FROM enrolments e JOIN actors a ON a.id = e.actor WHERE e.course = ? AND a.kind != 'group'",
        (cid,),
    ).fetchone()[0]
    students = int(enrolled) + int(unenrolled)
    start: date | None
    weeks: int | None
    if start_text:
        start, start_source = date.fromisoformat(start_text), "user"
    elif n:
        start, start_source = _data_start(conn, cid, stored=stored), "data"
    else:
        start, start_source = None, "none"
    if weeks_user:
        weeks, weeks_source = int(weeks_user), "user"
    elif n and start is not None:
        weeks, weeks_source = _data_weeks(conn, cid, start, stored=stored), "data"
    else:
        weeks, weeks_source = None, "none"
    warning = (
        late_start_warning(conn, cid, start, weeks, int(n)) if start_source == "data" and start else None
    )
    return Course(
        id=int(cid),
        iri=iri,
        name=name or iri,
        start=start,
        weeks=weeks,
        students=int(students),
        statements=int(n),
        start_source=start_source,
        weeks_source=weeks_source,
        first_statement=_utc(first),
        last_statement=_utc(last),
        warnings=(warning,) if warning else (),
    )


def _data_start(
    conn: sqlite3.Connection, course_id: int, before_ms: int | None = None, stored: int | None = None
) -> date | None:
    p5 = _percentile_ts(conn, course_id, 0.05, before_ms, stored)
    return None if p5 is None else _monday_on_or_before(p5)


def _data_weeks(
    conn: sqlite3.Connection,
    course_id: int,
    start: date,
    before_ms: int | None = None,
    stored: int | None = None,
) -> int | None:
    p99 = _percentile_ts(conn, course_id, 0.99, before_ms, stored)
    if p99 is None:
        return None
    start_ms = to_ms(datetime(start.year, start.month, start.day, tzinfo=UTC))
    return int(max(1, min(MAX_WEEKS, -(-(p99 + 1 - start_ms) // WEEK_MS))))


def course_calendar(
    conn: sqlite3.Connection, course_id: int, before: datetime | None = None
) -> tuple[date | None, int | None]:
    """``(start, weeks)`` of an offering, as :func:`get_course` finds them but without counting
    students or statements (free when the user set both). With ``before``, what the data
    known before that instant says (the features use this, so they never look ahead)."""
    row = conn.execute("SELECT start_date, weeks FROM courses WHERE id = ?", (int(course_id),)).fetchone()
    if row is None:
        raise CourseError(f"There is no course offering with id {course_id} in this database.")
    before_ms = None if before is None else to_ms(before)
    start = date.fromisoformat(row[0]) if row[0] else _data_start(conn, int(course_id), before_ms)
    weeks = (
        int(row[1]) if row[1] else (_data_weeks(conn, int(course_id), start, before_ms) if start else None)
    )
    return start, weeks


def data_calendar(conn: sqlite3.Connection, course_id: int) -> tuple[date | None, int | None]:
    """``(start, weeks)`` as the data alone finds them, whatever the user set (what "Reset to
    the data" would give: :func:`set_course_dates` with None for both). ``(None, None)`` when
    the offering has no statements."""
    if conn.execute("SELECT 1 FROM courses WHERE id = ?", (int(course_id),)).fetchone() is None:
        raise CourseError(f"There is no course offering with id {course_id} in this database.")
    start = _data_start(conn, int(course_id))
    return start, (_data_weeks(conn, int(course_id), start) if start is not None else None)


def course_start(conn: sqlite3.Connection, course_id: int, before: datetime | None = None) -> date | None:
    """Just the start date of an offering (free when the user set it); see :func:`course_calendar`."""
    row = conn.execute("SELECT start_date FROM courses WHERE id = ?", (int(course_id),)).fetchone()
    if row is None:
        raise CourseError(f"There is no course offering with id {course_id} in this database.")
    if row[0]:
        return date.fromisoformat(row[0])
    return _data_start(conn, int(course_id), None if before is None else to_ms(before))


def list_courses(conn: sqlite3.Connection) -> list[Course]:
    """Every course offering in the database, ordered by start date then name."""
    rows = conn.execute("SELECT id, iri, name, start_date, weeks FROM courses ORDER BY id").fetchall()
    courses = [_build(conn, r) for r in rows]
    return sorted(courses, key=lambda c: (c.start or date.max, c.label.lower(), c.id))


def get_course(conn: sqlite3.Connection, course_id: int) -> Course:
    """The offering with database id ``course_id``."""
    row = conn.execute(
        "SELECT id, iri, name, start_date, weeks FROM courses WHERE id = ?", (int(course_id),)
    ).fetchone()
    if row is None:
        raise CourseError(f"There is no course offering with id {course_id} in this database.")
    return _build(conn, row)


def find_course(conn: sqlite3.Connection, text: str | int) -> Course:
    """The offering named by ``text``: its id, its IRI, or a piece of its name or IRI that
    only one offering has (case-insensitive). The error lists the candidates."""
    query = str(text).strip()
    rows = conn.execute("SELECT id, iri, name FROM courses ORDER BY id").fetchall()
    if not rows:
        raise CourseError("This database has no course offerings yet: import xAPI statements first.")
    if query.isdigit():
        for cid, _, _ in rows:
            if cid == int(query):
                return get_course(conn, cid)
    for cid, iri, name in rows:
        if query == iri or (name and query.lower() == name.lower()):
            return get_course(conn, cid)
    hits = [
        r for r in rows if query and (query.lower() in (r[2] or "").lower() or query.lower() in r[1].lower())
    ]
    if len(hits) == 1:
        return get_course(conn, hits[0][0])

    def listing(rs: list[Any]) -> str:
        return "; ".join(f"{cid}: {name or iri} <{iri}>" for cid, iri, name in rs)

    if hits:
        raise CourseError(
            f"{query!r} matches {len(hits)} course offerings, give one of these: {listing(hits)}"
        )
    raise CourseError(f"No course offering matches {query!r}. The offerings are: {listing(rows)}")


def user_dates(conn: sqlite3.Connection, course_id: int) -> tuple[str | None, int | None]:
    """The start date (ISO) and weeks the user set for an offering; None where the data decide."""
    row = conn.execute("SELECT start_date, weeks FROM courses WHERE id = ?", (int(course_id),)).fetchone()
    if row is None:
        raise CourseError(f"There is no course offering with id {course_id} in this database.")
    return row[0] or None, None if row[1] is None else int(row[1])


def set_course_dates(
    conn: sqlite3.Connection, course_id: int, start: date | str | None, weeks: int | None
) -> Course:
    """Set (or, with None, go back to the data's) start date and length of an offering."""
    from learnalytics_desktop.core.store.db import audit, transaction

    if isinstance(start, datetime):
        start = start.date()
    if isinstance(start, str):
        try:
            start = date.fromisoformat(start.strip())
        except ValueError:
            raise CourseError(f"The start date must look like 2026-09-14, got {start!r}.") from None
    if weeks is not None and (
        isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS
    ):
        raise CourseError(f"The number of weeks must be a whole number from 1 to {MAX_WEEKS}, got {weeks!r}.")
    get_course(conn, course_id)  # exists?
    with transaction(conn):
        conn.execute(
            "UPDATE courses SET start_date = ?, weeks = ? WHERE id = ?",
            (start.isoformat() if start else None, weeks, int(course_id)),
        )
        audit(
            conn,
            "course_dates",
            course=int(course_id),
            start=start.isoformat() if start else None,
            weeks=weeks,
        )
    return get_course(conn, course_id)


@dataclass(frozen=True)
class CourseDates:
    """An offering's calendar as used now (``course``) and as the data alone finds it: what
    the course dates dialog shows."""

    course: Course
    data_start: date | None
    data_weeks: int | None


def course_dates(conn: sqlite3.Connection, course_id: int) -> CourseDates:
    """The offering and what its statements say of its start and length."""
    start, weeks = data_calendar(conn, int(course_id))
    return CourseDates(get_course(conn, int(course_id)), start, weeks)


def save_course_dates(
    conn: sqlite3.Connection, course_id: int, start: date | None, weeks: int | None
) -> CourseDates:
    """:func:`set_course_dates` (None = follow the data), then the new :func:`course_dates`."""
    set_course_dates(conn, int(course_id), start, weeks)
    return course_dates(conn, course_id)
