"""The command-line contract of validate / import / rejects / keygen: output keys and exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3

import pytest
from test_importer_helpers import stmt, write_jsonl

from learnalytics_desktop.cli import main

KEYS = ("read", "stored", "duplicates", "conflicts", "rejected", "voided")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def src(tmp_path):
    return write_jsonl(
        tmp_path / "s.jsonl",
        [stmt(1), stmt(2), stmt(1), {"actor": {}}, dict(stmt(3), id='=HYPERLINK("http://evil")')],
    )


def test_import_json_contract(capsys, tmp_path, src):
    code, out, err = run(capsys, "import", "--db", str(tmp_path / "x.db"), str(src), "--json")
    assert code == 0
    data = json.loads(out)
    assert list(data)[:6] == list(KEYS)
    assert all(type(data[k]) is int for k in KEYS)
    assert data["read"] == data["stored"] + data["duplicates"] + data["conflicts"] + data["rejected"]
    assert (data["read"], data["stored"], data["duplicates"], data["rejected"]) == (5, 2, 1, 2)
    code, out, _ = run(capsys, "import", "--db", str(tmp_path / "x.db"), str(src))
    # the rejected records are already quarantined: duplicates too (issue 15, finding 12)
    assert code == 0 and "Read 5 records: 0 stored, 5 duplicates, 0 conflicts, 0 rejected" in out


def test_import_cannot_run_exits_2_with_one_line(capsys, tmp_path, src):
    code, out, err = run(capsys, "import", "--db", str(tmp_path / "x.db"), str(tmp_path / "missing.json"))
    assert code == 2 and "missing.json does not exist" in err and err.count("\n") == 1
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 100)
    code, _, err = run(capsys, "import", "--db", str(bad), str(src))
    assert code == 2 and "not a Learnalytics database" in err
    code, _, err = run(capsys, "import", "--db", str(tmp_path / "nofolder" / "x.db"), str(src))
    assert code == 2 and "does not exist" in err
    code, _, err = run(capsys, "import", "--db", str(tmp_path / "x.db"), str(src), "--pseudonymize")
    assert code == 2 and "--key-file" in err
    short = tmp_path / "short.key"
    short.write_text("abcd")
    code, _, err = run(
        capsys, "import", "--db", str(tmp_path / "x.db"), str(src), "--pseudonymize", "--key-file", str(short)
    )
    assert code == 2 and "at least 32" in err
    code, _, err = run(
        capsys,
        "import",
        "--db",
        str(tmp_path / "x.db"),
        str(src),
        "--pseudonymize",
        "--key-file",
        str(tmp_path / "nokey"),
    )
    assert code == 2 and "keygen" in err


def test_keygen_and_pseudonymised_import(capsys, tmp_path, src):
    key = tmp_path / "k.hex"
    code, out, _ = run(capsys, "keygen", "--key-file", str(key))
    assert code == 0 and key.exists()
    if os.name == "posix":
        assert key.stat().st_mode & 0o777 == 0o600
    assert len(bytes.fromhex(key.read_text().strip())) == 32
    code, _, err = run(capsys, "keygen", "--key-file", str(key))
    assert code == 2 and "already exists" in err
    code, out, _ = run(
        capsys,
        "import",
        "--db",
        str(tmp_path / "p.db"),
        str(src),
        "--pseudonymize",
        "--key-file",
        str(key),
        "--json",
    )
    assert code == 0 and json.loads(out)["pseudonymized"] is True
    conn = sqlite3.connect(tmp_path / "p.db")
    assert {r[0][:7] for r in conn.execute("SELECT ifi FROM actors")} == {"pseudo:"}
    conn.close()


def test_validate_exit_codes_and_json(capsys, tmp_path, src):
    good = write_jsonl(tmp_path / "good.jsonl", [stmt(1), stmt(2)])
    code, out, _ = run(capsys, "validate", str(good))
    assert code == 0 and "2 records: 2 valid, 0 invalid" in out and out.count(": ok ") == 2
    code, out, _ = run(capsys, "validate", str(src), "--json")
    assert code == 1
    data = json.loads(out)
    assert (data["read"], data["valid"], data["invalid"]) == (5, 3, 2)
    bad = [r for r in data["results"] if not r["ok"]]
    assert {r["location"] for r in bad} == {"line 4", "line 5"} and all(
        r["rule"] and r["reason"] for r in bad
    )
    code, out, _ = run(capsys, "validate", "--quiet", str(src))
    assert code == 1 and ": ok " not in out and out.count("INVALID") == 2
    code, _, err = run(capsys, "validate", str(tmp_path / "none.json"))
    assert code == 2 and "does not exist" in err
    assert not (tmp_path / "x.db").exists()  # validate stores nothing


def test_rejects_listing_and_safe_csv(capsys, tmp_path, src):
    db = tmp_path / "x.db"
    run(capsys, "import", "--db", str(db), str(src))
    code, out, _ = run(capsys, "rejects", "--db", str(db))
    assert code == 0 and "2 rejected records" in out and "[id.uuid]" in out
    out_csv = tmp_path / "rejects.csv"
    code, out, _ = run(capsys, "rejects", "--db", str(db), "--csv", str(out_csv))
    assert code == 0
    raw = out_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["import_id", "source", "location", "statement_id", "rule", "reason", "excerpt"]
    ids = [r[3] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil")' in ids  # neutralised formula
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)
    code, out, _ = run(capsys, "rejects", "--db", str(db), "--json")
    assert code == 0 and len(json.loads(out)) == 2
    code, _, err = run(capsys, "rejects", "--db", str(tmp_path / "none.db"))
    assert code == 2 and "no database" in err
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM audit_log WHERE action='export'").fetchone() == (1,)
    conn.close()


def test_validate_and_import_an_edx_log(capsys, tmp_path):
    log = tmp_path / "tracking.log"
    base = {
        "username": "ann",
        "context": {"user_id": 5, "course_id": "course-v1:X+Y+Z"},
        "event_source": "server",
    }
    log.write_text(
        json.dumps(
            dict(
                base,
                event_type="showanswer",
                event={"problem_id": "block-v1:X+Y+Z+type@problem+block@1"},
                time="2024-03-01T10:00:00+00:00",
            )
        )
        + "\n"
        + json.dumps(dict(base, event_type="/courses/x/", event="{}", time="2024-03-01T10:00:01+00:00"))
        + "\n"
    )
    code, out, _err = run(capsys, "validate", str(log))
    assert code == 0 and "skipped: Open edX web-server request line" in out
    assert "2 records: 2 valid, 0 invalid (1 valid but skipped" in out
    code, out, _err = run(
        capsys,
        "import",
        "--db",
        str(tmp_path / "x.db"),
        str(log),
        "--home-page",
        "https://lms.example.edu",
        "--json",
    )
    data = json.loads(out)
    assert code == 0 and list(data)[:7] == [*KEYS, "skipped"]
    assert (data["read"], data["stored"], data["skipped"]) == (2, 1, 1)
    assert data["files"][0]["format"] == "edx" and data["skips_by_reason"]
    with pytest.raises(SystemExit) as exc:
        run(capsys, "import", "--db", str(tmp_path / "x.db"), str(log), "--format", "nope")
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err
