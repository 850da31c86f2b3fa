"""The impact wizard and the Impact page on demo databases: a randomised hold-out from the log,
a confounded treated-vs-untreated comparison (warning shown, adjusted estimate recommended),
a groups CSV, numbers equal to ``core.impact``'s, PDF/HTML reports with their export log
entries, past analyses on the page; and screenshots of each wizard page.

The interventions are drafted with the core (the Interventions page has its own tests).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from factories import make_demo_db

from learnalytics_desktop.core.courses import get_course, list_courses
from learnalytics_desktop.core.export import list_exports
from learnalytics_desktop.core.impact import impact_from_db, read_groups_csv
from learnalytics_desktop.core.impact.records import list_analyses
from learnalytics_desktop.core.impact.runs import AnalysisSpec, analyse
from learnalytics_desktop.core.impact.sources import source_info
from learnalytics_desktop.core.interventions import (
    approve,
    default_rules,
    draft_interventions,
    export_csv,
    fill_placeholder,
    list_interventions,
    suggest,
)
from learnalytics_desktop.core.store.db import copy_database, open_db
from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.pages.base import PageContext, Shell
from learnalytics_desktop.gui.pages.impact import impact_page
from learnalytics_desktop.gui.pages.impact.impact_page import ImpactPage
from learnalytics_desktop.gui.pages.impact.tables import balance_frame, estimates_frame
from learnalytics_desktop.gui.pages.impact.wizard import ImpactWizard

PAST = "2025-autumn"
WEEK = 6
SCREENSHOTS = os.environ.get("LEARNALYTICS_SCREENSHOTS")


def rules_for(days: float):
    """Only the re-engagement rule, firing above ``days`` days without activity, signed."""
    base = default_rules()
    rules = tuple(
        replace(r, threshold=days) if r.key == "re_engagement" else replace(r, enabled=False)
        for r in base.rules
    )
    return replace(base, rules=rules, advisor="Sam Lee")


def draft(conn, days: float, fraction: float):
    cid = conn.execute("SELECT id FROM courses WHERE iri LIKE ?", (f"%{PAST}",)).fetchone()[0]
    as_of = get_course(conn, cid).as_of_week(WEEK)
    rules = rules_for(days)
    table = suggest(conn, cid, as_of=as_of, rules=rules)
    firing = [int(a) for a, r in zip(table["actor"], table["rules"], strict=True) if r]
    draft_interventions(
        conn, cid, firing, as_of=as_of, holdout_fraction=fraction, seed=11, rules=rules, ignore_risk_gate=True
    )
    return cid


@pytest.fixture(scope="session")
def templates(tmp_path_factory):
    """Two demo databases: one drafted with a 40% hold-out, one whose drafts were exported
    (the students with more than two inactive days: a confounded "treated" group)."""
    folder = tmp_path_factory.mktemp("impact-templates")
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARNALYTICS_HOME", str(folder / "home"))
        for name in ("holdout", "treated"):
            demo = make_demo_db(folder / f"{name}.db", students=40)
            conn = open_db(demo.path)
            try:
                if name == "holdout":
                    draft(conn, days=1.0, fraction=0.4)
                else:
                    cid = draft(conn, days=2.0, fraction=0.0)
                    ids = [int(i) for i in list_interventions(conn, cid, statuses=["draft"])["id"]]
                    fill_placeholder(conn, ids, "first_name", "there")
                    approve(conn, ids)
                    export_csv(conn, folder / f"{name}-export.csv", ids=ids, mark_exported=True)
            finally:
                conn.close()
            out[name] = demo.path
    return out


def db_copy(templates, name, tmp_path) -> Path:
    path = tmp_path / f"{name}.db"
    copy_database(templates[name], path)
    return path


def read(path: Path, fn, *args, **kw):
    conn = open_db(path, create=False)
    try:
        return fn(conn, *args, **kw)
    finally:
        conn.close()


def context_for(path: Path) -> PageContext:
    courses = read(path, list_courses)
    course = next(c for c in courses if c.iri.endswith(PAST))
    return PageContext(db_path=path, course_id=course.id, week=WEEK, course=course, courses=tuple(courses))


def open_wizard(qtbot, runner, ctx, preset=None) -> ImpactWizard:
    wizard = ImpactWizard(runner, ctx, preset)
    qtbot.addWidget(wizard)
    wizard.resize(1200, 780)
    wizard.show()
    qtbot.waitUntil(lambda: wizard.choose.info is not None, timeout=10000)
    return wizard


def run_to_design(qtbot, wizard, source: str, outcome: str = "final_grade", path: str | None = None):
    choose = wizard.choose
    assert choose.radios[source].isEnabled()
    choose.radios[source].setChecked(True)
    if path:
        choose.path.setText(path)
    choose.outcome.setCurrentIndex(choose.outcome.findData(outcome))
    assert choose.isComplete()
    wizard.next()
    assert wizard.currentPage() is wizard.design
    qtbot.waitUntil(lambda: wizard.result is not None or bool(wizard.error), timeout=60000)
    assert not wizard.error, wizard.error
    assert wizard.design.isComplete()


def shoot(wizard, name: str, tmp_path: Path) -> None:
    out = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    assert wizard.grab().save(str(out / name))


def same(a, b) -> bool:
    return a == pytest.approx(b, rel=1e-12, abs=1e-12) if a is not None else b is None


def test_randomised_holdout_end_to_end(qtbot, runner, templates, tmp_path, monkeypatch):
    path = db_copy(templates, "holdout", tmp_path)
    ctx = context_for(path)
    info = read(path, source_info, ctx.course_id)
    assert info.holdout_batches == 1 and info.holdout_control >= 10
    wizard = open_wizard(qtbot, runner, ctx)
    assert wizard.choose.radios["holdout"].isChecked()  # the first available comparison
    assert not wizard.choose.radios["untreated"].isEnabled()  # nothing exported yet
    run_to_design(qtbot, wizard, "holdout")
    result = wizard.result
    assert result.randomised and "Randomised" in wizard.design.design.text()
    assert not wizard.design.warning.isVisible()
    assert wizard.design.model.rowCount() == len(result.balance) > 0

    core = read(path, impact_from_db, ctx.course_id, None, "final_grade", comparison="holdout")
    assert result.recommended == core.recommended == "naive"
    for key, est in core.estimates.items():
        mine = result.estimates[key]
        assert (
            same(mine.estimate, est.estimate)
            and same(mine.ci_low, est.ci_low)
            and same(mine.ci_high, est.ci_high)
        )
        assert same(mine.p_value, est.p_value)
    assert result.verdict == core.verdict and result.n == core.n

    wizard.next()
    page = wizard.estimate
    assert wizard.currentPage() is page and page.test_row.isVisible()
    frame = page.model.frame
    naive = frame[frame["key"] == "naive"].iloc[0]
    assert naive["recommended"] and "✔ recommended" in naive["label"]
    assert same(naive["estimate"], core.estimates["naive"].estimate)
    assert set(frame["key"]) >= {"naive", "student", "mann_whitney", "cohens_d", "hedges_g", "glass_delta"}
    glass = frame[frame["key"] == "glass_delta"].iloc[0]
    assert "comparison group" in glass["note"] and "seed design" in glass["note"]
    assert "plain comparison" in page.believe.text()

    # another test re-runs the statistics; the numbers follow the core's for that test
    page.test_radios["mann_whitney"].setChecked(True)
    qtbot.waitUntil(
        lambda: (
            wizard.result is not None
            and wizard.result.estimates["naive"].extra.get("test") == "mann_whitney"
            and not wizard.busy
        ),
        timeout=30000,
    )
    core_mw = read(
        path, impact_from_db, ctx.course_id, None, "final_grade", comparison="holdout", test="mann_whitney"
    )
    assert same(wizard.result.estimates["naive"].estimate, core_mw.estimates["naive"].estimate)
    page.test_radios["welch"].setChecked(True)
    qtbot.waitUntil(
        lambda: wizard.result.estimates["naive"].extra.get("test") == "welch" and not wizard.busy,
        timeout=30000,
    )

    wizard.next()
    results = wizard.results
    assert wizard.currentPage() is results
    assert results.verdict.text() == core.verdict.replace("&", "&amp;")
    assert results.model.rowCount() == 2
    assert results.model.value(0, "n") == core.n["treated"]
    assert "Power" in results.details.toPlainText() and "Normality" in results.details.toPlainText()
    qtbot.waitUntil(lambda: bool(read(path, list_analyses, ctx.course_id)), timeout=10000)
    record = read(path, list_analyses, ctx.course_id)[0]
    assert record["id"] == wizard.analysis_id and same(record["estimate"], core.estimates["naive"].estimate)


def test_confounded_treated_vs_untreated(qtbot, qtmodeltester, runner, templates, tmp_path, monkeypatch):
    path = db_copy(templates, "treated", tmp_path)
    ctx = context_for(path)
    wizard = open_wizard(qtbot, runner, ctx)
    assert not wizard.choose.radios["holdout"].isEnabled()
    shoot(wizard, "impact_1_choose.png", tmp_path)
    run_to_design(qtbot, wizard, "untreated")
    result = wizard.result
    assert not result.randomised and result.confounded
    warning = wizard.design.warning
    assert warning.isVisible() and "confounded" in warning.text() and "adjusted estimate" in warning.text()
    frame = balance_frame(result)
    assert (frame["imbalanced"] != "no").any()
    assert wizard.design.model.columnCount() == 6  # SMD after weighting is shown too
    qtmodeltester.check(wizard.design.model)
    shoot(wizard, "impact_2_design.png", tmp_path)

    core = read(path, impact_from_db, ctx.course_id, None, "final_grade", comparison="untreated")
    assert core.recommended == result.recommended == "adjusted"
    for key in ("naive", "adjusted"):
        assert same(result.estimates[key].estimate, core.estimates[key].estimate)
        assert same(result.estimates[key].ci_low, core.estimates[key].ci_low)
        assert same(result.estimates[key].ci_high, core.estimates[key].ci_high)
    wizard.next()
    page = wizard.estimate
    shown = page.model.frame
    adjusted = shown[shown["key"] == "adjusted"].iloc[0]
    assert adjusted["recommended"] and not shown[shown["key"] == "naive"].iloc[0]["recommended"]
    assert same(adjusted["estimate"], core.estimates["adjusted"].estimate)
    assert "Report the adjusted estimate" in page.believe.text()
    assert {"ipw", "regression"} <= set(shown["key"])
    shoot(wizard, "impact_3_estimate.png", tmp_path)

    wizard.next()
    assert "accounting for how the groups differed" in wizard.results.verdict.text()
    shoot(wizard, "impact_4_results.png", tmp_path)

    # reports: PDF and HTML, written atomically and logged with the analysis id
    pdf = tmp_path / "reports" / "impact.pdf"
    pdf.parent.mkdir()
    monkeypatch.setattr(files, "ask_save_file", lambda *a, **k: pdf)
    task = wizard.export_report("pdf")
    qtbot.waitUntil(lambda: task.done, timeout=10000)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 1024 and data.rstrip().endswith(b"%%EOF")
    html = tmp_path / "reports" / "impact"  # no suffix: .html is added
    monkeypatch.setattr(files, "ask_save_file", lambda *a, **k: html)
    task = wizard.export_report("html")
    qtbot.waitUntil(lambda: task.done, timeout=10000)
    text = (tmp_path / "reports" / "impact.html").read_text(encoding="utf-8")
    assert core.verdict.split(" (")[0][:40] in text.replace("&#x27;", "'")
    assert 'src="data:image/png;base64,' in text and "Balance before the intervention" in text
    assert not list((tmp_path / "reports").glob("*.part"))
    qtbot.waitUntil(lambda: "Report written" in wizard.results.written.text(), timeout=10000)
    exports = [e for e in read(path, list_exports) if e.get("what") == "impact report"]
    assert {e["format"] for e in exports} == {"pdf", "html"} and {e["analysis"] for e in exports} == {
        wizard.analysis_id
    }
    record = read(path, list_analyses, ctx.course_id)[0]
    assert len(record["reports"]) == 2 and record["recommended"] == "adjusted"


def test_groups_csv_and_the_randomised_flag(qtbot, runner, templates, tmp_path):
    path = db_copy(templates, "holdout", tmp_path)
    ctx = context_for(path)
    conn = open_db(path, create=False)
    try:
        from learnalytics_desktop.core.features import compute_features

        week6 = get_course(conn, ctx.course_id).as_of_week(WEEK)
        feats = compute_features(conn, ctx.course_id, week6)
        labels = dict(conn.execute("SELECT id, label FROM actors").fetchall())
    finally:
        conn.close()
    median = feats["days_since_last_activity"].median()
    groups = tmp_path / "groups.csv"
    groups.write_text(
        "student,group,date\n"
        + "".join(
            f"{labels[a]},{'treated' if d > median else 'control'},{week6.date().isoformat()}\n"
            for a, d in feats["days_since_last_activity"].items()
        ),
        encoding="utf-8",
    )
    wizard = open_wizard(qtbot, runner, ctx)
    wizard.choose.randomised.setChecked(True)  # the user claims chance decided: the wizard believes it
    run_to_design(qtbot, wizard, "csv", "passed", str(groups))
    assert wizard.result.kind == "binary" and wizard.result.randomised
    core = read(path, impact_from_db, ctx.course_id, read_groups_csv(groups), "passed", randomised=True)
    assert "adjusted" not in wizard.result.estimates  # randomised: no weighting
    for key in ("naive",):
        assert same(wizard.result.estimates[key].estimate, core.estimates[key].estimate)
        assert same(wizard.result.estimates[key].ci_low, core.estimates[key].ci_low)
    assert wizard.result.recommended == core.recommended == "naive"
    # the same choices again: nothing to do; the same file changed on disk: read again
    assert wizard.start(wizard.spec) is None
    groups.write_text(groups.read_text(encoding="utf-8").replace(",treated,", ",TREATED,"), encoding="utf-8")
    assert wizard.start(wizard.spec) is not None
    qtbot.waitUntil(lambda: wizard.result is not None and not wizard.busy, timeout=60000)
    wizard.next()
    frame = estimates_frame(wizard.result)
    assert {"naive", "odds_ratio", "fisher"} <= set(frame["key"])
    assert frame[frame["key"] == "naive"].iloc[0]["value_text"].endswith("pp")
    assert not wizard.estimate.test_row.isVisible()  # no t-test choice for a yes/no outcome


def test_a_data_problem_is_shown_on_the_page(qtbot, runner, templates, tmp_path):
    path = db_copy(templates, "holdout", tmp_path)
    ctx = context_for(path)
    bad = tmp_path / "bad.csv"
    bad.write_text("student,group\nnobody,treated\n", encoding="utf-8")
    wizard = open_wizard(qtbot, runner, ctx)
    runner.failure_handler = lambda task, exc: pytest.fail(
        f"an expected problem reached the error dialog: {exc}"
    )
    wizard.choose.radios["csv"].setChecked(True)
    wizard.choose.path.setText(str(bad))
    wizard.next()
    qtbot.waitUntil(lambda: bool(wizard.error), timeout=10000)
    assert "nobody" in wizard.design.status.text() and not wizard.design.isComplete()


def test_impact_page_lists_past_analyses_and_repeats(qtbot, runner, templates, tmp_path, monkeypatch):
    path = db_copy(templates, "holdout", tmp_path)
    ctx = context_for(path)
    page = ImpactPage(Shell(runner))
    qtbot.addWidget(page)
    page.resize(1010, 680)
    page.show()
    page.set_context(ctx)
    qtbot.waitUntil(lambda: page.info is not None, timeout=10000)
    assert page.model.rowCount() == 0 and page.empty.isVisible() and page.start_button.isEnabled()
    assert "held back at random" in page.hint.text()

    seen = {}

    def fake_ask(parent, runner_, ctx_, preset=None):
        seen["preset"] = preset
        from learnalytics_desktop.core.impact.records import record_analysis

        spec = preset or AnalysisSpec(ctx_.course_id, "holdout", "final_grade")
        conn = open_db(ctx_.db_path, create=False)
        try:
            result = analyse(conn, spec)
            record_analysis(conn, spec, result)
        finally:
            conn.close()
        return None

    monkeypatch.setattr(ImpactWizard, "ask", fake_ask)
    page.start_button.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=20000)
    assert not page.empty.isVisible() and "final grade" in page.detail.toPlainText().lower()
    assert not page.open_button.isEnabled()  # no report exported yet
    page.repeat()
    assert seen["preset"].source == "holdout" and seen["preset"].outcome == "final_grade"
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=20000)

    opened = []
    monkeypatch.setattr(impact_page, "open_file", lambda p: opened.append(p) or True)
    report = tmp_path / "r.html"
    report.write_text("<html></html>", encoding="utf-8")
    from learnalytics_desktop.core.impact.records import record_report

    read(path, record_report, report, "html", analysis_id=page.selected()["id"], students=10)
    page.refresh()
    qtbot.waitUntil(lambda: page.open_button.isEnabled(), timeout=10000)
    assert page.open_report() and opened == [str(report)]


def test_screenshot_of_the_impact_page(qtbot, templates, tmp_path):
    from test_interventions_page import open_window_on

    from learnalytics_desktop.core.impact.records import record_analysis

    path = db_copy(templates, "treated", tmp_path)
    ctx = context_for(path)
    spec = AnalysisSpec(ctx.course_id, "untreated", "final_grade")
    conn = open_db(path, create=False)
    try:
        record_analysis(conn, spec, analyse(conn, spec))
    finally:
        conn.close()
    window = open_window_on(qtbot, path, "impact", PAST, WEEK)
    page = window.page("impact")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=20000)
    out = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(out / "impact_page.png"))
