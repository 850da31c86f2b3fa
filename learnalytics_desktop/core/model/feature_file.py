"""Training and scoring from a feature table computed elsewhere (a cluster's ``lake features``).

An institution computes the features of five years of offerings on Spark and copies only the
feature table to the laptop: no raw events. This module reads such a table (the file
``learnalytics features`` or ``learnalytics lake features`` writes, CSV or Parquet) and its
sidecar ``FILE.json`` (what ``lake features`` records: engine, sources, each offering's IRI,
start and as-of instant), and gives the desktop what it needs to train and score:

* each offering in the file becomes (or is found as) a course in the database, with the
  start date the file was computed with;
* each student is found by the label the file gives (``student``), else added as a learner
  (an e-mail becomes an ``mbox`` learner, a 40-digit hash an ``mbox_sha1sum`` one, anything
  else an account name), and enrolled with source ``features``, so that a gradebook matches
  them as it matches imported learners;
* the features are used as given (never recomputed); the model card's ``feature_source``
  names the file, its SHA-256, the engine and the sources the cluster read.

Decisions: a file without a sidecar needs the offering (``course``) and its start given by
the caller; the same label twice in one offering is an error (the file is ambiguous); every
feature of ``catalog.FEATURES`` must be a column (a partial table would train a different
model than the card says), other numeric columns (``pct_``, ``engagement_score``) are
ignored by the model as usual.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.jobs import NullReporter, Reporter

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

LAKE_HOME_PAGE = "urn:learnalytics:feature-table"
ENROLMENT_SOURCE = "features"
_SHA1 = re.compile(r"^[0-9a-f]{40}$")


class FeatureFileError(ValueError):
    """A feature table that cannot be used; the message says why and where."""


@dataclass
class FeatureFile:
    """A feature table read from disk, with what its sidecar says."""

    path: Path
    sha256: str
    table: pd.DataFrame  # student, [course], features...
    meta: dict[str, Any] = field(default_factory=dict)

    def offerings(self) -> list[dict[str, Any]]:
        """``[{"course", "start", "as_of"}]`` from the sidecar (may be empty)."""
        return list(self.meta.get("courses") or [])

    def source(self) -> dict[str, Any]:
        """What the model card records as the ``feature_source``."""
        return {
            "engine": self.meta.get("engine", "unknown (no sidecar file)"),
            "file": str(self.path),
            "sha256": self.sha256,
            "created_at": self.meta.get("created_at"),
            "sources": self.meta.get("sources"),
            "master": self.meta.get("master"),
        }


def sidecar_path(path: str | Path) -> Path:
    """Where ``lake features`` writes what it computed: ``FILE.json`` beside ``FILE``."""
    p = Path(path)
    return p.with_name(p.name + ".json")


def read_feature_file(path: str | Path) -> FeatureFile:
    """Read a feature table (``.csv`` through ``core.tabular``, or ``.parquet``) and its sidecar."""
    import pandas as pd

    from learnalytics_desktop.core.features.catalog import FEATURE_COLUMNS

    p = Path(path)
    if not p.is_file():
        raise FeatureFileError(f"there is no feature table at {p}")
    digest = hashlib.sha256(p.read_bytes()).hexdigest()
    if p.suffix.lower() == ".parquet":
        try:
            table = pd.read_parquet(p)
        except ImportError as exc:
            raise FeatureFileError(
                f"reading Parquet needs pyarrow ({exc}); write the table as CSV instead"
            ) from exc
        except Exception as exc:  # a damaged or foreign file
            raise FeatureFileError(f"{p.name} is not a readable Parquet file ({exc})") from exc
    else:
        table = _read_csv_table(p)
    if "student" not in table.columns:
        raise FeatureFileError(f"{p.name} has no 'student' column; is it a feature table?")
    missing = [c for c in FEATURE_COLUMNS if c not in table.columns]
    if missing:
        raise FeatureFileError(f"{p.name} lacks the feature column(s) {', '.join(missing)}")
    for col in FEATURE_COLUMNS:
        values = pd.to_numeric(table[col], errors="coerce")
        bad = table[col].notna() & (table[col].astype(str).str.strip() != "") & values.isna()
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise FeatureFileError(
                f"{p.name}, row {row + 2}: {col} is not a number ({table[col].iloc[row]!r})"
            )
        table[col] = values.astype(float)
    table["student"] = table["student"].astype(str).str.strip()
    if (table["student"] == "").any():
        raise FeatureFileError(f"{p.name}: a row has no student label")
    meta: dict[str, Any] = {}
    side = sidecar_path(p)
    if side.is_file():
        try:
            meta = json.loads(side.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise FeatureFileError(f"{side.name} is not readable JSON ({exc})") from exc
    return FeatureFile(p, digest, table.reset_index(drop=True), meta)


def _read_csv_table(p: Path) -> pd.DataFrame:
    import pandas as pd

    from learnalytics_desktop.core.tabular import CsvError, read_csv

    try:
        csv = read_csv(p)
    except CsvError as exc:
        raise FeatureFileError(str(exc)) from exc
    return pd.DataFrame([cells for _line, cells in csv.rows], columns=csv.header, dtype=object)


def _actor_for(conn: sqlite3.Connection, label: str) -> int:
    """The learner with this label (one, not a group), else a new one made from it."""
    rows = conn.execute("SELECT id FROM actors WHERE label = ? AND kind != 'group'", (label,)).fetchall()
    if len(rows) == 1:
        return int(rows[0][0])
    if len(rows) > 1:
        raise FeatureFileError(
            f"two learners in the database are labelled {label!r}; the file cannot say which"
        )
    low = label.lower()
    if "@" in label:
        sha1 = hashlib.sha1(f"mailto:{low}".encode()).hexdigest()
        ident: tuple[str, str, str, str | None, str | None] = (f"mbox:mailto:{low}", "mbox", low, low, sha1)
    elif _SHA1.match(low):
        ident = (f"mbox_sha1sum:{low}", "mbox_sha1sum", low, None, low)
    else:
        ident = (f"account:{LAKE_HOME_PAGE}|{label}", "account", label, None, None)
    found = conn.execute("SELECT id FROM actors WHERE ifi = ?", (ident[0],)).fetchone()
    if found:
        return int(found[0])
    cur = conn.execute("INSERT INTO actors(ifi, kind, label, email, email_sha1) VALUES (?,?,?,?,?)", ident)
    return int(cur.lastrowid or 0)


@dataclass
class Attached:
    """One offering of a feature file, attached to the database."""

    course_id: int
    iri: str
    as_of: datetime
    features: pd.DataFrame  # index actor id, the file's numeric columns


def attach(
    conn: sqlite3.Connection,
    ff: FeatureFile,
    *,
    course: str | None = None,
    start: date | None = None,
    as_of: datetime | None = None,
) -> list[Attached]:
    """Register the file's offerings, learners and enrolments in the database (one
    transaction) and return each offering's features by actor id. ``course`` / ``start`` /
    ``as_of`` stand in for what a file without a sidecar (or without a ``course`` column)
    cannot say."""
    from learnalytics_desktop.core.store.db import audit, transaction

    table = ff.table
    side = {o["course"]: o for o in ff.offerings()}
    if "course" in table.columns:
        groups = [(str(c), part) for c, part in table.groupby("course", sort=False)]
    else:
        iri = course or (next(iter(side)) if len(side) == 1 else None)
        if not iri:
            raise FeatureFileError(f"{ff.path.name} does not say which offering it is: give the course IRI")
        groups = [(iri, table)]
    out: list[Attached] = []
    with transaction(conn):
        for iri, part in groups:
            info = side.get(iri, {})
            begin = start or (date.fromisoformat(info["start"]) if info.get("start") else None)
            when = as_of or (datetime.fromisoformat(info["as_of"]) if info.get("as_of") else None)
            if when is None:
                raise FeatureFileError(
                    f"{ff.path.name} does not say as of when {iri} was computed: give the as-of date"
                )
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            dup = part["student"][part["student"].duplicated()]
            if len(dup):
                raise FeatureFileError(f"{ff.path.name}: {dup.iloc[0]!r} appears twice in {iri}")
            row = conn.execute("SELECT id, start_date FROM courses WHERE iri = ?", (iri,)).fetchone()
            if row is None:
                cid = int(conn.execute("INSERT INTO courses(iri) VALUES (?)", (iri,)).lastrowid or 0)
                row = (cid, None)
            cid = int(row[0])
            if begin is not None and row[1] is None:
                conn.execute("UPDATE courses SET start_date = ? WHERE id = ?", (begin.isoformat(), cid))
            actors = [_actor_for(conn, label) for label in part["student"]]
            conn.executemany(
                "INSERT OR IGNORE INTO enrolments(course, actor, source) VALUES (?, ?, ?)",
                [(cid, a, ENROLMENT_SOURCE) for a in actors],
            )
            numeric = part.drop(columns=[c for c in ("student", "course") if c in part.columns])
            numeric = numeric.apply(lambda s: s.astype(float) if s.dtype != object else s)
            feats = numeric.set_axis(actors).rename_axis("actor")
            out.append(Attached(cid, iri, when, feats))
        audit(conn, "feature_table", file=str(ff.path), sha256=ff.sha256, offerings=[a.iri for a in out])
    return out


def train_from_file(
    conn: sqlite3.Connection,
    ff: FeatureFile,
    week: int | None = None,
    *,
    outcomes: dict[str, str | Path] | None = None,
    course: str | None = None,
    start: date | None = None,
    kind: str = "auto",
    report: Reporter | None = None,
) -> Any:
    """Train an at-risk model on a feature file: attach it, import each offering's gradebook
    (``outcomes``: course IRI -> CSV; ``""`` as the key for a single-offering file), then train
    on the file's features at its week (``week``: default the sidecar's). Returns ``TrainResult``."""
    from learnalytics_desktop.core.model.data import build_training_data
    from learnalytics_desktop.core.model.train import fit_and_register
    from learnalytics_desktop.core.outcomes import import_outcomes

    report = report or NullReporter()
    week = week if week is not None else ff.meta.get("week")
    if week is None:
        raise FeatureFileError(f"{ff.path.name} does not say at which week it was computed: give the week")
    attached = attach(conn, ff, course=course, start=start)
    outcomes = dict(outcomes or {})
    if "" in outcomes and len(attached) == 1:
        outcomes[attached[0].iri] = outcomes.pop("")
    for a in attached:
        if a.iri in outcomes:
            report.progress(0.02, f"matching the outcomes of {a.iri}")
            import_outcomes(conn, a.course_id, outcomes[a.iri])
    unknown = sorted(set(outcomes) - {a.iri for a in attached})
    if unknown:
        raise FeatureFileError(
            f"outcomes were given for offerings the file does not hold: {', '.join(unknown)}"
        )
    tables = {(a.course_id, int(week)): a.features for a in attached}
    data = build_training_data(conn, [a.course_id for a in attached], int(week), report, tables=tables)
    return fit_and_register(conn, data, int(week), kind=kind, feature_source=ff.source(), report=report)


def score_from_file(
    conn: sqlite3.Connection,
    ff: FeatureFile,
    *,
    model_id: str | None = None,
    course: str | None = None,
    as_of: datetime | None = None,
    capacity: int | None = None,
    report: Reporter | None = None,
) -> list[pd.DataFrame]:
    """Score every offering of a feature file with a model (default: the active one), store
    and audit the runs as ``score_course`` does; one risk table per offering."""
    from learnalytics_desktop.core.model.levels import check_capacity, get_capacity
    from learnalytics_desktop.core.model.registry import load_model
    from learnalytics_desktop.core.model.scoring import score_features

    report = report or NullReporter()
    model = load_model(conn, model_id)
    capacity = get_capacity(conn) if capacity is None else check_capacity(capacity)
    out = []
    for a in attach(conn, ff, course=course, as_of=as_of):
        run = score_features(
            conn,
            model,
            a.course_id,
            a.as_of,
            a.features,
            course_label=a.iri,
            capacity=capacity,
            report=report,
        )
        run.attrs["feature_source"] = ff.source()
        run.attrs["course_label"] = a.iri
        out.append(run)
    return out


# -- jobs for the app (module level: the GUI runs them in a child process) -------------------


def describe_file(path: str | Path) -> dict[str, Any]:
    """What a feature file holds, in plain words for the dialog (raises FeatureFileError)."""
    ff = read_feature_file(path)
    offerings = (
        sorted(ff.table["course"].astype(str).unique())
        if "course" in ff.table.columns
        else [o["course"] for o in ff.offerings()]
    )
    return {
        "students": int(len(ff.table)),
        "offerings": offerings,
        "week": ff.meta.get("week"),
        "engine": ff.meta.get("engine"),
        "created_at": ff.meta.get("created_at"),
        "sources": ff.meta.get("sources") or [],
        "sha256": ff.sha256,
    }


def train_job(
    conn: sqlite3.Connection,
    path: str | Path,
    outcomes: str | Path | None = None,
    kind: str = "auto",
    report: Reporter | None = None,
) -> dict[str, Any]:
    """Train on a single-offering feature file with its gradebook; a small summary."""
    result = train_from_file(
        conn, read_feature_file(path), outcomes={"": outcomes} if outcomes else None, kind=kind, report=report
    )
    card = result.card
    return {
        "model_id": result.model_id,
        "kind": result.kind,
        "week": card["week"],
        "trained_on": card["counts"]["trained_on"],
        "roc_auc": card["validation"][result.kind].get("roc_auc"),
        "engine": card["feature_source"]["engine"],
    }


def score_job(conn: sqlite3.Connection, path: str | Path, report: Reporter | None = None) -> dict[str, Any]:
    """Score a feature file with the active model; a small summary per offering."""
    runs = score_from_file(conn, read_feature_file(path), report=report)
    return {
        "runs": [
            {
                "course": r.attrs["course_label"],
                "run_id": r.attrs["run_id"],
                "students": int(len(r)),
                "high": int((r["risk_level"] == "high").sum()),
                "as_of": r.attrs["as_of"],
            }
            for r in runs
        ]
    }
