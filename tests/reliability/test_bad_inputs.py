"""Bad inputs wherever a user types or loads something: each gives a clear message naming what
is wrong and where (the file, the column, the line or row), through the core function and
through the command line, and nothing is half-written (every table's row count is unchanged,
no output file appears). Inputs that are unusual but unambiguous (a gradebook in Windows-1252,
UTF-16 without a byte-order mark, a repeated header) are read, with a warning that says how.
"""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from factories import make_demo_db

from learnalytics_desktop.cli import main

TABLES = (
    "statements",
    "actors",
    "imports",
    "rejects",
    "enrolments",
    "outcomes",
    "attributes",
    "interventions",
    "models",
    "score_runs",
    "settings",
    "audit_log",
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 4
XLSX = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + b"[Content_Types].xml" + bytes(300)


@dataclass
class Env:
    db: Path
    folder: Path
    demo: Any

    def file(self, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
        path = self.folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
        return path

    def students(self, key: str = "2025-autumn") -> list[Any]:
        return [s for s in self.demo.files.students_of(key) if s.in_roster]

    def counts(self) -> dict[str, int]:
        conn = sqlite3.connect(self.db)
        try:
            return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        finally:
            conn.close()


@pytest.fixture
def env(tmp_path) -> Env:
    folder = tmp_path / "inputs"
    folder.mkdir()
    demo = make_demo_db(tmp_path / "demo.db", students=40)
    return Env(demo.path, folder, demo)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def refused(capsys, code_expected: int, argv: list[str], *words: str) -> str:
    """Run the CLI; assert the exit code and one stderr line holding every word."""
    code, _out, err = cli(capsys, *argv)
    assert code == code_expected, err
    assert err.count("\n") == 1, err
    for w in words:
        assert w in err, f"{w!r} not in {err!r}"
    return err


# --- gradebook and roster CSV ---------------------------------------------------------------------

GRADEBOOK_BAD: dict[str, tuple[Callable[[Env], bytes], tuple[str, ...]]] = {
    "binary file": (lambda e: PNG, ("gb.csv", "not a text file", "zero byte at byte 8")),
    "excel workbook": (lambda e: XLSX, ("gb.csv", "spreadsheet workbook (.xlsx or .xls), not a CSV file")),
    "empty file": (lambda e: b"", ("gb.csv is empty",)),
    "only blank lines": (lambda e: b"\r\n\r\n  \r\n", ("gb.csv is empty",)),
    "no grade or result column": (
        lambda e: b"Student ID,Comment\nu1,fine\n",
        ("gb.csv", "no grade, result, passed or withdrew column", "'Student ID', 'Comment'"),
    ),
    "row wider than the header": (
        lambda e: b"Student ID,Final grade\nu1,50\nu2,61,5,extra\n",
        ("Line 3 of gb.csv has 4 cells but the header (line 1) has 2", "delimiter"),
    ),
    "bad values": (
        lambda e: (
            f"Student ID;Email;Final grade;Result\n{e.students()[0].student_id};{e.students()[0].email};"
            f"fifty;Pass\n{e.students()[1].student_id};{e.students()[1].email};55;Maybe\n"
        ).encode(),
        (
            "gb.csv: nothing was imported because of bad values",
            "line 2: grade 'fifty' is not a number",
            "line 3: result 'Maybe'",
        ),
    ),
    "UTF-16 that is not valid": (lambda e: b"\xff\xfeS\x00t\x00\x00\xd8", ("gb.csv", "not valid UTF-16")),
    "impossible grades": (  # issue 15, finding 15
        lambda e: (
            f"Student ID;Email;Final grade\n{e.students()[0].student_id};{e.students()[0].email};-5\n"
            f"{e.students()[1].student_id};{e.students()[1].email};1e308\n"
        ).encode(),
        (
            "gb.csv: nothing was imported because of bad values",
            "line 2: grade '-5' is below 0",
            "line 3: grade '1e308' is not a plausible final grade",
        ),
    ),
}


def test_grades_above_100_are_kept_with_a_warning(env, capsys):
    s = env.students()
    path = env.file(
        "gb.csv",
        f"Student ID,Final grade\n{s[0].student_id},101\n{s[1].student_id},100\n{s[2].student_id},0\n",
    )
    code = main(["outcomes", "--db", str(env.db), "--course", "2025-autumn", "--json", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    warnings = json.loads(out)["warnings"]
    assert any("1 grade(s) above 100 (line 2 (101))" in w for w in warnings), warnings


@pytest.mark.parametrize("case", list(GRADEBOOK_BAD))
def test_gradebook_refused(env, capsys, case):
    from learnalytics_desktop.core.outcomes import OutcomesError, import_outcomes

    make, words = GRADEBOOK_BAD[case]
    path = env.file("gb.csv", make(env))
    before = env.counts()
    conn = sqlite3.connect(env.db)
    try:
        with pytest.raises(OutcomesError) as info:
            import_outcomes(conn, 1, path)
    finally:
        conn.close()
    for w in words:
        assert w in str(info.value)
    refused(capsys, 2, ["outcomes", "--db", str(env.db), "--course", "2025-autumn", str(path)], *words)
    assert env.counts() == before


ROSTER_BAD = {
    "named id column missing": (
        b"Name,Mail\nAnn,ann@x.example\n",
        ["--id-column", "Student ID"],
        ("The student id column 'Student ID' is not in roster.csv", "Its columns are: 'Name', 'Mail'"),
    ),
    "binary file": (PNG, [], ("roster.csv", "not a text file")),
    "named attribute column missing": (
        b"Student ID,Email\nu1,a@x.example\n",
        ["--attribute-column", "Age band"],
        ("The attribute column 'Age band' is not in roster.csv",),
    ),
}


@pytest.mark.parametrize("case", list(ROSTER_BAD))
def test_roster_refused(env, capsys, case):
    data, extra, words = ROSTER_BAD[case]
    path = env.file("roster.csv", data)
    before = env.counts()
    refused(capsys, 2, ["roster", "--db", str(env.db), "--course", "2025-autumn", *extra, str(path)], *words)
    assert env.counts() == before


def _graded(env: Env) -> list[Any]:
    return [s for s in env.students() if s.final_grade is not None][:12]


def _gradebook(env: Env, extra: str = "Comment") -> str:
    """A European spreadsheet export: semicolons, decimal commas, accents, CRLF."""
    rows = [
        f"{s.student_id};{s.email};{s.final_grade:.1f};Zoë Müller;0;{s.result}".replace(
            f"{s.final_grade:.1f}", f"{s.final_grade:.1f}".replace(".", ",")
        )
        for s in _graded(env)
    ]
    return f"Student ID;Email;Final grade;Name;{extra};Result\r\n" + "\r\n".join(rows) + "\r\n"


READ_WITH_WARNING = {
    "Windows-1252": (lambda e: _gradebook(e).encode("cp1252"), "read as Windows-1252"),
    "UTF-16 without BOM": (lambda e: _gradebook(e).encode("utf-16-le"), "UTF-16 without a byte-order mark"),
    "repeated header": (
        lambda e: _gradebook(e, extra="Final grade").encode(),
        "The column 'Final grade' appears 2 times in gb.csv; the first one was used",
    ),
}


@pytest.mark.parametrize("case", list(READ_WITH_WARNING))
def test_gradebook_read_with_a_warning(env, capsys, case):
    make, warning = READ_WITH_WARNING[case]
    path = env.file("gb.csv", make(env))
    code, out, err = cli(
        capsys, "outcomes", "--db", str(env.db), "--course", "2025-autumn", str(path), "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    assert any(warning in w for w in report["warnings"]), report["warnings"]
    assert report["matched"] == 12
    conn = sqlite3.connect(env.db)
    try:
        grades = sorted(g for (g,) in conn.execute("SELECT final_grade FROM outcomes WHERE course = 1"))
    finally:
        conn.close()
    assert grades == pytest.approx(sorted(round(s.final_grade, 1) for s in _graded(env)))


# --- interventions done outside the app (CSV with dates) -----------------------------------------


def _who(env: Env) -> list[str]:
    conn = sqlite3.connect(env.db)
    try:
        return [
            r[0]
            for r in conn.execute(
                "SELECT a.label FROM actors a JOIN enrolments e ON e.actor = a.id WHERE e.course = 2 ORDER BY a.id LIMIT 2"
            )
        ]
    finally:
        conn.close()


INTERVENTIONS_BAD = {
    "month-first date": (
        lambda e, w: f"student,date,group\n{w[0]},03/10/2026,treated\n{w[1]},2026-10-03,control\n",
        "utf-8",
        1,
        ("row 2: date '03/10/2026' is not an ISO date like 2024-03-15", "Nothing was written"),
    ),
    "day-first dotted date": (
        lambda e, w: f"student,date,group\n{w[0]},03.10.2026,treated\n",
        "utf-8",
        1,
        ("row 2: date '03.10.2026' is not an ISO date",),
    ),
    "impossible date": (
        lambda e, w: f"student,date,group\n{w[0]},2026-02-30,treated\n",
        "utf-8",
        1,
        ("row 2: date '2026-02-30' is not an ISO date",),
    ),
    "repeated header": (
        lambda e, w: f"student,date,date,group\n{w[0]},2026-10-03,2026-10-04,treated\n",
        "utf-8",
        2,
        ("iv.csv: the column(s) ['date'] appear more than once",),
    ),
    "missing column": (
        lambda e, w: f"student,when\n{w[0]},2026-10-03\n",
        "utf-8",
        2,
        ("iv.csv has no column(s) ['date', 'group']", "needs student, date and group"),
    ),
    "binary file": (lambda e, w: PNG, "utf-8", 2, ("iv.csv: this is not a text file",)),
    "empty file": (lambda e, w: b"", "utf-8", 2, ("iv.csv is empty",)),
    "unknown student": (
        lambda e, w: "student,date,group\nnobody-here,2026-10-03,treated\n",
        "utf-8",
        1,
        ("row 2: no student 'nobody-here'",),
    ),
}


@pytest.mark.parametrize("case", list(INTERVENTIONS_BAD))
def test_external_interventions_refused(env, capsys, case):
    make, encoding, code, words = INTERVENTIONS_BAD[case]
    data = make(env, _who(env))
    path = env.file("iv.csv", data if isinstance(data, bytes) else data.encode(encoding))
    before = env.counts()
    _code, _out, err = cli(
        capsys, "interventions", "import", "--db", str(env.db), "--course", "2026-autumn", str(path)
    )
    assert _code == code, err
    for w in words:
        assert w in err, f"{w!r} not in {err!r}"
    assert env.counts() == before


def test_external_interventions_in_windows_1252_are_read(env, capsys):
    """Issue 10: the interventions CSV is read by core.tabular like a gradebook, so a file
    saved by Excel as Windows-1252 is imported with its accents intact (it was refused)."""
    w = _who(env)
    path = env.file("iv.csv", f"student,date,group,note\n{w[0]},2026-10-03,treated,Café\n".encode("cp1252"))
    code, _out, err = cli(
        capsys, "interventions", "import", "--db", str(env.db), "--course", "2026-autumn", str(path)
    )
    assert code == 0, err
    conn = sqlite3.connect(env.db)
    try:
        assert conn.execute("SELECT body FROM interventions WHERE rule = 'external'").fetchall() == [
            ("Café",)
        ]
    finally:
        conn.close()


def test_external_interventions_iso_date_is_read_as_written(env, capsys):
    """2026-10-03 is the 3rd of October: stored as that day, never re-read day-first."""
    w = _who(env)
    path = env.file(
        "iv.csv", f"student,date,group\n{w[0]},2026-10-03,treated\n{w[1]},2026-10-03T14:30:00,control\n"
    )
    code, out, err = cli(
        capsys, "interventions", "import", "--db", str(env.db), "--course", "2026-autumn", str(path)
    )
    assert code == 0, err
    conn = sqlite3.connect(env.db)
    try:
        assert [r[0] for r in conn.execute("SELECT date FROM interventions WHERE rule = 'external'")] == [
            "2026-10-03"
        ] * 2
    finally:
        conn.close()


DATE_OPTIONS = {
    "features --as-of": (
        [
            "features",
            "--db",
            "{db}",
            "--course",
            "2026-autumn",
            "--as-of",
            "03/10/2026",
            "--out",
            "{folder}/f.csv",
        ],
        ("--as-of must be a date (2026-10-26) or a date-time, got '03/10/2026'",),
    ),
    "courses --start": (
        ["courses", "--db", "{db}", "--course", "2026-autumn", "--start", "10/03/2026"],
        ("The start date must look like 2026-09-14, got '10/03/2026'",),
    ),
    "draft --as-of": (
        ["interventions", "draft", "--db", "{db}", "--course", "2026-autumn", "--as-of", "3.10.2026"],
        ("--as-of '3.10.2026' is not a date like 2024-03-15",),
    ),
}


@pytest.mark.parametrize("case", list(DATE_OPTIONS))
def test_dates_in_local_formats_on_the_command_line(env, capsys, case):
    argv, words = DATE_OPTIONS[case]
    before = env.counts()
    refused(capsys, 2, [a.format(db=env.db, folder=env.folder) for a in argv], *words)
    assert env.counts() == before
    assert not (env.folder / "f.csv").exists()


# --- pseudonymisation key files -----------------------------------------------------------------

KEYS_BAD = {
    "too short": (b"0123abcd\n", ("the key in", "key.txt is 4 bytes; at least 32 are needed")),
    "not hex (JSON)": (b'{"key": "0123"}\n', ("key.txt does not hold a hex key (expected 64 hex digits",)),
    "empty": (b"", ("key.txt is 0 bytes; at least 32 are needed",)),
    "binary": (PNG, ("key.txt cannot be read as a key",)),
    "missing": (None, ("key.txt does not exist", "learnalytics keygen")),
}


@pytest.mark.parametrize("case", list(KEYS_BAD))
def test_key_file_refused(env, capsys, case):
    from learnalytics_desktop.core.ingest.pseudonym import KeyFileError, load_key
    from learnalytics_desktop.gui.pages.ingest.jobs import run_import

    data, words = KEYS_BAD[case]
    key = env.folder / "key.txt"
    if data is not None:
        key.write_bytes(data)
    with pytest.raises(KeyFileError) as info:
        load_key(key)
    for w in words:
        assert w in str(info.value)
    target = env.folder / "new.db"
    src = env.demo.files.xapi_files[0]
    refused(
        capsys, 2, ["import", "--db", str(target), "--pseudonymize", "--key-file", str(key), str(src)], *words
    )
    assert not target.exists()  # refused before the database was created
    with pytest.raises(KeyFileError, match="key.txt"):  # the Import page's job: the same message
        run_import(target, [src], key_file=key)
    assert not target.exists()
    before = env.counts()
    refused(
        capsys,
        2,
        [
            "roster",
            "--db",
            str(env.db),
            "--course",
            "2025-autumn",
            "--key-file",
            str(key),
            str(env.demo.files.rosters[env.demo.files.offering("2025-autumn").iri]),
        ],
        *words,
    )
    assert env.counts() == before


# --- model files from elsewhere --------------------------------------------------------------------


def _register_model(env: Env, model_file: Path) -> str:
    conn = sqlite3.connect(env.db)
    try:
        conn.execute(
            "INSERT INTO models(id, created_at, kind, week, courses, card, file) VALUES "
            "('m-elsewhere', '2026-11-01T10:00:00Z', 'logreg', 4, '[]', '{}', ?)",
            (str(model_file),),
        )
        conn.commit()
    finally:
        conn.close()
    return "m-elsewhere"


def _foreign(env, path, monkeypatch):
    from learnalytics_desktop.core.model.signing import save_signed

    with monkeypatch.context() as m:
        m.setenv("LEARNALYTICS_HOME", str(env.folder / "other-computer"))
        save_signed({"model_id": "m-elsewhere"}, path)


def _tampered(env, path, monkeypatch):
    from learnalytics_desktop.core.model.signing import save_signed

    save_signed({"model_id": "m-elsewhere"}, path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _unsigned(env, path, monkeypatch):
    import joblib

    joblib.dump({"model_id": "m-elsewhere"}, path)


def _bad_sidecar(env, path, monkeypatch):
    from learnalytics_desktop.core.model.signing import save_signed, sidecar_path

    save_signed({"model_id": "m-elsewhere"}, path)
    sidecar_path(path).write_bytes(PNG)


MODELS_BAD = {
    "from another installation": (_foreign, ("written by another installation", "retrain the model here")),
    "tampered with": (_tampered, ("was changed after this installation wrote it",)),
    "unsigned": (_unsigned, ("it has no signature", "was not written by this installation")),
    "signature not JSON": (_bad_sidecar, ("its signature file", "is unreadable")),
    "file missing": (lambda env, path, mp: None, ("is missing", "retrain here")),
}


@pytest.mark.parametrize("case", list(MODELS_BAD))
def test_model_file_refused(env, capsys, monkeypatch, case):
    from learnalytics_desktop.core.model.registry import load_model
    from learnalytics_desktop.core.model.signing import ModelFileError, model_file

    make, words = MODELS_BAD[case]
    path = model_file("m-elsewhere")  # models load only from <models>/<id>.joblib (finding 10)
    make(env, path, monkeypatch)
    model_id = _register_model(env, path)
    conn = sqlite3.connect(env.db)
    try:
        with pytest.raises(ModelFileError) as info:
            load_model(conn, model_id)
    finally:
        conn.close()
    for w in words:
        assert w in str(info.value)
    before = env.counts()
    out = env.folder / "risk.csv"
    refused(
        capsys,
        2,
        [
            "score",
            "--db",
            str(env.db),
            "--course",
            "2026-autumn",
            "--week",
            "4",
            "--model",
            model_id,
            "--out",
            str(out),
        ],
        *words,
    )
    assert env.counts() == before and not out.exists()


# --- JSON files (intervention rules) ----------------------------------------------------------------

RULES_BAD = {
    "not JSON": (b"rules: [high risk]\n", ("cannot read rules from", "rules.json", "line 1 column 1")),
    "binary": (PNG, ("cannot read rules from", "rules.json")),
    "empty": (b"", ("cannot read rules from", "rules.json")),
    "JSON of the wrong shape": (b'{"rules": 5}', ("The intervention rules have no list of rules",)),
}


@pytest.mark.parametrize("case", list(RULES_BAD))
def test_rules_file_refused(env, capsys, case):
    data, words = RULES_BAD[case]
    path = env.file("rules.json", data)
    before = env.counts()
    refused(capsys, 2, ["interventions", "rules", "--db", str(env.db), "--set", str(path)], *words)
    assert env.counts() == before


# --- statement files --------------------------------------------------------------------------------


def _traversal_zip(env: Env, path: Path) -> None:
    lines = env.demo.files.xapi_files[0].read_text(encoding="utf-8").splitlines()[:30]
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("../../../../tmp/evil-member.jsonl", "\n".join(lines[:20]) + "\n")
        zf.writestr("/etc/cron.d/evil.jsonl", "\n".join(lines[20:30]) + "\n")


STATEMENT_FILES = {
    # name: (file name, bytes or builder, (rule, words in its reason) or None, words in the file's notes)
    "not JSON": (
        "notes.json",
        b"Dear advisor,\nhere are the statements you asked for.\n",
        # format detection reads text with commas as a table it does not know (core.ingest.detect)
        ("format.unknown", "not a known log format"),
        (),
    ),
    "binary": ("export.json", PNG, ("file.encoding", "NUL bytes", "not UTF-8 JSON"), ()),
    "UTF-16": (
        "utf16.jsonl",
        '{"id": 1}\n'.encode("utf-16"),
        ("file.encoding", "UTF-16", "save the file as UTF-8"),
        (),
    ),
    "empty": ("empty.jsonl", b"", None, ("the file is empty",)),
    "zip with path-traversal names": (
        "evil.zip",
        _traversal_zip,
        None,
        (
            "member ../../../../tmp/evil-member.jsonl: its name points outside the archive",
            "nothing is ever extracted",
        ),
    ),
    "damaged zip": ("broken.zip", b"PK\x03\x04" + bytes(100), ("archive.damaged", "cannot be opened"), ()),
}


@pytest.mark.parametrize("case", list(STATEMENT_FILES))
def test_statement_files(env, capsys, case):
    """Statement files are data: what cannot be read is kept as a reject with its reason and
    location (or, for what holds no record, a note on the file), never stored, never a crash;
    the command line and the Import page's job report the same."""
    from learnalytics_desktop.gui.pages.ingest.jobs import run_import

    name, data, reject, notes = STATEMENT_FILES[case]
    path = env.folder / name
    if callable(data):
        data(env, path)
    else:
        path.write_bytes(data)
    before = env.counts()
    code, out, err = cli(capsys, "import", "--db", str(env.db), str(path), "--workers", "0", "--json")
    assert code == 0, err
    report = json.loads(out)
    conn = sqlite3.connect(env.db)
    try:
        rejects = conn.execute(
            "SELECT location, rule, reason FROM rejects WHERE source = ?", (str(path),)
        ).fetchall()
        stored = conn.execute(
            "SELECT count(*) FROM statements WHERE import_id IN (SELECT id FROM imports WHERE source = ?)",
            (str(path),),
        ).fetchone()[0]
    finally:
        conn.close()
    file_notes = report["files"][0]["notes"]
    for w in notes:
        assert any(w in n for n in file_notes), file_notes
    if reject is not None:
        rule, *words = reject
        assert stored == 0 and report["stored"] == 0 and report["rejected"] == len(rejects) >= 1
        assert any(r[1] == rule and r[0] and all(w in r[2] for w in words) for r in rejects), rejects
    after = env.counts()
    if case == "zip with path-traversal names":
        assert report["read"] == 30  # read as data (here: the demo's own statements again, so duplicates)
        assert stored == report["stored"] == 30 - report["rejected"] - report["duplicates"]
        assert not Path("/tmp/evil-member.jsonl").exists() and not Path("/etc/cron.d/evil.jsonl").exists()
        assert all(loc.startswith("member ") for loc, _r, _w in rejects)
    else:
        assert after["statements"] == before["statements"]
    outcome = run_import(env.db, [path])  # the Import page's job on the same file: the same report
    assert [n for n in outcome.notes() if path.name in n] == [f"{path.name}: {n}" for n in file_notes]
    again = outcome.counts()  # a new run over the same file: what was stored or quarantined
    # is now a duplicate (issue 15, finding 12: the quarantine does not grow)
    assert again["read"] == report["read"] and again["rejected"] == 0, (again, report)
    assert again["stored"] == 0
    assert again["duplicates"] == report["stored"] + report["duplicates"] + report["rejected"]
