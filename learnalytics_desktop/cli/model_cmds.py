"""The at-risk model commands: ``train``, ``score`` and ``recalibrate`` (a stable contract, see issue 3).

``learnalytics recalibrate --db DB [--model ID] [--course COURSE] [--json]`` re-maps the
probabilities of a model (default: the active one) on the latest finished offering it was not
trained on (``core.model.recalibrate``) and registers the result as a new model.

``learnalytics train --db DB --course COURSE [--course COURSE ...] [--week K]
[--kind auto|hgb|logreg] [--use-attributes] [--exclude-feature NAME ...] [--json]`` trains on
past offerings (without ``--week``: one model for every week, which scores any week; with
``--week K``: a model of week K only) and prints the model id and its validation metrics (features with
no data, and those excluded, are listed as "not used"). Any failure of ``train`` or
``score``, expected or not, is one line on stderr and exit code 2, never a traceback (set
``LEARNALYTICS_DEBUG=1`` to see the traceback of an unexpected one).

``learnalytics score --db DB --course COURSE --week K [--model ID] [--capacity N]
--out FILE.csv [--json]`` scores every student of an offering with the given (or active)
model and writes one row per student: ``student``, ``risk_score`` (0-1), ``risk_level``,
``reasons`` (joined with "; ") and the key features, as spreadsheet-safe CSV. Levels follow
the database's saved settings (advisor capacity when one is saved, else the thresholds), as
in the app; ``--capacity N`` overrides them for this run: exactly the N highest-risk
students are high.

With ``--features FILE`` both work on a feature table computed elsewhere (``learnalytics lake
features`` on a cluster), without the raw events: ``train --db DB --features FILE --outcomes
[IRI=]CSV ...`` and ``score --db DB --features FILE --out FILE.csv`` (see ``cli.model_features``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from learnalytics_desktop.cli import UserError


def _open_model_db(path: str) -> Any:
    from learnalytics_desktop.core.store import open_db

    p = Path(path)
    if not p.exists():
        raise UserError(f"there is no database at {p}")
    return open_db(p, create=False)


def _model_errors() -> tuple[type[BaseException], ...]:
    from learnalytics_desktop.core.courses import CourseError
    from learnalytics_desktop.core.export import ExportError
    from learnalytics_desktop.core.model.estimators import TrainingDataError
    from learnalytics_desktop.core.model.levels import ThresholdError
    from learnalytics_desktop.core.model.registry import ModelNotFound
    from learnalytics_desktop.core.model.scoring import ScoringError
    from learnalytics_desktop.core.model.signing import ModelFileError

    return (
        CourseError,
        ExportError,
        TrainingDataError,
        ThresholdError,
        ModelNotFound,
        ScoringError,
        ModelFileError,
    )


def _unexpected(what: str, exc: BaseException) -> str:
    """One line for a failure nobody foresaw (the traceback only with ``LEARNALYTICS_DEBUG``)."""
    import os
    import traceback

    if os.environ.get("LEARNALYTICS_DEBUG"):
        traceback.print_exception(exc, file=sys.stderr)
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{what} failed: {text} ({type(exc).__name__}; set LEARNALYTICS_DEBUG=1 for details)"


def _metrics_only(m: dict[str, Any] | None) -> dict[str, Any] | None:
    """A metrics block without the curve points (kept in the card)."""
    if not m:
        return m
    return {k: v for k, v in m.items() if k not in ("calibration", "roc")}


def cmd_train(args: argparse.Namespace) -> int:
    """Train an at-risk model on one or more past offerings as of week K."""
    from learnalytics_desktop.core.courses import find_course
    from learnalytics_desktop.core.jobs import ConsoleReporter
    from learnalytics_desktop.core.model.card import summary_lines
    from learnalytics_desktop.core.model.train import train_model

    if args.features:
        from learnalytics_desktop.cli.model_features import train_from_features

        return train_from_features(args)
    if not args.course:
        raise UserError("give --course (or --features FILE)")
    conn = _open_model_db(args.db)
    try:
        try:
            ids = [find_course(conn, c).id for c in args.course]
            result = train_model(
                conn,
                ids,
                args.week,
                kind=args.kind,
                use_attributes=args.use_attributes,
                exclude_features=args.exclude_feature or (),
                report=ConsoleReporter(enabled=not args.json),
            )
        except _model_errors() as exc:
            raise UserError(str(exc)) from exc
        except Exception as exc:
            raise UserError(_unexpected("training", exc)) from exc
    finally:
        conn.close()
    card = result.card
    if args.json:
        later = card["validation"].get("later_offering")
        if later and "skipped" not in later:
            later = {k: (_metrics_only(v) if k in ("hgb", "logreg") else v) for k, v in later.items()}
        print(
            json.dumps(
                {
                    "model_id": result.model_id,
                    "kind": result.kind,
                    "week": card["week"],
                    "weeks": card.get("weeks"),
                    "any_week": card.get("any_week", False),
                    "courses": [c["iri"] for c in card["courses"]],
                    "counts": card["counts"],
                    "base_rate": card["base_rate"],
                    "validation": {
                        "method": card["validation"]["method"],
                        "hgb": _metrics_only(card["validation"]["hgb"]),
                        "logreg": _metrics_only(card["validation"]["logreg"]),
                        "later_offering": later,
                        "transfer": card["validation"].get("transfer"),
                        "notes": card["validation"]["notes"],
                    },
                    "chosen": card["chosen"],
                    "features": card["features"],
                    "unused_features": card.get("unused_features", []),
                    "fairness_warnings": (card.get("fairness") or {}).get("warnings", []),
                },
                sort_keys=True,
            )
        )
    else:
        print("\n".join(summary_lines(card)))
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    """Score an offering as of week K and write the risk list to a CSV file."""
    from learnalytics_desktop.core.courses import find_course
    from learnalytics_desktop.core.export import record_export, write_csv_atomic
    from learnalytics_desktop.core.jobs import ConsoleReporter
    from learnalytics_desktop.core.model.scoring import score_course

    out_path = Path(args.out)
    if not out_path.parent.exists():
        raise UserError(f"the folder {out_path.parent} does not exist")
    if args.features:
        from learnalytics_desktop.cli.model_features import score_from_features

        return score_from_features(args, out_path)
    if not args.course or args.week is None:
        raise UserError("give --course and --week (or --features FILE)")
    conn = _open_model_db(args.db)
    try:
        try:
            course = find_course(conn, args.course)
            frame = score_course(
                conn,
                course.id,
                week=args.week,
                model_id=args.model,
                capacity=args.capacity,
                report=ConsoleReporter(enabled=not args.json),
            )
            table = frame.drop(columns=["actor"]).copy()
            table["reasons"] = table["reasons"].map("; ".join)
            rows = write_csv_atomic(out_path, table)
            record_export(
                conn,
                "risk scores",
                out_path,
                rows,
                course=course.iri,
                model_id=frame.attrs["model_id"],
                run_id=frame.attrs["run_id"],
            )
        except _model_errors() as exc:
            raise UserError(str(exc)) from exc
        except Exception as exc:
            raise UserError(_unexpected("scoring", exc)) from exc
    finally:
        conn.close()
    for warning in frame.attrs.get("warnings", []):
        print(f"learnalytics score: warning: {warning}", file=sys.stderr)
    counts = frame["risk_level"].value_counts().to_dict()
    summary = {
        "course": course.iri,
        "model_id": frame.attrs["model_id"],
        "run_id": frame.attrs["run_id"],
        "week": frame.attrs["week"],
        "as_of": frame.attrs["as_of"],
        "students": int(len(frame)),
        "levels": {lv: int(counts.get(lv, 0)) for lv in ("high", "moderate", "low")},
        "capacity": frame.attrs.get("capacity"),
        "withdrawn": int(frame["status"].astype(str).str.startswith("withdrawn").sum())
        if "status" in frame.columns
        else 0,
        "out": str(out_path),
        "warnings": list(frame.attrs.get("warnings", [])),
    }
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        lv = summary["levels"]
        print(
            f"Scored {summary['students']} students of {course.label} as of {summary['as_of']} "
            f"(week {summary['week']}) with model {summary['model_id']}: {lv['high']} high, "
            f"{lv['moderate']} moderate, {lv['low']} low"
            + (f" ({summary['withdrawn']} withdrawn: see the status column)" if summary["withdrawn"] else "")
            + f".\nWrote {out_path}"
        )
    return 0


def cmd_recalibrate(args: argparse.Namespace) -> int:
    """Recalibrate a model on the latest finished offering it has not seen (a new model)."""
    from learnalytics_desktop.core.courses import find_course
    from learnalytics_desktop.core.jobs import ConsoleReporter
    from learnalytics_desktop.core.model.recalibrate import recalibrate_model

    conn = _open_model_db(args.db)
    try:
        try:
            course_id = find_course(conn, args.course).id if args.course else None
            result = recalibrate_model(
                conn, args.model, course_id, report=ConsoleReporter(enabled=not args.json)
            )
        except _model_errors() as exc:
            raise UserError(str(exc)) from exc
        except Exception as exc:
            raise UserError(_unexpected("recalibration", exc)) from exc
    finally:
        conn.close()
    recal = result.card["recalibration"]
    if args.json:
        keep = ("n", "roc_auc", "brier", "calibration_error", "mean_predicted", "base_rate")
        print(
            json.dumps(
                {
                    "model_id": result.model_id,
                    "from_model": recal["from_model"],
                    "course": recal["course"],
                    "students": recal["students"],
                    "before": {k: recal["before"].get(k) for k in keep},
                    "after": {k: recal["after"].get(k) for k in keep},
                },
                sort_keys=True,
            )
        )
    else:
        b, a = recal["before"], recal["after"]
        print(
            f"model {result.model_id}: {recal['from_model']} recalibrated on {recal['course']} "
            f"({recal['students']} students). Calibration error {b['calibration_error']} -> "
            f"{a['calibration_error']} (cross-validated), Brier {b['brier']} -> {a['brier']}, "
            f"ROC AUC {b['roc_auc']} -> {a['roc_auc']}."
        )
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value}")
    return value


def _capacity(text: str) -> int:
    from learnalytics_desktop.core.model.levels import ThresholdError, check_capacity

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of students, got {text!r}") from None
    try:
        return int(check_capacity(value) or 0)
    except ThresholdError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register_train(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train an at-risk model on past offerings as of week K")
    p.add_argument("--db", required=True, help="database file")
    p.add_argument(
        "--course",
        action="append",
        metavar="COURSE",
        help="a past offering with outcomes (id, IRI or part of its name); repeat for several",
    )
    p.add_argument(
        "--week",
        type=_positive_int,
        metavar="K",
        default=None,
        help="train a model of week K only (what was known at the end of week K; it scores week K); "
        "default: one model for every week, which scores any week",
    )
    p.add_argument(
        "--kind",
        choices=["auto", "hgb", "logreg"],
        default="auto",
        help="auto (default): the better of gradient boosting and logistic regression on validation",
    )
    p.add_argument(
        "--use-attributes",
        action="store_true",
        help="also use the marked demographic attributes as features (off by default)",
    )
    p.add_argument(
        "--exclude-feature",
        action="append",
        metavar="NAME",
        default=[],
        help="do not use this feature (repeat for several); the model card lists it as excluded",
    )
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--features", metavar="FILE", help="train on this feature table (CSV/Parquet) instead")
    p.add_argument(
        "--outcomes",
        action="append",
        default=[],
        metavar="[IRI=]CSV",
        help="with --features: an offering's gradebook (IRI= needed when the file has several)",
    )
    p.set_defaults(func=cmd_train)


def register_score(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("score", help="score an offering's students and write the risk list (CSV)")
    p.add_argument("--db", required=True, help="database file")
    p.add_argument("--course", metavar="COURSE", help="the offering to score (id, IRI or name)")
    p.add_argument("--week", type=_positive_int, metavar="K", help="score as of the end of week K")
    p.add_argument("--features", metavar="FILE", help="score this feature table (CSV/Parquet) instead")
    p.add_argument("--as-of", metavar="DATE", help="with --features and no sidecar: when it was computed")
    p.add_argument("--model", metavar="ID", default=None, help="model id (default: the active model)")
    p.add_argument(
        "--capacity",
        type=_capacity,
        metavar="N",
        default=None,
        help="flag exactly the N highest-risk students as high (advisor capacity); "
        "overrides the levels saved in the database's settings for this run",
    )
    p.add_argument("--out", required=True, metavar="FILE.csv", help="CSV file to write")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_score)


def register_recalibrate(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "recalibrate",
        help="re-map a model's probabilities on the latest finished offering it has not seen (a new model)",
    )
    p.add_argument("--db", required=True, help="database file")
    p.add_argument("--model", metavar="ID", default=None, help="model id (default: the active model)")
    p.add_argument(
        "--course",
        metavar="COURSE",
        default=None,
        help="finished offering to recalibrate on (default: the latest one the model was not trained on)",
    )
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=cmd_recalibrate)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train``, ``score`` and ``recalibrate``."""
    register_train(subparsers)
    register_score(subparsers)
    register_recalibrate(subparsers)
