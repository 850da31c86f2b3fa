"""The self-test's end-to-end steps: the bundled sample through the whole product.

Registered after the window checks of :mod:`learnalytics_desktop.selftest` (which imports
this module), they run in this order, each printing ``ok <step>`` or ``FAIL <step>: why``:

1. the sample (``assets/selftest``) is read through ``importlib.resources`` and checked
   against the SHA-256 sums in its manifest: the frozen build must carry it;
2. every module the app imports by name (pages, command groups, model parts) is there;
3. databases, models and settings live outside the program folder;
4. a new database opened by the window imports the sample's xAPI files with one spawned
   worker process (so ``multiprocessing`` is exercised in the frozen build too), and the
   counts equal the generator's truth recorded in the manifest;
5. rosters and the gradebook load, every row matched;
6. an at-risk model is trained on the finished offering (signed file in the data folder);
7. both offerings are scored;
8. interventions are drafted with a random hold-out, one is approved and exported as .eml;
9. the impact statistics run on that batch against the real outcomes;
10. the pages show the sample without a failed task;
11. the guided tour steps through every stop.

Jobs run on the window's task runner (its database thread), as they do in the app. A step
whose input an earlier step should have produced fails with a message saying so. Nothing
here imports Qt, pandas or scikit-learn at module level.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from learnalytics_desktop.selftest_harness import SelfTest, SelfTestFailure, step

SAMPLE = ("assets", "selftest")
HOLDOUT_FRACTION = 0.3
HOLDOUT_SEED = 20261026


@dataclass
class SampleRun:
    """What the steps hand on to each other."""

    folder: Path | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    db: Path | None = None
    courses: dict[str, int] = field(default_factory=dict)  # offering key -> course id
    model_id: str | None = None
    batch: Any = None


def _run(t: SelfTest) -> SampleRun:
    run = getattr(t, "sample_run", None)
    if run is None:
        run = SampleRun()
        t.sample_run = run  # type: ignore[attr-defined]
    return run


def _need(t: SelfTest, *names: str) -> SampleRun:
    run = _run(t)
    for name in names:
        if not getattr(run, name):
            raise SelfTestFailure(f"skipped: an earlier step did not produce the sample's {name}")
    return run


def _past(run: SampleRun) -> dict[str, Any]:
    return next(o for o in run.manifest["offerings"] if o["gradebook"])


def _current(run: SampleRun) -> dict[str, Any]:
    return next(o for o in run.manifest["offerings"] if not o["gradebook"])


def _job(fn: Any) -> Any:
    from learnalytics_desktop.gui.workers import db_job

    return db_job(fn)


def program_folder() -> Path:
    """The folder the program runs from: the executable's (frozen) or the package's."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    import learnalytics_desktop

    return Path(learnalytics_desktop.__file__).resolve().parent


# -- 1-3: the bundle ---------------------------------------------------------------------------


@step("bundled sample reads through importlib.resources")
def _sample_files(t: SelfTest) -> None:
    from importlib.resources import files

    root = files("learnalytics_desktop").joinpath(*SAMPLE)
    manifest = json.loads(root.joinpath("manifest.json").read_text(encoding="utf-8"))
    dest = t.workdir / "sample"
    for rel, digest in manifest["files"].items():
        data = root.joinpath(*rel.split("/")).read_bytes()
        t.check(hashlib.sha256(data).hexdigest() == digest, f"{rel} in the bundled sample is damaged")
        target = dest.joinpath(*rel.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    run = _run(t)
    run.folder, run.manifest = dest, manifest


@step("modules imported by name are bundled")
def _dynamic_modules(t: SelfTest) -> None:
    import importlib

    from learnalytics_desktop.cli import COMMAND_MODULES
    from learnalytics_desktop.core import model
    from learnalytics_desktop.gui.pages import PAGES

    problems = []
    for name in [*COMMAND_MODULES, *(s.target.partition(":")[0] for s in PAGES if s.target)]:
        try:
            importlib.import_module(name)
        except Exception as exc:
            problems.append(f"{name} ({type(exc).__name__}: {exc})")
    for name in model.__all__:
        try:
            getattr(model, name)
        except Exception as exc:
            problems.append(f"core.model.{name} ({type(exc).__name__}: {exc})")
    t.check(not problems, "cannot import " + "; ".join(problems))


@step("settings and data are kept outside the program folder")
def _locations(t: SelfTest) -> None:
    import platformdirs
    from PySide6.QtCore import QSettings

    from learnalytics_desktop.core.paths import APP_AUTHOR, APP_NAME, data_dir, models_dir

    program = program_folder()
    where = {
        "the data folder": data_dir(),
        "the models folder": models_dir(),
        "the settings file": Path(QSettings().fileName()),
        "the default data folder": Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
    }
    inside = [f"{what} ({path})" for what, path in where.items() if path.resolve().is_relative_to(program)]
    t.check(not inside, f"inside the program folder {program}: " + ", ".join(inside))


# -- 4-9: the sample through the product -----------------------------------------------------------


def _set_dates(conn: Any, iri: str, start: str, weeks: int) -> int:
    from learnalytics_desktop.core.courses import find_course, set_course_dates

    course = find_course(conn, iri)
    set_course_dates(conn, course.id, date.fromisoformat(start), weeks)
    return int(course.id)


@step("import the bundled sample")
def _import(t: SelfTest) -> None:
    from learnalytics_desktop.core.ingest.importer import import_paths

    run = _need(t, "folder")
    path = (t.workdir / "sample.db").resolve()
    t.window.open_database(path, create=True)
    t.wait(lambda: t.window.db_path == path, 60, "the sample database to open")
    # workers=1: one spawned parsing process, as a large import uses (freeze_support path)
    result = t.run(import_paths, path, [run.folder / "xapi"], workers=1)
    expected = run.manifest["expected_import"]
    got = {key: getattr(result, key) for key in expected}
    t.check(got == expected, f"the import reported {got}, expected {expected}")
    for off in run.manifest["offerings"]:
        run.courses[off["key"]] = t.run(_job(_set_dates), path, off["iri"], off["start"], off["weeks"])
    run.db = path
    t.window.reload_courses()
    n = len(run.manifest["offerings"])
    t.wait(lambda: len(t.window.shell.context.courses) == n, 60, f"the context bar to list {n} courses")


@step("load outcomes and roster")
def _outcomes(t: SelfTest) -> None:
    from learnalytics_desktop.core.outcomes import at_risk_labels, import_outcomes, import_roster

    run = _need(t, "db", "courses")
    for off in run.manifest["offerings"]:
        course = run.courses[off["key"]]
        roster = t.run(
            _job(import_roster), run.db, course, run.folder / off["roster"], **run.manifest["roster_columns"]
        ).to_dict()
        _all_rows_matched(t, roster, off["roster_rows"], roster["matched"] + roster["created"])
        if off["gradebook"]:
            grades = t.run(
                _job(import_outcomes),
                run.db,
                course,
                run.folder / off["gradebook"],
                **run.manifest["gradebook_columns"],
            ).to_dict()
            _all_rows_matched(t, grades, off["roster_rows"], grades["matched"])
            labels = t.run(_job(at_risk_labels), run.db, course)
            counts = labels.value_counts().to_dict()
            t.check(
                set(counts) == {0, 1}, f"the at-risk labels of {off['key']} have one class only: {counts}"
            )


def _all_rows_matched(t: SelfTest, report: dict[str, Any], rows: int, placed: int) -> None:
    what = f"the {report['kind']} file {Path(report['file']).name}"
    t.check(report["rows"] == rows, f"{what}: {report['rows']} rows read, the file has {rows}")
    problems = {k: len(report[k]) for k in ("unmatched", "ambiguous", "duplicates") if report[k]}
    t.check(
        not problems and placed == rows, f"{what}: {placed} of {rows} rows placed, {problems or 'no issues'}"
    )


@step("train a model")
def _train(t: SelfTest) -> None:
    from learnalytics_desktop.core.model import list_models, train_model
    from learnalytics_desktop.core.paths import models_dir

    run = _need(t, "db", "courses")
    week = int(run.manifest["train_week"])
    result = t.run(_job(train_model), run.db, [run.courses[_past(run)["key"]]], week, timeout=900)
    card = result.card
    t.check(
        card["counts"]["trained_on"] > 0 and card["week"] == week,
        f"unexpected model card counts {card['counts']}",
    )
    auc = card["validation"][result.kind].get("roc_auc")
    t.check(
        auc is not None and 0.0 <= auc <= 1.0, f"validation ROC AUC {auc!r} is not a number between 0 and 1"
    )
    listed = [m["id"] for m in t.run(_job(list_models), run.db)]
    t.check(result.model_id in listed, f"the model {result.model_id} is not registered ({listed})")
    saved = models_dir() / f"{result.model_id}.joblib"
    t.check(saved.is_file(), f"the model file {saved} was not written")
    run.model_id = result.model_id


@step("score students")
def _score(t: SelfTest) -> None:
    from learnalytics_desktop.core.model import score_course

    run = _need(t, "db", "model_id")
    week = int(run.manifest["train_week"])
    for off in (_current(run), _past(run)):  # the past one too: drafting reads its stored risk
        frame = t.run(_job(score_course), run.db, run.courses[off["key"]], week)
        key, rows = off["key"], off["roster_rows"]
        t.check(len(frame) >= rows, f"{key}: {len(frame)} students scored, the roster has {rows}")
        scores = frame["risk_score"]
        t.check(
            bool(scores.between(0, 1).all()), f"{key}: risk scores outside 0-1: {scores.describe().to_dict()}"
        )
        t.check(bool(frame["risk_level"].notna().all()), f"{key}: some students have no risk level")
        t.check(
            frame.attrs.get("model_id") == run.model_id, f"{key}: scored with {frame.attrs.get('model_id')}"
        )


def _draft_and_export(conn: Any, course_id: int, week: int, outbox: Path) -> tuple[Any, Any]:
    from dataclasses import replace

    from learnalytics_desktop.core.courses import get_course
    from learnalytics_desktop.core.interventions import (
        PLACEHOLDERS,
        approve,
        draft_interventions,
        export_eml,
        get_intervention,
        load_rules,
        save_rules,
        suggest,
    )

    save_rules(conn, replace(load_rules(conn), advisor="Self-test Advisor"))  # as an advisor sets it
    as_of = get_course(conn, course_id).as_of_week(week)
    table = suggest(conn, course_id, as_of=as_of)
    firing = [int(a) for a, rules in zip(table["actor"], table["rules"], strict=True) if rules]
    batch = draft_interventions(
        conn,
        course_id,
        firing,
        as_of=as_of,
        holdout_fraction=HOLDOUT_FRACTION,
        seed=HOLDOUT_SEED,
        ignore_risk_gate=True,
        user="self-test",
    )
    # approve and export one draft whose text is complete (some students have no first name)
    for iid in batch.treated_ids:
        draft = get_intervention(conn, iid)
        text = f"{draft.subject}\n{draft.body}"
        if draft.channel != "instructor_alert" and not any("{" + name in text for name in PLACEHOLDERS):
            approve(conn, [iid], user="self-test")
            outbox.mkdir(exist_ok=True)
            return batch, export_eml(conn, outbox, ids=[iid], user="self-test")
    return batch, None


@step("draft an intervention")
def _draft(t: SelfTest) -> None:
    import email
    from email import policy

    # On the finished offering, as of the training week: its outcomes then let step 9 measure.
    run = _need(t, "db", "model_id")
    week = int(run.manifest["train_week"])
    batch, export = t.run(
        _job(_draft_and_export), run.db, run.courses[_past(run)["key"]], week, t.workdir / "outbox"
    )
    t.check(
        bool(batch.treated_actors) and bool(batch.held_out_actors),
        f"the batch has {len(batch.treated_actors)} treated and {len(batch.held_out_actors)} held-out students",
    )
    t.check(export is not None and len(export.files) == 1, f"expected one .eml draft, got {export}")
    with open(export.files[0], "rb") as fh:
        message = email.message_from_binary_file(fh, policy=policy.default)
    t.check(
        message["X-Unsent"] == "1" and bool(message["Subject"]),
        "the .eml is not an unsent draft with a subject",
    )
    run.batch = batch


def _impact(conn: Any, course_id: int) -> Any:
    from learnalytics_desktop.core.impact import impact_from_db, render_report_html

    result = impact_from_db(conn, course_id, None, "passed", n_boot=200, seed=1)
    return result, render_report_html(result)


@step("run the impact statistics")
def _impact_step(t: SelfTest) -> None:
    run = _need(t, "db", "batch")
    result, html = t.run(_job(_impact), run.db, run.courses[_past(run)["key"]])
    t.check(result.randomised, "a hold-out from the log should count as randomised")
    n = result.n
    t.check(n.get("treated", 0) > 0 and n.get("control", 0) > 0, f"group sizes {n}")
    naive = result.estimates.get("naive")
    t.check(
        naive is not None and naive.ci_low <= naive.estimate <= naive.ci_high,
        f"the naive estimate is missing or outside its interval: {naive}",
    )
    t.check(bool(result.verdict.strip()) and "<table" in html, "no verdict or no report table")


# -- 10-11: the window with data ---------------------------------------------------------------


@step("pages show the sample")
def _pages_with_data(t: SelfTest) -> None:
    from learnalytics_desktop.gui.pages import PAGES
    from learnalytics_desktop.gui.pages.base import ComingPage

    run = _need(t, "db", "model_id")
    ctx = t.window.shell.context
    t.check(
        ctx.db_path == run.db and ctx.course is not None,
        f"the window's context is {ctx.db_path}, {ctx.course}",
    )
    failed = []
    for spec in PAGES:
        page = t.window.navigate(spec.key)
        t.wait(lambda: not t.window.runner.active_tasks, 120, f"the {spec.title} page to load")
        if spec.target is not None and isinstance(page, ComingPage):
            failed.append(spec.title)
    t.window.navigate("overview")
    t.check(not failed, "these pages failed to open: " + ", ".join(failed))


@step("guided tour")
def _tour(t: SelfTest) -> None:
    from learnalytics_desktop.gui.first_run import GuidedTour

    tour = GuidedTour(t.window, remember=False)
    tour.start()
    window_rect = t.window.rect()
    seen = []
    while tour.active:
        t.app.processEvents()
        rect = tour.highlight_rect()
        t.check(
            not rect.isEmpty() and window_rect.contains(rect),
            f"stop {tour.index + 1} ({tour.current.title}) highlights {rect} outside the window",
        )
        t.check(tour.overlay.isVisible(), f"the tour is not shown at stop {tour.index + 1}")
        seen.append(tour.current.title)
        tour.next()
    t.check(len(seen) == len(tour.steps), f"the tour stopped after {seen}")
