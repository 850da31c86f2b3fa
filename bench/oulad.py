"""Real-data benchmark on OULAD: train on 2013J, score 2014J of the same module at weeks 6 and 10.

For each module the OULAD tables are converted (``bench/oulad_convert.py``: xAPI with
``registered`` / ``unregistered`` / ``scored`` statements, the gradebook, the class list
with registration and withdrawal dates, the assessment calendar), imported into a fresh
database through the same core functions the app and the command line call (xAPI import,
course dates, class list, gradebook, assessments), a model is trained on 2013J as of week k
(``core.model.train_model``) and 2014J is scored as of its week k (``score_course``).

Evaluated among the 2014J students **still registered at the cut-off** (no unregistration
before day 7k), against their final result (at risk = Fail or Withdrawn): ROC AUC, PR AUC,
Brier score and calibration error (``core.model.metrics``), beside a **5-feature logistic
baseline** (submissions so far, mean score, none scored, late count, registered late:
registration after day 0), computed straight from the OULAD tables and trained the same way
(2013J students registered at its cut-off, standardised logistic regression).

Run: ``.venv/bin/python bench/oulad.py [--data ../shared/corpora/datasets/oulad]
[--modules AAA DDD EEE FFF] [--weeks 6 10] [--activity-type adl|tincan] [--kind auto]``.
A run that fails prints its error on one line and the table goes on.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from oulad_convert import Offering, convert


def _default_data() -> Path:
    """``../shared/corpora/datasets/oulad`` beside the repository (or beside a folder above it,
    for a git worktree kept in a subfolder)."""
    for up in Path(__file__).resolve().parents[1:]:
        cand = up.parent / "shared" / "corpora" / "datasets" / "oulad"
        if cand.is_dir():
            return cand
    return Path(__file__).resolve().parents[2] / "shared" / "corpora" / "datasets" / "oulad"


DEFAULT_DATA = _default_data()
GOAL_MODULES = ("AAA", "DDD", "EEE", "FFF")
AT_RISK = {"Fail", "Withdrawn"}


def _tables(folder: Path):
    import pandas as pd
    from oulad_convert import _assessment_table

    read = lambda n: pd.read_csv(folder / n, dtype=str, keep_default_na=False)  # noqa: E731
    info, reg, assess = read("studentInfo.csv"), read("studentRegistration.csv"), read("assessments.csv")
    subs = _assessment_table(folder).merge(assess, on="id_assessment")
    return info, reg, subs


def _num(s):
    import pandas as pd

    return pd.to_numeric(s, errors="coerce")


def population(info, reg, mod: str, pres: str, week: int):
    """Students of an offering still registered at the end of week ``week``, with labels."""
    cut = 7 * week
    st = info[(info.code_module == mod) & (info.code_presentation == pres)][["id_student", "final_result"]]
    r = reg[(reg.code_module == mod) & (reg.code_presentation == pres)].drop_duplicates("id_student")
    st = st.merge(r[["id_student", "date_registration", "date_unregistration"]], on="id_student", how="left")
    unreg = _num(st["date_unregistration"])
    keep = unreg.isna() | (unreg >= cut)
    st = st[keep.to_numpy()].copy()
    st["y"] = st["final_result"].isin(AT_RISK).astype(int)
    return st.set_index("id_student")


def baseline_features(pop, subs, mod: str, pres: str, week: int):
    """The 5 baseline features of ``pop`` as of the end of week ``week``."""
    import numpy as np
    import pandas as pd

    cut = 7 * week
    s = subs[(subs.code_module == mod) & (subs.code_presentation == pres)].copy()
    s["day"] = _num(s["date_submitted"])
    s = s[s["day"] < cut]
    s["score_n"] = _num(s["score"])
    s["late"] = (s["day"] > _num(s["date"])).astype(float)
    g = s.groupby("id_student")
    X = pd.DataFrame(index=pop.index)
    X["submissions"] = g.size().reindex(X.index).fillna(0)
    X["mean_score"] = g["score_n"].mean().reindex(X.index)
    X["none_scored"] = X["mean_score"].isna().astype(float)
    X["mean_score"] = X["mean_score"].fillna(0)
    X["late"] = g["late"].sum().reindex(X.index).fillna(0)
    X["registered_late"] = (_num(pop["date_registration"]) > 0).astype(float).to_numpy()
    return X.astype(float).replace([np.inf, -np.inf], 0)


def baseline(train_pop, train_X, test_X):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    m = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    m.fit(train_X.to_numpy(), train_pop["y"].to_numpy())
    return m.predict_proba(test_X.to_numpy())[:, 1]


def load_offering(conn, off: Offering):
    """Import one converted offering through the core functions; returns the course id."""
    from learnalytics_desktop.core import outcomes
    from learnalytics_desktop.core.courses import find_course, set_course_dates
    from learnalytics_desktop.core.ingest import import_paths

    import_paths(conn, [off.xapi], workers=1)
    course = find_course(conn, off.course_iri)
    set_course_dates(conn, course.id, off.start, off.weeks)
    roster_kw = {}
    import inspect

    params = inspect.signature(outcomes.import_roster).parameters
    if "registered_column" in params:
        roster_kw = {"registered_column": "registered", "withdrawn_column": "withdrawn"}
    outcomes.import_roster(conn, course.id, off.classlist, id_column="student_id", **roster_kw)
    outcomes.import_outcomes(
        conn, course.id, off.gradebook, id_column="student_id", result_column="final_result"
    )
    try:
        from learnalytics_desktop.core.outcomes.assessments import import_assessments
    except ImportError:
        pass
    else:
        import_assessments(conn, course.id, off.assessments, preset="oulad", iri_template=off.iri_template)
    return course.id


def metrics(y, p):
    from learnalytics_desktop.core.model.metrics import binary_metrics

    m = binary_metrics(y, p, curves=False)
    return {k: m[k] for k in ("roc_auc", "pr_auc", "brier", "calibration_error")}


def run_module(
    folder: Path, conv, mod: str, weeks: list[int], kind: str, tables, any_week: bool = False
) -> list[dict]:
    import numpy as np

    from learnalytics_desktop.core.model import score_course, train_model
    from learnalytics_desktop.core.store.db import open_db

    info, reg, subs = tables
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        conn = open_db(Path(tmp) / "oulad.db")
        t0 = time.perf_counter()
        c13 = load_offering(conn, conv.get(mod, "2013J"))
        c14 = load_offering(conn, conv.get(mod, "2014J"))
        load_s = time.perf_counter() - t0
        shared = None  # --any-week: one model for every week, trained once per module
        for week in weeks:
            row: dict = {"module": mod, "week": week, "load_s": round(load_s, 1)}
            tr_pop = population(info, reg, mod, "2013J", week)
            te_pop = population(info, reg, mod, "2014J", week)
            row["n"], row["base_rate"] = len(te_pop), round(float(te_pop["y"].mean()), 3)
            p_base = baseline(
                tr_pop,
                baseline_features(tr_pop, subs, mod, "2013J", week),
                baseline_features(te_pop, subs, mod, "2014J", week),
            )
            row["baseline"] = metrics(te_pop["y"].to_numpy(), p_base)
            try:
                t1 = time.perf_counter()
                if any_week:
                    shared = shared or train_model(conn, [c13], None, kind=kind)
                    res = shared
                else:
                    res = train_model(conn, [c13], week, kind=kind)
                scored = score_course(conn, c14, week=week, model_id=res.model_id)
                row["train_s"] = round(time.perf_counter() - t1, 1)
                risk = scored.set_index("student")["risk_score"]
                common = [s for s in te_pop.index if s in risk.index]
                row["unscored"] = len(te_pop) - len(common)
                y = te_pop.loc[common, "y"].to_numpy()
                row["model"] = metrics(y, risk.loc[common].to_numpy(dtype=float))
                row["kind"] = res.kind
                if "status" in scored.columns:
                    row["withdrawn_listed"] = int(
                        (scored["status"].astype(str).str.startswith("withdrawn")).sum()
                    )
            except Exception as exc:  # one line per failed run; the table goes on
                row["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
                if "--traceback" in sys.argv:
                    traceback.print_exc()
            rows.append(row)
            print(_line(row), flush=True)
        conn.close()
    del np
    return rows


def _f(x) -> str:
    return "  -   " if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:6.3f}"


HEADER = (
    "module wk    n  rate | model  AUC  PR AUC  Brier  CalErr | base   AUC  PR AUC  Brier  CalErr |  dAUC"
)


def _line(r: dict) -> str:
    b = r["baseline"]
    head = f"{r['module']:<6} {r['week']:>2} {r['n']:>4} {r['base_rate']:.3f} |"
    base = f" {_f(b['roc_auc'])} {_f(b['pr_auc'])} {_f(b['brier'])} {_f(b['calibration_error'])} |"
    if "model" not in r:
        return f"{head} FAILED {r.get('error', '')}\n{' ' * len(head)}{'':33}{base}"
    m = r["model"]
    d = (m["roc_auc"] or 0) - (b["roc_auc"] or 0)
    return (
        f"{head} {r.get('kind', ''):<5}{_f(m['roc_auc'])} {_f(m['pr_auc'])} {_f(m['brier'])} "
        f"{_f(m['calibration_error'])} |     {base[1:]} {d:+.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with the OULAD CSV tables")
    ap.add_argument("--modules", nargs="+", default=["AAA", "BBB", "DDD", "EEE", "FFF", "GGG"])
    ap.add_argument("--weeks", nargs="+", type=int, default=[6, 10])
    ap.add_argument("--activity-type", choices=("adl", "tincan"), default="adl")
    ap.add_argument("--kind", default="auto", help="model kind: auto, hgb or logreg")
    ap.add_argument("--traceback", action="store_true", help="print the traceback of a failed run")
    ap.add_argument(
        "--any-week",
        action="store_true",
        help="train one model for every week per module (the app's default) instead of one per week",
    )
    args = ap.parse_args(argv)
    folder = args.data.resolve()
    if not (folder / "studentInfo.csv").exists():
        print(f"no OULAD tables in {folder} (give --data)", file=sys.stderr)
        return 2
    tables = _tables(folder)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        conv = convert(
            folder,
            tmp,
            modules=tuple(args.modules),
            presentations=("2013J", "2014J"),
            activity_type=args.activity_type,
        )
        print(
            f"converted {len(conv.offerings)} offerings in {time.perf_counter() - t0:.1f} s ({args.activity_type} activity type)"
        )
        print(HEADER)
        for mod in args.modules:
            rows += run_module(folder, conv, mod, args.weeks, args.kind, tables, args.any_week)
    goal = [r for r in rows if r["module"] in GOAL_MODULES]
    ok = [r for r in goal if "model" in r and r["model"]["roc_auc"] is not None]
    if goal:
        base = [r["baseline"]["roc_auc"] for r in goal if r["baseline"]["roc_auc"] is not None]
        print(
            f"\nmean baseline AUC over {', '.join(GOAL_MODULES)} x weeks {args.weeks}: {sum(base) / len(base):.3f}"
        )
        if ok:
            model = sum(r["model"]["roc_auc"] for r in ok) / len(ok)
            paired = sum(r["model"]["roc_auc"] - r["baseline"]["roc_auc"] for r in ok) / len(ok)
            print(
                f"mean model AUC over the {len(ok)} of {len(goal)} runs that worked: {model:.3f} (model - baseline {paired:+.3f}; goal >= +0.02)"
            )
    failed = [r for r in rows if "error" in r]
    print(f"{len(failed)} of {len(rows)} runs failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
