"""The demo course: a realistic, reproducible data set of our own, and the demo database.

Two offerings of "Introduction to Data Analysis": autumn 2025 (finished, 13 weeks, with a
gradebook) and autumn 2026 (in progress: the demo's "today" is two days into week 7, so
weeks 1-6 are complete). Each has ``students`` students (default 300) with a latent
engagement and ability (see :mod:`learnalytics_desktop.core.demo.people`), videos, quizzes,
assignments, readings, a forum and course navigation (see
:mod:`learnalytics_desktop.core.demo.statements`), and the untidiness real exports have:

* identifiers: accounts for most students, some ``mbox``, some ``mbox_sha1sum``, two
  ``openid`` per offering (these match no roster row: the match report shows them);
* timestamps in Z, +01:00, -05:00 and +05:30; about 3 % of statements without an id;
* exact duplicates (an LMS re-send, and overlapping LRS export windows), two voided
  statements (their voiding statements come first in the file), ten invalid statements;
* files in several formats: JSON Lines, a JSON array, LRS statement-result pages, a zip;
* gradebook CSV in cp1252 with semicolons and decimal commas (a European spreadsheet
  export), rosters in UTF-8 with and without a BOM, with two attribute columns
  ("Study mode", "Age band") for the fairness report;
* two auditors per offering who are in the statements but on no roster.

:func:`generate` writes the files; :func:`build_demo_database` imports them into a database.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from learnalytics_desktop.core.demo.people import (
    DemoOffering,
    DemoStudent,
    assign_outcomes,
    default_offerings,
    make_students,
)
from learnalytics_desktop.core.demo.statements import (
    StudentSimulator,
    dumps,
    iso,
    make_content,
    voiding_statement,
)
from learnalytics_desktop.core.jobs import NullReporter, Reporter

ROSTER_ATTRIBUTES = ("Study mode", "Age band")
LRS_PAGE_SIZE = 4_000
_ZIP_TIME = (2026, 10, 28, 12, 0, 0)


@dataclass
class DemoFiles:
    """What :func:`generate` wrote, and the truth behind it (for tests and the README)."""

    out_dir: Path
    xapi_files: list[Path]
    gradebooks: dict[str, Path]  # offering IRI -> gradebook CSV (finished offerings)
    rosters: dict[str, Path]  # offering IRI -> roster CSV
    offerings: list[DemoOffering]
    students: list[DemoStudent]
    counts: dict[str, int] = field(default_factory=dict)  # statements, invalid, duplicates, voided, ...
    voided_ids: list[str] = field(default_factory=list)

    def offering(self, key: str) -> DemoOffering:
        """The offering with ``key`` ("2025-autumn", "2026-autumn")."""
        for off in self.offerings:
            if off.key == key:
                return off
        raise KeyError(key)

    def students_of(self, key: str) -> list[DemoStudent]:
        """The students (roster and auditors) of the offering ``key``."""
        return [s for s in self.students if s.offering == key]


class _Scaled:
    """A reporter mapping a sub-job's 0..1 onto ``[lo, hi]`` of its parent's progress."""

    def __init__(self, parent: Reporter, lo: float, hi: float) -> None:
        self.parent, self.lo, self.hi = parent, lo, hi

    def progress(self, fraction: float, message: str = "") -> None:
        self.parent.progress(self.lo + (self.hi - self.lo) * min(max(fraction, 0.0), 1.0), message)

    def check(self) -> None:
        self.parent.check()


def generate(
    out_dir: str | os.PathLike[str],
    *,
    students: int = 300,
    seed: int = 7,
    weeks: int = 13,
    current_week: int = 6,
    report: Reporter | None = None,
) -> DemoFiles:
    """Write the demo course's xAPI files, gradebook and rosters into ``out_dir``.

    The same ``seed`` and sizes give byte-identical files. ``students`` is per offering
    (at least 20 for the untidy extras); ``current_week`` is the last complete week of the
    offering in progress.
    """
    report = report or NullReporter()
    if students < 1:
        raise ValueError(f"the demo needs at least one student per offering, got {students}")
    if not 4 <= weeks <= 52 or not 1 <= current_week < weeks:
        raise ValueError(f"weeks must be 4-52 and current_week 1..weeks-1 (got {weeks}, {current_week})")
    out = Path(out_dir)
    (out / "xapi").mkdir(parents=True, exist_ok=True)
    offerings = default_offerings(weeks, current_week)
    used: set[str] = set()
    all_students: list[DemoStudent] = []
    by_off: dict[str, list[tuple[Any, ...]]] = {}  # (ts, source, JSON text, id, verb key)
    for i, off in enumerate(offerings):
        report.check()
        report.progress(0.05 + 0.45 * i / len(offerings), f"simulating {off.name}")
        rng = random.Random(f"{seed}:{off.key}")
        repeaters = []
        if i > 0:  # a few who failed or withdrew last time take the course again
            prev = [s for s in all_students if s.result in ("Fail", "Withdrawn") and not s.never_started]
            repeaters = rng.sample(prev, min(len(prev), max(0, students // 30)))
        people = make_students(off, students, rng, used, repeaters)
        events: list[tuple[Any, ...]] = []
        sim = StudentSimulator(off, make_content(off, rng), rng, lambda *e, _ev=events: _ev.append(e))
        for st in people:
            sim.run(st)
        if off.has_outcomes:
            assign_outcomes(people, rng)
        events.sort(key=lambda e: e[0])
        by_off[off.key] = events
        all_students.extend(people)
    files = DemoFiles(out, [], {}, {}, offerings, all_students)
    report.progress(0.55, "writing files")
    _write_past(files, offerings[0], by_off[offerings[0].key], random.Random(f"{seed}:files0"))
    _write_current(files, offerings[1], by_off[offerings[1].key], random.Random(f"{seed}:files1"))
    for off in offerings:
        files.rosters[off.iri] = _write_roster(out, off, files.students_of(off.key), bom=off.has_outcomes)
        if off.has_outcomes:
            files.gradebooks[off.iri] = _write_gradebook(out, off, files.students_of(off.key))
    files.counts["statements_generated"] = sum(len(v) for v in by_off.values())
    _write_readme(files)
    report.progress(1.0, "demo files written")
    return files


# --- writers --------------------------------------------------------------------------------


def _invalid_lines(sample: dict[str, Any]) -> list[str]:
    """Ten statements an LRS must reject, each broken in one documented way."""

    def variant(**changes: Any) -> str:
        s = json.loads(json.dumps(sample))
        s.pop("id", None)
        for path, value in changes.items():
            node = s
            keys = path.split("__")
            for k in keys[:-1]:
                node = node.setdefault(k, {})
            if value is _DELETE:
                node.pop(keys[-1], None)
            else:
                node[keys[-1]] = value
        return dumps(s)

    return [
        variant(actor={"objectType": "Agent", "name": "No identifier"}),  # agent without an IFI
        variant(verb__id=_DELETE),  # verb without id
        variant(timestamp="2025-13-45T25:00:00Z"),  # not a date
        variant(result={"duration": "1h"}),  # not an ISO 8601 duration
        variant(result={"score": {"raw": 12, "min": 0, "max": 10}}),  # raw above max
        variant(actor={"mbox": "someone@example.edu"}),  # mbox without mailto:
        variant(id="not-a-uuid"),  # id not a UUID
        variant(
            actor={"mbox": "mailto:a@example.edu", "account": {"homePage": "https://x.example", "name": "a"}}
        ),
        variant(verb__display={"en_US": "did"}),  # language map key not a language tag (underscore)
        dumps(sample)[:57],  # a record cut off mid-way
    ]


_DELETE = object()


def _write_past(files: DemoFiles, off: DemoOffering, events: list[Any], rng: random.Random) -> None:
    lms = [e for e in events if e[1] == "lms"]
    video = [e[2] for e in events if e[1] == "video"]
    # Two statements are voided later (a deleted forum post, a quiz result entered in error);
    # their voiding statements come first in the file, so order must not matter.
    posts = [e[3] for e in lms if e[3] and e[4] in ("posted", "replied")]
    quizzes = [e[3] for e in lms if e[3] and e[4] in ("passed", "failed")]
    targets = [posts[len(posts) // 3], quizzes[len(quizzes) // 2]] if posts and quizzes else []
    end_ms = int(off.end_dt.timestamp() * 1000)
    lines = [voiding_statement(t, end_ms) for t in targets]
    body = [e[2] for e in lms]
    resent = rng.sample(range(len(body)), min(15, len(body)))  # the LMS sent these twice
    dup_lines = [body[i] for i in sorted(resent)]
    invalid = _invalid_lines(json.loads(body[0])) if body else []
    for line in dup_lines + invalid:  # never last: a cut-off last line is a different case
        body.insert(rng.randrange(max(1, len(body))), line)
    lines += body
    path = files.out_dir / "xapi" / f"ida101-{off.key}-lms.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    vpath = files.out_dir / "xapi" / f"ida101-{off.key}-video.json"
    vpath.write_text("[\n" + ",\n".join(video) + "\n]\n", encoding="utf-8")
    files.xapi_files += [path, vpath]
    files.voided_ids = targets
    files.counts.update(invalid=len(invalid), duplicates=len(dup_lines), voided=len(targets))
    files.counts["records_past"] = len(lines) + len(video)


def _write_current(files: DemoFiles, off: DemoOffering, events: list[Any], rng: random.Random) -> None:
    """LRS export pages for weeks 1-3, then a zip with the rest; the windows overlap."""
    split = int((off.start_dt + timedelta(days=21)).timestamp() * 1000)
    early = [(e[0], e[2]) for e in events if e[0] < split]
    late = [e[2] for e in events if e[0] >= split]
    pages = [early[i : i + LRS_PAGE_SIZE] for i in range(0, len(early), LRS_PAGE_SIZE)] or [[]]
    for n, page in enumerate(pages, 1):
        # an LRS adds "stored" and "version" to what it returns
        stmts = [f'{{"stored":"{iso(ts + 1500, 0)}","version":"1.0.0",{text[1:]}' for ts, text in page]
        more = f"/xapi/statements?more=page{n + 1:03d}" if n < len(pages) else ""
        path = files.out_dir / "xapi" / f"ida101-{off.key}-lrs-page-{n:03d}.json"
        path.write_text('{"statements":[' + ",".join(stmts) + f'],"more":"{more}"}}', encoding="utf-8")
        files.xapi_files.append(path)
    overlap = [text for _, text in early[-40:]]  # the second export started before the first ended
    member = "\r\n".join(overlap + late) + "\r\n"
    zpath = files.out_dir / "xapi" / f"ida101-{off.key}-weeks-4-on.zip"
    with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(f"ida101-{off.key}-weeks-4-on.jsonl", date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, member.encode("utf-8"))
    files.xapi_files.append(zpath)
    files.counts["duplicates"] = files.counts.get("duplicates", 0) + len(overlap)
    files.counts["records_current"] = len(early) + len(overlap) + len(late)


def _write_roster(out: Path, off: DemoOffering, people: list[DemoStudent], bom: bool) -> Path:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Student ID", "Email", "First name", "Last name", *ROSTER_ATTRIBUTES])
    for st in sorted((s for s in people if s.in_roster), key=lambda s: s.student_id):
        w.writerow([st.student_id, st.email, st.first_name, st.last_name, st.study_mode, st.age_band])
    path = out / f"roster-ida101-{off.key}.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path


def _write_gradebook(out: Path, off: DemoOffering, people: list[DemoStudent]) -> Path:
    """A spreadsheet export: cp1252, semicolons, decimal commas, CRLF."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(["Student ID", "Last name", "First name", "Email", "Final grade", "Result"])
    for st in sorted(
        (s for s in people if s.in_roster), key=lambda s: (s.last_name, s.first_name, s.student_id)
    ):
        grade = "" if st.final_grade is None else f"{st.final_grade:.1f}".replace(".", ",")
        w.writerow([st.student_id, st.last_name, st.first_name, st.email, grade, st.result])
    path = out / f"gradebook-ida101-{off.key}.csv"
    path.write_bytes(buf.getvalue().encode("cp1252"))
    return path


def _write_readme(files: DemoFiles) -> None:
    c = files.counts
    lines = [
        "Learnalytics demo course: Introduction to Data Analysis (generated, no real people).",
        "",
        "xapi/           statements: JSON Lines, a JSON array, LRS pages and a zip archive",
        "roster-*.csv    class lists (Student ID, Email, names, Study mode, Age band)",
        "gradebook-*.csv final grades of the finished offering (cp1252, semicolons, decimal commas)",
        "",
        f"Statements generated: {c.get('statements_generated', 0)}; on purpose also {c.get('invalid', 0)} invalid,",
        f"{c.get('duplicates', 0)} duplicated and {c.get('voided', 0)} voided statements.",
        "",
        "Try:  learnalytics import --db demo.db xapi/",
        "      learnalytics courses --db demo.db",
        "      learnalytics roster --db demo.db --course 2025 roster-ida101-2025-autumn.csv",
        "      learnalytics outcomes --db demo.db --course 2025 gradebook-ida101-2025-autumn.csv",
    ]
    (files.out_dir / "README.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- the demo database --------------------------------------------------------------------


def load_demo_files(
    conn: Any, files: DemoFiles, *, report: Reporter | None = None, workers: int | None = None
) -> dict[str, Any]:
    """Import generated demo files into an open database: statements, course dates, rosters
    (with their attribute columns) and the finished offering's outcomes. Returns the import
    report and the match reports as plain dicts. ``workers`` is passed to the importer."""
    from learnalytics_desktop.core.clock import set_fixed_today
    from learnalytics_desktop.core.courses import find_course, set_course_dates
    from learnalytics_desktop.core.ingest.importer import import_paths
    from learnalytics_desktop.core.outcomes import import_outcomes, import_roster
    from learnalytics_desktop.core.store.db import audit, set_setting, transaction

    report = report or NullReporter()
    imported = import_paths(conn, files.xapi_files, report=_Scaled(report, 0.0, 0.85), workers=workers)
    summary: dict[str, Any] = {"import": _as_dict(imported), "rosters": {}, "outcomes": {}}
    for off in files.offerings:
        report.check()
        course = find_course(conn, off.iri)
        set_course_dates(conn, course.id, off.start, off.weeks)
        roster = import_roster(
            conn,
            course.id,
            files.rosters[off.iri],
            id_column="Student ID",
            email_column="Email",
            attribute_columns=ROSTER_ATTRIBUTES,
        )
        summary["rosters"][off.iri] = roster.to_dict()
        if off.iri in files.gradebooks:
            outcomes = import_outcomes(
                conn,
                course.id,
                files.gradebooks[off.iri],
                id_column="Student ID",
                email_column="Email",
                grade_column="Final grade",
                result_column="Result",
            )
            summary["outcomes"][off.iri] = outcomes.to_dict()
    current = [o for o in files.offerings if o.today is not None]
    with transaction(conn):
        set_setting(
            conn,
            "demo",
            {
                "offerings": [
                    {
                        "iri": o.iri,
                        "start": o.start.isoformat(),
                        "weeks": o.weeks,
                        "today": o.today.isoformat() if o.today else None,
                    }
                    for o in files.offerings
                ],
                "today": current[0].today.isoformat() if current and current[0].today else None,
            },
        )
        if current and current[0].today:
            set_fixed_today(conn, current[0].today)  # the demo's clock (core.clock)
        audit(conn, "demo_build", statements=files.counts.get("statements_generated", 0))
    report.progress(1.0, "demo database ready")
    return summary


def _as_dict(obj: Any) -> Any:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if hasattr(obj, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(obj)
    return obj


def build_demo_database(
    db_path: str | os.PathLike[str],
    *,
    students: int = 300,
    seed: int = 7,
    ready: bool = True,
    report: Reporter | None = None,
) -> Path:
    """Generate the demo course into a temporary folder and import it into a new database
    at ``db_path`` (written beside it and moved into place at the end, so an interrupted
    build never leaves half a demo). An existing file at ``db_path`` is replaced. With
    ``ready`` (the default) the database is then trained, scored for every complete week and
    given a past outreach batch (:func:`learnalytics_desktop.core.demo.ready.make_ready`)."""
    from learnalytics_desktop.core.store.db import open_db

    report = report or NullReporter()
    target = Path(db_path)
    if not target.parent.exists():
        raise FileNotFoundError(f"The folder {target.parent} does not exist.")
    part = target.with_name(target.name + ".building")
    for p in (part, Path(f"{part}-wal"), Path(f"{part}-shm")):
        if p.exists():
            p.unlink()
    with tempfile.TemporaryDirectory(prefix="learnalytics-demo-") as tmp:
        files = generate(tmp, students=students, seed=seed, report=_Scaled(report, 0.0, 0.2))
        conn = open_db(part)
        try:
            load_demo_files(conn, files, report=_Scaled(report, 0.2, 0.5 if ready else 0.98))
            if ready:
                from learnalytics_desktop.core.demo.ready import make_ready

                make_ready(conn, seed=seed, report=_Scaled(report, 0.5, 0.98))
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    for suffix in ("-wal", "-shm"):
        stale = Path(f"{target}{suffix}")
        if stale.exists():
            stale.unlink()
    os.replace(part, target)
    report.progress(1.0, "demo database ready")
    return target


def demo_today(conn: Any) -> datetime | None:
    """The demo's fixed "today" (the offering in progress), None for other databases: the
    database's clock (:func:`learnalytics_desktop.core.clock.fixed_today`)."""
    from learnalytics_desktop.core.clock import fixed_today

    return fixed_today(conn)
