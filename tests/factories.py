"""Shared test helpers: a small imported demo database (built once per session) and a fast
way to put hand-made statements straight into the schema.

    from factories import make_demo_db, EventBuilder

    demo = make_demo_db(tmp_path / "demo.db", students=40)   # a private copy, fast
    conn = open_db(demo.path); demo.files.students ...        # the truth behind the data

    b = EventBuilder(conn)                                     # known-truth unit tests
    c = b.course("https://x.example/c1", start="2026-01-05", weeks=10)
    s = b.student("ann")
    b.event(s, c, "2026-01-06T10:00:00Z", "video", verb="played", duration=60)
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import sqlite3
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ADL = "http://adlnet.gov/expapi/verbs/"
VIDEO_V = "https://w3id.org/xapi/video/verbs/"
TC_V = "http://id.tincanapi.com/verb/"
AS = "http://activitystrea.ms/schema/1.0/"

# category -> (activity type IRI, default verb IRI); verbs by short name
TYPES = {
    "video": "https://w3id.org/xapi/video/activity-type/video",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "assignment": "http://id.tincanapi.com/activitytype/school-assignment",
    "reading": "http://id.tincanapi.com/activitytype/document",
    "forum": "http://id.tincanapi.com/activitytype/discussion",
    "navigation": "http://adlnet.gov/expapi/activities/course",
    "other": "https://x.example/types/unmapped",
}
VERBS = {
    "played": VIDEO_V + "played",
    "paused": VIDEO_V + "paused",
    "completed": ADL + "completed",
    "attempted": ADL + "attempted",
    "passed": ADL + "passed",
    "failed": ADL + "failed",
    "experienced": ADL + "experienced",
    "viewed": TC_V + "viewed",
    "replied": TC_V + "replied",
    "posted": AS + "post",
    "submitted": AS + "submit",
    "launched": ADL + "launched",
    "terminated": ADL + "terminated",
    "did": "https://x.example/verbs/did",
}


# --- the demo database ----------------------------------------------------------------------


@dataclass
class DemoDB:
    """A private copy of a built demo database and the generated files/truth behind it."""

    path: Path
    files: Any  # core.demo.DemoFiles

    def course_id(self, conn: sqlite3.Connection, key: str) -> int:
        """Database id of the offering "2025-autumn" or "2026-autumn"."""
        iri = self.files.offering(key).iri
        return conn.execute("SELECT id FROM courses WHERE iri = ?", (iri,)).fetchone()[0]

    def actor_id(self, conn: sqlite3.Connection, student: Any) -> int | None:
        """Database id of a generated student (None if they never got an actor)."""
        row = conn.execute("SELECT id FROM actors WHERE ifi = ?", (student.ifi,)).fetchone()
        if row is None:  # a roster-created student: account on the home page
            row = conn.execute(
                "SELECT id FROM actors WHERE label = ? AND kind = 'account'", (student.student_id,)
            ).fetchone()
        return None if row is None else row[0]


_CACHE: dict[tuple[int, int], tuple[Path, Any]] = {}
_CACHE_DIR: Path | None = None


def _cache_dir() -> Path:
    global _CACHE_DIR
    if _CACHE_DIR is None:
        _CACHE_DIR = Path(tempfile.mkdtemp(prefix="learnalytics-test-demo-"))
        atexit.register(shutil.rmtree, _CACHE_DIR, True)
    return _CACHE_DIR


def make_demo_db(path: str | Path, students: int = 40, seed: int = 7) -> DemoDB:
    """Copy a demo database (``students`` per offering) to ``path``; the first call for a size
    and seed builds it (generate + import + rosters + outcomes), later calls only copy."""
    from learnalytics_desktop.core.demo import generate, load_demo_files
    from learnalytics_desktop.core.store.db import copy_database, open_db

    key = (students, seed)
    if key not in _CACHE:
        folder = _cache_dir() / f"demo-{students}-{seed}"
        files = generate(folder / "files", students=students, seed=seed)
        db_path = folder / "demo.db"
        conn = open_db(db_path)
        try:
            load_demo_files(conn, files, workers=0)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        _CACHE[key] = (db_path, files)
    src, files = _CACHE[key]
    target = Path(path)
    copy_database(src, target)
    return DemoDB(target, files)


# --- hand-made statements ---------------------------------------------------------------------


def ms(when: str | datetime) -> int:
    """UTC epoch milliseconds of an ISO string (Z or offset) or a datetime (naive = UTC)."""
    if isinstance(when, str):
        when = datetime.fromisoformat(when.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(round(when.timestamp() * 1000))


class EventBuilder:
    """Inserts actors, courses, activities and statements directly (no importer), so feature
    and course tests control every value. Each call commits."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        row = conn.execute("SELECT id FROM imports WHERE source = 'factories'").fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO imports(source, started_at, status) VALUES ('factories', '2026-01-01', 'done')"
            )
            row = conn.execute("SELECT id FROM imports WHERE source = 'factories'").fetchone()
        self.import_id = row[0]
        self._n = 0

    def _id(self, table: str, column: str, value: str, **extra: Any) -> int:
        row = self.conn.execute(f"SELECT id FROM {table} WHERE {column} = ?", (value,)).fetchone()
        if row:
            return row[0]
        cols = [column, *extra]
        self.conn.execute(
            f"INSERT INTO {table}({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            (value, *extra.values()),
        )
        return self.conn.execute(f"SELECT id FROM {table} WHERE {column} = ?", (value,)).fetchone()[0]

    def course(
        self, iri: str, name: str | None = None, start: str | None = None, weeks: int | None = None
    ) -> int:
        cid = self._id("courses", "iri", iri, name=name or iri)
        self.conn.execute("UPDATE courses SET start_date = ?, weeks = ? WHERE id = ?", (start, weeks, cid))
        return cid

    def student(
        self,
        name: str,
        kind: str = "account",
        home: str = "https://lms.example.edu",
        email: str | None = None,
    ) -> int:
        """An actor: ``account`` (name = account name), ``mbox`` (name = address),
        ``mbox_sha1sum`` (name = the address whose hash it carries), ``openid`` or ``group``."""
        if kind == "account":
            return self._id(
                "actors", "ifi", f"account:{home}|{name}", kind="account", label=name, email=email
            )
        if kind == "mbox":
            sha = hashlib.sha1(f"mailto:{name}".encode()).hexdigest()
            return self._id(
                "actors", "ifi", f"mbox:mailto:{name}", kind="mbox", label=name, email=name, email_sha1=sha
            )
        if kind == "mbox_sha1sum":
            sha = hashlib.sha1(f"mailto:{name}".encode()).hexdigest()
            return self._id(
                "actors", "ifi", f"mbox_sha1sum:{sha}", kind="mbox_sha1sum", label=sha, email_sha1=sha
            )
        return self._id("actors", "ifi", f"{kind}:{name}", kind=kind, label=name)

    def event(
        self,
        actor: int,
        course: int | None,
        when: str | datetime | int,
        category: str = "other",
        *,
        verb: str = "did",
        obj: str | None = None,
        duration: float | None = None,
        score: float | None = None,
        raw: float | None = None,
        max_: float | None = None,
        late: int | None = None,
        voided: int = 0,
        is_voiding: int = 0,
    ) -> str:
        """One statement; ``verb`` is a short name from ``VERBS`` or a full IRI; the object is an
        activity of ``category``'s type (``obj`` names it). Returns the statement id."""
        self._n += 1
        verb_iri = VERBS.get(verb, verb)
        vid = self._id("verbs", "iri", verb_iri)
        obj_iri = obj if obj and "://" in obj else f"https://x.example/{category}/{obj or 1}"
        aid = self._id("activities", "iri", obj_iri, type_iri=TYPES[category])
        ts = when if isinstance(when, int) else ms(when)
        sid = str(uuid.uuid4())
        self.conn.execute(
            "INSERT INTO statements(id, hash, actor, verb, object, course, ts, duration, score_raw, score_max, "
            "score_scaled, late, voided, is_voiding, import_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                sid,
                hashlib.sha256(sid.encode()).digest()[:16],
                actor,
                vid,
                aid,
                course,
                ts,
                duration,
                raw,
                max_,
                score,
                late,
                voided,
                is_voiding,
                self.import_id,
            ),
        )
        return sid

    def enrol(self, actor: int, course: int, source: str = "roster") -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO enrolments(course, actor, source) VALUES (?, ?, ?)",
            (course, actor, source),
        )


def at(start: str, days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    """``start`` (ISO date or date-time, UTC) plus an offset, as an aware datetime."""
    base = datetime.fromisoformat(start.replace("Z", "+00:00"))
    if base.tzinfo is None:
        base = base.replace(tzinfo=UTC)
    return base + timedelta(days=days, hours=hours, minutes=minutes)


def risk_table_frame(n: int = 100_000):
    """A seeded "Students at risk" frame of ``n`` rows as the dashboard query returns it
    (before the GUI model's ``prepare``): the 100,000-row test and bench/table_speed.py."""
    import numpy as np
    import pandas as pd

    from learnalytics_desktop.core import dashboard
    from learnalytics_desktop.core.model.levels import risk_level

    rng = np.random.default_rng(1)
    risk = rng.random(n).round(4)
    reasons = [
        ["no activity for 12 days", "quiz average 41%", "3 late submissions"],
        ["regular study pattern"],
    ]
    return pd.DataFrame(
        {
            "actor": np.arange(n, dtype=np.int64),
            "student": [f"s{i:06d}@uni.example" for i in range(n)],
            "risk_score": risk,
            "risk_level": pd.Categorical(
                risk_level(risk), categories=["low", "moderate", "high"], ordered=True
            ),
            "status": np.where(rng.random(n) < 0.05, "withdrawn (2026-01-20)", "active"),
            "top_reasons": np.where(
                risk > 0.5, "no activity for 12 days; quiz average 41%", "regular study pattern"
            ),
            "engagement": rng.random(n),
            **{c: rng.random(n) * 20 for c in dashboard.TABLE_FEATURES},
            "reasons": [reasons[int(r <= 0.5)] for r in risk],
        }
    )
