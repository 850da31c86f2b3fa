"""impact_from_db (log hold-out, treated vs untreated, groups tables) and the command line."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_interventions_support import AS_OF, build_course, write_outcomes

from learnalytics_desktop.cli import main
from learnalytics_desktop.core import features as features_pkg
from learnalytics_desktop.core.impact import ImpactError, impact_frame, impact_from_db, read_groups_csv
from learnalytics_desktop.core.interventions import (
    approve,
    default_rules,
    draft_interventions,
    export_csv,
    save_rules,
)

EFFECT = 5.0


def _grades(s, treated, seed=0):
    rng = np.random.default_rng(seed)
    return {a: float(85 - 40 * s.risk[a] + EFFECT * (a in treated) + rng.normal(0, 4)) for a in s.actors}


def test_randomised_holdout_from_the_log(db):
    s = build_course(db, 240, seed=1)
    batch = draft_interventions(
        db,
        s.course_id,
        s.actors,
        as_of=AS_OF,
        features=s.features,
        ignore_risk_gate=True,
        holdout_fraction=0.3,
        seed=5,
    )
    write_outcomes(db, s.course_id, _grades(s, set(batch.treated_actors)))
    frame, meta = impact_frame(db, s.course_id, None, "final_grade")
    assert (
        meta["randomised"]
        and "risk_score" in meta["covariates"]
        and "days_since_last_activity" in meta["covariates"]
    )
    assert set(frame.loc[frame["group"] == "control", "actor"]) == set(batch.held_out_actors)
    # stored snapshot, not recomputed: the risk is the one at drafting time
    row = frame.set_index("actor").loc[batch.treated_actors[0]]
    assert row["risk_score"] == pytest.approx(s.risk[batch.treated_actors[0]])
    r = impact_from_db(db, s.course_id, None, "final_grade", n_boot=200)
    assert r.randomised and r.recommended == "naive"
    e = r.estimates["naive"]
    assert e.ci_low <= EFFECT <= e.ci_high and e.excludes_zero
    assert r.diagnostics["source"] == "interventions log (holdout)"


def test_untreated_comparison_by_the_risk_gate_is_a_threshold_design(db, monkeypatch):
    s = build_course(db, 400, seed=2)
    monkeypatch.setattr(features_pkg, "compute_features", lambda conn, course_id, as_of: s.features)
    save_rules(db, replace(default_rules(), advisor="Sam Advisor"))
    batch = draft_interventions(
        db, s.course_id, s.actors, as_of=AS_OF, features=s.features
    )  # the risk gate picks who
    approve(db, batch.treated_ids)
    export_csv(db, db_path_sibling(db, "x.csv"), course_id=s.course_id, mark_exported=True)
    treated = set(batch.treated_actors)
    assert 40 < len(treated) < 300
    write_outcomes(db, s.course_id, _grades(s, treated, seed=3))
    r = impact_from_db(db, s.course_id, None, "final_grade", comparison="untreated", n_boot=300)
    # the drafting log knows the risk gate, so the cut-off gives a regression discontinuity
    assert not r.randomised and r.recommended == "rd" and r.confounded is True
    assert r.selection == "threshold" and r.diagnostics["rd"]["cutoff"] == default_rules().risk_threshold
    assert r.estimates["naive"].estimate < 0  # at-risk students were chosen: naive is misleading
    rd = r.estimates["rd"]
    assert rd.ci_low <= EFFECT <= rd.ci_high
    assert r.n["treated"] == len(treated) and r.n["control"] == 400 - len(treated)
    assert "near the threshold" in r.verdict or "near the risk cut-off" in r.verdict


def db_path_sibling(conn, name):
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    return str(Path(path).with_name(name))


def test_groups_table_with_dates_and_eligibility(db, monkeypatch, tmp_path):
    s = build_course(db, 60, seed=4)
    seen = []

    def fake(conn, course_id, as_of):
        seen.append(as_of)
        return s.features

    monkeypatch.setattr(features_pkg, "compute_features", fake)
    write_outcomes(db, s.course_id, _grades(s, set(s.actors[:30])))
    lines = ["student,group,date,eligible"]
    for i, _a in enumerate(s.actors):
        label = f"s{i:03d}"
        group = "treated" if i < 30 else "control"
        date = "2024-03-12" if i < 30 else ""
        lines.append(f"{label},{group},{date},{0 if i in (0, 59) else 1}")
    path = tmp_path / "groups.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    groups = read_groups_csv(path)
    frame, meta = impact_frame(db, s.course_id, groups, "final_grade")
    assert len(frame) == 58 and not meta["randomised"]
    assert any("2 rows were not eligible" in w for w in meta["warnings"])
    assert any("compared as of 2024-03-12" in w for w in meta["warnings"])
    assert {a.isoformat() for a in seen} == {"2024-03-12T00:00:00+00:00"}  # start of the intervention day
    # the stored score run (2024-03-11) is the latest before that day
    assert frame["risk_score"].notna().all()
    r = impact_from_db(db, s.course_id, groups, "final_grade", n_boot=100)
    assert "adjusted" in r.estimates


def test_groups_table_problems_name_the_rows(db, tmp_path):
    s = build_course(db, 5, seed=5)
    path = tmp_path / "g.csv"
    path.write_text(
        "student,group,eligible\ns000,treated,1\nghost,control,1\ns001,maybe,1\ns002,control,perhaps\n"
        "s000,control,1\n",
        encoding="utf-8",
    )
    with pytest.raises(ImpactError) as info:
        impact_frame(db, s.course_id, read_groups_csv(path), "final_grade")
    text = str(info.value)
    assert "row 3: no student 'ghost'" in text and "row 4: group 'maybe'" in text
    assert "row 5: eligible 'perhaps'" in text and "row 6: 's000' already appears in row 2" in text
    path.write_text("name,group\nx,treated\n", encoding="utf-8")
    with pytest.raises(ImpactError, match="needs student and group"):
        read_groups_csv(path)


def test_groups_csv_is_read_by_the_one_tabular_reader(tmp_path):
    """Excel's exports: UTF-16 with tabs, Windows-1252 with semicolons, headers in any case."""
    path = tmp_path / "g.csv"
    path.write_bytes("Student\tGroup\tDate\nJosé\ttreated\t2024-03-12\n".encode("utf-16"))
    frame = read_groups_csv(path)
    assert frame.loc[0, "student"] == "José" and frame.loc[0, "group"] == "treated"
    assert frame.loc[0, "date"] == "2024-03-12" and frame.loc[0, "_row"] == 2
    path.write_bytes("student;group;Eligible\nRenée;control;1\n".encode("cp1252"))
    frame = read_groups_csv(path)
    assert frame.loc[0, "student"] == "Renée" and frame.loc[0, "eligible"] == "1"


def test_unknown_outcome_lists_the_choices(db):
    s = build_course(db, 4)
    db.execute(
        "INSERT INTO attributes(course, actor, key, value) VALUES (?, ?, 'exam_score', '71.5')",
        (s.course_id, s.actors[0]),
    )
    with pytest.raises(
        ImpactError, match="final_grade, passed, withdrew, passed_not_withdrawn; attributes: exam_score"
    ):
        impact_frame(db, s.course_id, pd.DataFrame({"student": ["s000"], "group": ["treated"]}), "grade")


def test_log_without_holdout_is_explained(db):
    s = build_course(db, 10)
    with pytest.raises(ImpactError, match="no randomised hold-out"):
        impact_frame(db, s.course_id, None, "final_grade")
    with pytest.raises(ImpactError, match="exported or marked done"):
        impact_frame(db, s.course_id, None, "final_grade", comparison="untreated")


# --- command line ------------------------------------------------------------------------


def _db_file(db):
    return db.execute("PRAGMA database_list").fetchone()[2]


def test_cli_impact_json(db, tmp_path, monkeypatch, capsys):
    s = build_course(db, 120, seed=6)
    monkeypatch.setattr(features_pkg, "compute_features", lambda conn, course_id, as_of: s.features)
    rng = np.random.default_rng(0)
    treated = {a for a in s.actors if rng.uniform() < s.risk[a]}  # confounded choice
    write_outcomes(db, s.course_id, _grades(s, treated))
    path = tmp_path / "groups.csv"
    path.write_text(
        "student,group,date\n"
        + "".join(
            f"s{i:03d},{'treated' if a in treated else 'control'},2024-03-12\n"
            for i, a in enumerate(s.actors)
        ),
        encoding="utf-8",
    )
    report = tmp_path / "report.html"
    code = main(
        [
            "impact",
            "--db",
            _db_file(db),
            "--course",
            "Statistics 101",
            "--groups",
            str(path),
            "--outcome",
            "final_grade",
            "--json",
            "--bootstrap",
            "200",
            "--report",
            str(report),
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    for key in ("naive", "adjusted"):
        assert {"estimate", "ci_low", "ci_high", "p_value", "method"} <= set(out["estimates"][key])
    assert out["recommended"] == "adjusted" and out["balance"] and isinstance(out["warnings"], list)
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'export'").fetchone()[0] == 1
    code = main(
        [
            "impact",
            "--db",
            _db_file(db),
            "--course",
            "Statistics 101",
            "--groups",
            str(path),
            "--bootstrap",
            "200",
        ]
    )
    text = capsys.readouterr().out
    assert code == 0 and "recommended" in text and "95% CI" in text


def test_cli_errors_are_one_line(db, tmp_path, capsys):
    build_course(db, 4)
    code = main(["impact", "--db", _db_file(db), "--course", "nope", "--groups", str(tmp_path / "none.csv")])
    assert code == 2 and "No course offering matches 'nope'" in capsys.readouterr().err
    code = main(
        ["impact", "--db", _db_file(db), "--course", "Statistics 101", "--groups", str(tmp_path / "none.csv")]
    )
    assert code == 2 and "no file" in capsys.readouterr().err


def test_cli_interventions_round_trip(db, tmp_path, monkeypatch, capsys):
    s = build_course(db, 40, seed=7)
    monkeypatch.setattr(features_pkg, "compute_features", lambda conn, course_id, as_of: s.features)
    dbf = _db_file(db)
    assert main(["interventions", "rules", "--db", dbf]) == 0
    assert "re_engagement" in capsys.readouterr().out
    code = main(
        [
            "interventions",
            "draft",
            "--db",
            dbf,
            "--course",
            "Statistics 101",
            "--as-of",
            "2024-03-10",
            "--holdout",
            "0.2",
            "--seed",
            "3",
            "--json",
        ]
    )
    batch = json.loads(capsys.readouterr().out)
    assert code == 0 and batch["seed"] == 3 and batch["treated_ids"]
    ids = ",".join(map(str, batch["treated_ids"]))
    rules_json = tmp_path / "rules.json"
    data = default_rules().to_dict()
    data["advisor"] = "Sam"
    rules_json.write_text(json.dumps(data), encoding="utf-8")
    assert main(["interventions", "rules", "--db", dbf, "--set", str(rules_json)]) == 0
    capsys.readouterr()
    code = main(["interventions", "approve", "--db", dbf, ids])
    err = capsys.readouterr().err
    assert code == 2 and "{advisor}" in err  # drafted before the advisor was set: refused, not sent half-done
    assert (
        main(
            [
                "interventions",
                "fill",
                "--db",
                dbf,
                "--course",
                "Statistics 101",
                "--placeholder",
                "advisor",
                "--value",
                "Sam",
            ]
        )
        == 0
    )
    assert (
        f"in {len(batch['treated_ids'])} draft{'s' if len(batch['treated_ids']) != 1 else ''}"
        in capsys.readouterr().out
    )  # held-out rows stay untouched
    assert main(["interventions", "approve", "--db", dbf, ids]) == 0
    out_dir = tmp_path / "eml"
    out_dir.mkdir()
    assert (
        main(["interventions", "export", "--db", dbf, "--course", "Statistics 101", "--eml", str(out_dir)])
        == 0
    )
    assert "intervention e-mails" in capsys.readouterr().out
    assert list(out_dir.glob("*.eml"))
    assert (
        main(
            [
                "interventions",
                "list",
                "--db",
                dbf,
                "--course",
                "Statistics 101",
                "--status",
                "exported",
                "--json",
            ]
        )
        == 0
    )
    listed = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in listed} == set(batch["treated_ids"])
    ext = tmp_path / "ext.csv"
    ext.write_text("student,date,group\ns000,2024-03-20,treated\nwho,2024-03-20,control\n", encoding="utf-8")
    assert main(["interventions", "import", "--db", dbf, "--course", "Statistics 101", str(ext)]) == 1
    captured = capsys.readouterr()
    assert "row 3" in captured.err and "Nothing was written" in captured.err


def test_cli_help_documents_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["impact", "--help"])
    text = capsys.readouterr().out
    assert "--groups" in text and "eligible" in text and "recommended" in text
    with pytest.raises(SystemExit):
        main(["interventions", "draft", "--help"])
    assert "only way" in capsys.readouterr().out.replace("\n", " ")


def test_cli_cutoff_gives_a_regression_discontinuity_and_runs_are_listed(db, tmp_path, monkeypatch, capsys):
    s = build_course(db, 400, seed=8)
    monkeypatch.setattr(features_pkg, "compute_features", lambda conn, course_id, as_of: s.features)
    treated = {a for a in s.actors if s.risk[a] >= 0.6}
    write_outcomes(db, s.course_id, _grades(s, treated, seed=4))
    path = tmp_path / "groups.csv"
    path.write_text(
        "student,group,date\n"
        + "".join(
            f"s{i:03d},{'treated' if a in treated else 'control'},2024-03-12\n"
            for i, a in enumerate(s.actors)
        ),
        encoding="utf-8",
    )
    args = ["impact", "--db", _db_file(db), "--course", "Statistics 101", "--groups", str(path)]
    assert main([*args, "--cutoff", "0.6", "--json", "--bootstrap", "100"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["recommended"] == "rd" and out["selection"] == "threshold" and out["confounded"] is True
    rd = out["estimates"]["rd"]
    assert rd["ci_low"] <= EFFECT <= rd["ci_high"] and "near the cut-off" in rd["population"]
    assert out["diagnostics"]["rd"]["density"]["p_value"] is not None
    assert main([*args, "--bootstrap", "100"]) == 0  # no cut-off: weighting cannot compare, so withheld
    text = capsys.readouterr().out
    assert "No overlap" in text and "withheld" in text and "points on the 0-100 final grade" in text
    assert main([*args, "--list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [a["recommended"] for a in listed] == ["adjusted", "rd"]  # newest first
    assert listed[0]["estimate"] is None and listed[0]["withheld"]
    assert listed[1]["id"] == out["analysis_id"]
