"""``train --features`` and ``score --features``: the model on a feature table from a cluster.

``learnalytics train --db DB --features FILE [--outcomes [IRI=]CSV ...] [--week K]
[--course IRI] [--kind ...] [--json]`` attaches the table's offerings and students to DB (a
new file is created when there is none: no raw events are needed), imports each gradebook
(``IRI=CSV``; a bare ``CSV`` when the table holds one offering) and trains at the table's week
(from its sidecar ``FILE.json``, else ``--week``). The model card's ``feature_source`` names
the file, its SHA-256 and the engine that computed it.

``learnalytics score --db DB --features FILE --out RISK.csv [--model ID] [--capacity N]
[--course IRI] [--as-of DATE] [--json]`` scores every offering in the table with the active
(or given) model and writes the risk list (a ``course`` column first when there are several).
Exit codes as ``train``/``score``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from learnalytics_desktop.cli import UserError


def _open(args: argparse.Namespace) -> tuple[Any, Any]:
    from learnalytics_desktop.core.model.feature_file import FeatureFileError, read_feature_file
    from learnalytics_desktop.core.store import open_db

    try:
        ff = read_feature_file(args.features)
    except FeatureFileError as exc:
        raise UserError(str(exc)) from exc
    db = Path(args.db)
    if not db.parent.exists():
        raise UserError(f"the folder {db.parent} does not exist")
    return ff, open_db(db)


def _errors() -> tuple[type[BaseException], ...]:
    from learnalytics_desktop.cli.model_cmds import _model_errors
    from learnalytics_desktop.core.model.feature_file import FeatureFileError
    from learnalytics_desktop.core.outcomes import OutcomesError

    return (*_model_errors(), FeatureFileError, OutcomesError, ValueError)


def _outcomes(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        iri, sep, path = pair.rpartition("=")
        if not sep or "://" in path:  # a bare path (or a path with '=' only inside the IRI part)
            iri, path = "", pair
        if not Path(path).is_file():
            raise UserError(f"there is no outcomes file at {path}")
        out[iri] = path
    return out


def train_from_features(args: argparse.Namespace) -> int:
    """``learnalytics train --features``."""
    from learnalytics_desktop.core.jobs import ConsoleReporter
    from learnalytics_desktop.core.model.card import summary_lines
    from learnalytics_desktop.core.model.feature_file import train_from_file

    outcomes = _outcomes(args.outcomes)
    ff, conn = _open(args)
    try:
        try:
            result = train_from_file(
                conn,
                ff,
                args.week,
                outcomes=outcomes,
                course=args.course[0] if args.course else None,
                kind=args.kind,
                report=ConsoleReporter(enabled=not args.json),
            )
        except _errors() as exc:
            raise UserError(str(exc)) from exc
    finally:
        conn.close()
    card = result.card
    if args.json:
        keys = ("model_id", "kind", "week", "counts", "base_rate", "chosen", "features", "feature_source")
        print(json.dumps({k: card.get(k) for k in keys}, sort_keys=True, default=str))
    else:
        print("\n".join(summary_lines(card)))
        print(
            f"features from {ff.path.name} ({card['feature_source']['engine']}), sha256 {ff.sha256[:16]}..."
        )
    return 0


def score_from_features(args: argparse.Namespace, out_path: Path) -> int:
    """``learnalytics score --features``."""
    import pandas as pd

    from learnalytics_desktop.cli.analytics_cmds import parse_as_of
    from learnalytics_desktop.core.export import record_export, write_csv_atomic
    from learnalytics_desktop.core.jobs import ConsoleReporter
    from learnalytics_desktop.core.model.feature_file import score_from_file

    as_of = parse_as_of(args.as_of) if args.as_of else None
    ff, conn = _open(args)
    try:
        try:
            runs = score_from_file(
                conn,
                ff,
                model_id=args.model,
                course=args.course,
                as_of=as_of,
                capacity=args.capacity,
                report=ConsoleReporter(enabled=not args.json),
            )
            parts = []
            for run in runs:
                table = run.drop(columns=["actor"]).copy()
                table["reasons"] = table["reasons"].map("; ".join)
                if len(runs) > 1:
                    table.insert(0, "course", run.attrs["course_label"])
                parts.append(table)
            rows = write_csv_atomic(out_path, pd.concat(parts, ignore_index=True))
            record_export(
                conn,
                "risk scores",
                out_path,
                rows,
                features=str(ff.path),
                runs=[r.attrs["run_id"] for r in runs],
            )
        except _errors() as exc:
            raise UserError(str(exc)) from exc
    finally:
        conn.close()
    summary = [
        {
            "course": r.attrs["course_label"],
            "run_id": r.attrs["run_id"],
            "model_id": r.attrs["model_id"],
            "as_of": r.attrs["as_of"],
            "students": len(r),
            "high": int((r["risk_level"] == "high").sum()),
        }
        for r in runs
    ]
    if args.json:
        print(
            json.dumps({"runs": summary, "out": str(out_path), "feature_source": ff.source()}, sort_keys=True)
        )
    else:
        for s in summary:
            print(
                f"Scored {s['students']} students of {s['course']} as of {s['as_of']} with model {s['model_id']}: {s['high']} high"
            )
        print(f"Wrote {out_path}")
    return 0
