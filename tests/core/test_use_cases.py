"""One use case, one core function: the command line and the app record the same things."""

from __future__ import annotations

import csv
import json

from learnalytics_desktop.cli import main
from learnalytics_desktop.core.privacy.backup import backup_database
from learnalytics_desktop.core.store import open_db
from learnalytics_desktop.core.store.audit_log import export_audit_log


def _details(path, action):
    conn = open_db(path, create=False)
    try:
        return [
            json.loads(d) for (d,) in conn.execute("SELECT detail FROM audit_log WHERE action = ?", (action,))
        ]
    finally:
        conn.close()


def test_backup_is_audited_the_same_from_the_cli_and_the_app(tmp_path):
    db = tmp_path / "a.db"
    open_db(db).close()
    assert main(["backup", "--db", str(db), "--out", str(tmp_path / "cli.db")]) == 0
    backup_database(db, tmp_path / "app.db")  # what File ▸ Backup copy and the Privacy tab run
    cli, app = _details(db, "backup")
    assert set(cli) == set(app) == {"dest", "bytes"}
    assert cli["dest"].endswith("cli.db") and app["dest"].endswith("app.db")


def test_backup_refuses_the_database_itself_and_a_missing_folder(tmp_path):
    import pytest

    from learnalytics_desktop.core.store.db import DatabaseError

    db = tmp_path / "a.db"
    open_db(db).close()
    with pytest.raises(DatabaseError, match="another file"):
        backup_database(db, db)
    with pytest.raises(DatabaseError, match="does not exist"):
        backup_database(db, tmp_path / "nowhere" / "b.db")
    assert _details(db, "backup") == []


def test_audit_log_export_is_recorded_from_the_cli_and_the_app(tmp_path, capsys):
    db = tmp_path / "a.db"
    conn = open_db(db)
    n_app = export_audit_log(conn, tmp_path / "app.csv")
    conn.close()
    assert main(["audit", "--db", str(db), "--csv", str(tmp_path / "cli.csv")]) == 0
    exports = _details(db, "export")
    assert [e["what"] for e in exports] == ["audit log", "audit log"]
    with (tmp_path / "cli.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == n_app + 1  # the app's export is in the CLI's file, not its own
    assert list(rows[0]) == ["id", "at", "user", "action", "detail"]


def test_category_page_names_a_verb_as_the_importer_does(db):
    """The Settings page read language maps in another order (en-GB before en) than the
    importer; both now use core.ingest.xapi.fields.pick_name."""
    from learnalytics_desktop.core.ingest.category_usage import load_categories
    from learnalytics_desktop.core.ingest.xapi.fields import pick_name

    display = {"fr": "terminé", "en-GB": "finished", "en": "completed"}
    db.execute("INSERT INTO verbs(iri, display) VALUES ('https://x.org/v', ?)", (json.dumps(display),))
    (row,) = [r for r in load_categories(db).rows if r.iri == "https://x.org/v"]
    assert row.name == pick_name(display) == "completed"


def test_outcome_counts_per_offering(db):
    from learnalytics_desktop.core.outcomes import outcome_counts

    db.execute(
        "INSERT INTO courses(id, iri, name) VALUES (1, 'https://x.org/c1', 'C1'), (2, 'https://x.org/c2', 'C2')"
    )
    for a in (1, 2, 3):
        db.execute(
            "INSERT INTO actors(id, ifi, kind, label) VALUES (?, ?, 'account', ?)", (a, f"a:{a}", f"s{a}")
        )
        db.execute("INSERT INTO outcomes(course, actor, final_grade) VALUES (1, ?, 50)", (a,))
    assert outcome_counts(db) == {1: 3}


def test_cli_outcomes_in_a_pseudonymised_database_use_the_home_page(tmp_path, capsys):
    """``outcomes --key-file K --home-page URL`` (the dialog's import_file underneath): bare
    account names in the gradebook are hashed with the home page and matched."""
    import uuid

    lms, course = "https://lms.example.org", "https://x.example/courses/c1"
    names = ["ann.lee", "bob.stone", "cy.park"]
    src = tmp_path / "s.jsonl"
    src.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": str(uuid.uuid4()),
                    "actor": {"account": {"homePage": lms, "name": n}},
                    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                    "object": {"id": "https://x.example/a/1"},
                    "timestamp": "2026-01-05T10:00:00Z",
                }
            )
            for n in names
        )
        + "\n",
        encoding="utf-8",
    )
    key, db = tmp_path / "k.key", tmp_path / "p.db"
    assert main(["keygen", "--key-file", str(key)]) == 0
    assert (
        main(
            [
                "import",
                "--db",
                str(db),
                "--pseudonymize",
                "--key-file",
                str(key),
                "--course-fallback",
                course,
                str(src),
            ]
        )
        == 0
    )
    grades = tmp_path / "grades.csv"
    grades.write_text(
        "Student ID,Final grade\n" + "".join(f"{n},{60 + i}\n" for i, n in enumerate(names)), encoding="utf-8"
    )
    capsys.readouterr()
    args = ["outcomes", "--db", str(db), "--course", course, str(grades), "--key-file", str(key), "--json"]
    assert main([*args, "--home-page", lms]) == 0
    assert json.loads(capsys.readouterr().out)["matched"] == 3
