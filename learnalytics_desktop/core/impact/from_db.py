"""Building the one-row-per-student table for the impact analysis from the database.

Groups come from (a) the interventions log or (b) a groups table/CSV:

* ``comparison="holdout"`` (log): students of batches that had a randomised hold-out. The
  analysis is by **intention to treat**: every student the draw put in the treated arm
  counts as treated, whether or not the draft was approved or sent, because dropping the
  dismissed ones would undo the randomisation. A student in several randomised batches
  keeps the arm of the first. Covariates: the risk and features stored in that row at
  drafting time. ``randomised`` is True.
* ``comparison="untreated"`` (log): treated = students with an intervention that left the
  app (status ``exported`` or ``done``, including imported external ones); control = every
  other student of the course with an outcome. Not randomised.
* ``groups`` (DataFrame or CSV with ``student``, ``group`` and optionally ``date`` and
  ``eligible``): students matched like ``score`` names them (label; account name or e-mail
  also accepted); with ``eligible`` only rows marked 1/true/yes are kept. Randomised only
  when the caller says so.

For (b) and ``untreated``, pre-intervention covariates are recomputed for everyone the same
way: features as of the **start** of each student's intervention date (so nothing from that
day leaks in) and the latest stored risk score at that instant. A student's date is their
``date`` cell, else their first intervention's date in the log; control students without a
date take the median date of the treated group (decision: one index date for the
comparison group, documented in the warnings).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.impact.estimates import ImpactError
from learnalytics_desktop.core.text import plural

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

    import pandas as pd

    from learnalytics_desktop.core.impact.analysis import ImpactResult

OUTCOME_COLUMNS = ("final_grade", "passed", "withdrew")
RUNNING = "risk_at_drafting"
"""The running variable of a threshold design from the log: the risk the drafting used."""
COMPOSITE = "passed_not_withdrawn"
"""1 when the student passed, 0 when they failed *or withdrew* (a withdrawal is not a pass),
None when neither is known: the outcome to use when withdrawals empty the grade column."""
TRUE = {"1", "true", "yes", "y"}
FALSE = {"0", "false", "no", "n", ""}


def load_outcome(conn: sqlite3.Connection, course_id: int, outcome: str) -> dict[int, float | None]:
    """actor -> outcome value from ``outcomes`` (or a numeric ``attributes`` key)."""
    if outcome == COMPOSITE:
        rows = conn.execute(
            "SELECT actor, passed, withdrew FROM outcomes WHERE course = ?", (int(course_id),)
        ).fetchall()
        out_c: dict[int, float | None] = {}
        for a, passed, withdrew in rows:
            if withdrew is not None and float(withdrew) == 1:
                out_c[int(a)] = 0.0
            else:
                out_c[int(a)] = None if passed is None else float(passed)
        return out_c
    if outcome in OUTCOME_COLUMNS:
        rows = conn.execute(
            f"SELECT actor, {outcome} FROM outcomes WHERE course = ?", (int(course_id),)
        ).fetchall()
        return {int(a): (None if v is None else float(v)) for a, v in rows}
    keys = {
        k for (k,) in conn.execute("SELECT DISTINCT key FROM attributes WHERE course = ?", (int(course_id),))
    }
    if outcome not in keys:
        raise ImpactError(
            f"There is no outcome {outcome!r}. Outcomes: {', '.join((*OUTCOME_COLUMNS, COMPOSITE))}"
            + (f"; attributes: {', '.join(sorted(keys))}" if keys else "")
            + "."
        )
    out: dict[int, float | None] = {}
    for a, v in conn.execute(
        "SELECT actor, value FROM attributes WHERE course = ? AND key = ?", (int(course_id), outcome)
    ):
        try:
            out[int(a)] = None if v in (None, "") else float(v)
        except ValueError:
            raise ImpactError(f"The attribute {outcome!r} has a value that is not a number: {v!r}.") from None
    return out


def read_groups_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A groups CSV as a DataFrame (text cells) with a ``_row`` column of the file's line
    numbers. Read by :func:`core.tabular.read_csv` (any encoding and delimiter it knows);
    ``student``, ``group``, ``date`` and ``eligible`` are found ignoring case, spaces and
    ``_``/``-``; other columns are kept with their header lower-cased."""
    import pandas as pd

    from learnalytics_desktop.core.tabular import CsvError, read_csv

    try:
        table = read_csv(Path(path))
    except (CsvError, FileNotFoundError) as exc:
        raise ImpactError(str(exc)) from exc
    try:
        index = {name: table.index(name, name) for name in ("student", "group")}
    except CsvError as exc:
        raise ImpactError(f"The groups file needs student and group columns. {exc}") from exc
    for name in ("date", "eligible"):
        found = table.guess((name,))
        if found is not None:
            index[name] = table.header.index(found)
    used = set(index.values())
    cols = [*index] + [h.lower() for k, h in enumerate(table.header) if k not in used]
    order = [*index.values()] + [k for k in range(len(table.header)) if k not in used]
    records = [[cells[k] for k in order] + [line] for line, cells in table.rows]
    return pd.DataFrame(records, columns=[*cols, "_row"])


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _groups_from_table(
    conn: sqlite3.Connection, course_id: int, groups: pd.DataFrame, warnings: list[str]
) -> dict[int, dict[str, Any]]:
    from learnalytics_desktop.core.impact.analysis import CONTROL, TREATED
    from learnalytics_desktop.core.interventions.external import actor_index, match_student, parse_date

    for col in ("student", "group"):
        if col not in groups.columns:
            raise ImpactError(f"The groups table has no column {col!r}.")
    index, in_course = actor_index(conn, int(course_id))
    problems: list[str] = []
    out: dict[int, dict[str, Any]] = {}
    excluded = 0
    for i, rec in enumerate(groups.to_dict("records")):
        row = rec.get("_row", i + 2)
        student = str(rec.get("student") or "").strip()
        if "eligible" in groups.columns:
            flag = str(rec.get("eligible") if rec.get("eligible") is not None else "").strip().lower()
            flag = {"1.0": "1", "0.0": "0", "nan": ""}.get(flag, flag)
            if flag not in TRUE | FALSE:
                problems.append(
                    f"row {row}: eligible {rec.get('eligible')!r} is not 1/0, true/false or yes/no"
                )
                continue
            if flag in FALSE:
                excluded += 1
                continue
        group = str(rec.get("group") if rec.get("group") is not None else "").strip().lower()
        if group not in TREATED | CONTROL:
            problems.append(f"row {row}: group {rec.get('group')!r} is not treated or control")
            continue
        actor, how = match_student(student, index, in_course) if student else (None, "the student is empty")
        if actor is None:
            problems.append(f"row {row}: {how}")
            continue
        if actor in out:
            problems.append(f"row {row}: {student!r} already appears in row {out[actor]['row']}")
            continue
        day = None
        text = str(rec.get("date") or "").strip() if "date" in groups.columns else ""
        if text and text.lower() != "nan":
            try:
                day = parse_date(text)
            except ValueError as exc:
                problems.append(f"row {row}: {exc}")
                continue
        out[actor] = {"student": student, "group": rec.get("group"), "date": day, "row": row}
    if problems:
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise ImpactError("The groups table has problems: " + "; ".join(problems[:10]) + more + ".")
    if excluded:
        warnings.append(
            f"{plural(excluded, 'row')} {'was' if excluded == 1 else 'were'} not eligible and {'was' if excluded == 1 else 'were'} left out."
        )
    return out


def _groups_from_log(
    conn: sqlite3.Connection, course_id: int, comparison: str, warnings: list[str]
) -> dict[int, dict[str, Any]]:
    rows = conn.execute(
        "SELECT i.id, i.batch, i.actor, i.date, i.arm, i.status, i.risk, i.features, a.label FROM interventions i "
        "JOIN actors a ON a.id = i.actor WHERE i.course = ? ORDER BY i.date, i.id",
        (int(course_id),),
    ).fetchall()
    out: dict[int, dict[str, Any]] = {}
    if comparison == "holdout":
        randomised_batches = {b for (_i, b, _a, _d, arm, *_r) in rows if arm == "holdout" and b}
        crossed = set()
        for _iid, batch, actor, day, arm, _status, risk, feats, label in rows:
            if batch not in randomised_batches or arm not in {"treated", "holdout", "external"}:
                continue
            group = "control" if arm == "holdout" else "treated"
            if actor in out:
                if out[actor]["group"] != group and out[actor]["batch"] != batch:
                    crossed.add(actor)
                continue
            snapshot = json.loads(feats) if feats else {}
            covs = {k: v for k, v in snapshot.items() if not k.startswith("_")}
            covs["risk_score"] = risk
            out[actor] = {
                "student": label,
                "group": group,
                "date": date.fromisoformat(day),
                "batch": batch,
                "covariates": covs,
            }
        if not out:
            raise ImpactError(
                "The interventions log has no randomised hold-out for this course; "
                "draft with a hold-out first, or compare with the students not treated."
            )
        if crossed:
            warnings.append(
                f"{plural(len(crossed), 'student')} {'was' if len(crossed) == 1 else 'were'} in more than one randomised batch with different arms; "
                "each keeps the arm of their first batch."
            )
        return out
    if comparison != "untreated":
        raise ImpactError(f"comparison must be 'holdout' or 'untreated', not {comparison!r}.")
    for _iid, _batch, actor, day, arm, status, _risk, _feats, label in rows:
        if status in {"exported", "done"} and arm in {"treated", "external"} and actor not in out:
            out[actor] = {"student": label, "group": "treated", "date": date.fromisoformat(day)}
    if not out:
        raise ImpactError(
            "No intervention of this course has been exported or marked done yet, so nobody counts as treated."
        )
    population = {
        int(a) for (a,) in conn.execute("SELECT actor FROM outcomes WHERE course = ?", (int(course_id),))
    }
    population |= {
        int(a) for (a,) in conn.execute("SELECT actor FROM enrolments WHERE course = ?", (int(course_id),))
    }
    labels = dict(conn.execute("SELECT id, label FROM actors").fetchall())
    for actor in sorted(population - set(out)):
        out[actor] = {"student": labels.get(actor, str(actor)), "group": "control", "date": None}
    return out


def _recompute_covariates(
    conn: sqlite3.Connection,
    course_id: int,
    people: dict[int, dict[str, Any]],
    warnings: list[str],
    report: Any,
) -> None:
    import statistics

    from learnalytics_desktop.core.features import compute_features
    from learnalytics_desktop.core.impact.analysis import TREATED
    from learnalytics_desktop.core.interventions.context import stored_risk

    def is_treated(p: dict[str, Any]) -> bool:
        return str(p["group"]).strip().lower() in TREATED

    first = conn.execute(
        "SELECT actor, MIN(date) FROM interventions WHERE course = ? AND arm IN ('treated','external') GROUP BY actor",
        (int(course_id),),
    ).fetchall()
    logged = {int(a): date.fromisoformat(d) for a, d in first}
    for a, p in people.items():
        if p["date"] is None and a in logged and is_treated(p):
            p["date"] = logged[a]
    known = [p["date"] for p in people.values() if p["date"] is not None]
    treated_days = [p["date"] for p in people.values() if p["date"] is not None and is_treated(p)] or known
    if not treated_days:
        warnings.append(
            "No intervention dates are known (add a date column), so pre-intervention covariates could "
            "not be computed: no balance check and no adjusted estimate."
        )
        return
    median_day = statistics.median_low(sorted(treated_days))
    filled = 0
    for p in people.values():
        if p["date"] is None:
            p["date"] = median_day
            filled += 1
    if filled:
        warnings.append(
            f"{plural(filled, 'student')} without a date {'was' if filled == 1 else 'were'} compared as of {median_day.isoformat()} "
            "(the median intervention date)."
        )
    days = sorted({p["date"] for p in people.values()})
    for k, day in enumerate(days):
        if report is not None:
            report.check()
            report.progress(0.05 + 0.2 * k / len(days), f"Features as of {day.isoformat()}")
        when = _start_of(day)
        feats = compute_features(conn, int(course_id), when)
        if "actor" in feats.columns:
            feats = feats.set_index("actor")
        numeric = feats.select_dtypes(include="number")
        risk = stored_risk(conn, int(course_id), when)
        for a, p in people.items():
            if p["date"] != day:
                continue
            covs = numeric.loc[a].to_dict() if a in numeric.index else {}
            covs["risk_score"] = risk[a][0] if a in risk else None
            p["covariates"] = covs
    if not any(p["covariates"].get("risk_score") is not None for p in people.values()):
        warnings.append(
            "No stored risk scores exist before the intervention date(s); balance uses features only."
        )


def impact_frame(
    conn: sqlite3.Connection,
    course_id: int,
    groups: pd.DataFrame | None,
    outcome: str,
    *,
    comparison: str = "holdout",
    report: Any = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The analysis table (``actor, student, group, date, <outcome>, <covariates>``) and
    ``{"randomised", "covariates", "warnings", "source"}``."""
    import pandas as pd

    warnings: list[str] = []
    values = load_outcome(conn, course_id, outcome)
    withdrew = load_outcome(conn, course_id, "withdrew") if outcome != "withdrew" else {}
    cutoff = None
    running: dict[int, float] = {}
    if groups is not None:
        people = _groups_from_table(conn, course_id, groups, warnings)
        source, randomised, selection = "groups table", False, None
    else:
        people = _groups_from_log(conn, course_id, comparison, warnings)
        source, randomised = f"interventions log ({comparison})", comparison == "holdout"
        selection = "random" if randomised else "advisor"
        if not randomised:
            treated = {a for a, p in people.items() if p["group"] == "treated"}
            cutoff = logged_cutoff(conn, course_id, treated)
            if cutoff is not None:
                running = drafting_risk(conn, course_id, treated)
    if not all("covariates" in p for p in people.values()):
        for p in people.values():
            p["covariates"] = {}
        _recompute_covariates(conn, course_id, people, warnings, report)
    records = []
    for a, p in people.items():
        rec = {
            "actor": a,
            "student": p["student"],
            "group": p["group"],
            "date": p["date"].isoformat() if p["date"] else None,
            outcome: values.get(a),
        }
        if withdrew:
            rec["withdrew"] = withdrew.get(a)
        if running:
            rec[RUNNING] = running.get(a)
        for k, v in p.get("covariates", {}).items():
            rec.setdefault(k, v)
        records.append(rec)
    frame = pd.DataFrame.from_records(records)
    reserved = {"actor", "student", "group", "date", "withdrew", RUNNING, outcome}
    # pct_* columns are within-course percentiles of other features: the same information twice
    covariates = [
        c
        for c in frame.columns
        if c not in reserved
        and not c.startswith("pct_")
        and pd.api.types.is_numeric_dtype(frame[c])
        and frame[c].notna().any()
    ]
    no_outcome_row = sum(1 for a in people if a not in values)
    if no_outcome_row:
        warnings.append(
            f"{plural(no_outcome_row, 'student')} {'is' if no_outcome_row == 1 else 'are'} not in the outcomes table (no gradebook row), so they have "
            "no outcome."
        )
    return frame, {
        "randomised": randomised,
        "selection": selection,
        "cutoff": cutoff,
        "running": RUNNING if running else "risk_score",
        "covariates": covariates,
        "warnings": warnings,
        "source": source,
    }


def drafting_risk(conn: sqlite3.Connection, course_id: int, treated: set[int]) -> dict[int, float]:
    """actor -> the risk the drafting saw: a treated student's stored row, everyone else's
    score from the run the first batch used (the latest run at or before its as-of instant)."""
    from learnalytics_desktop.core.interventions.context import stored_risk

    out: dict[int, float] = {}
    first_as_of = None
    for (detail,) in conn.execute(
        "SELECT detail FROM audit_log WHERE action = 'intervention_batch' ORDER BY id"
    ):
        d = json.loads(detail)
        if d.get("course") == int(course_id) and d.get("as_of"):
            first_as_of = datetime.fromisoformat(str(d["as_of"]).replace("Z", "+00:00"))
            break
    if first_as_of is not None:
        out = {a: v[0] for a, v in stored_risk(conn, int(course_id), first_as_of).items()}
    for a, risk in conn.execute(
        "SELECT actor, risk FROM interventions WHERE course = ? AND arm = 'treated' AND risk IS NOT NULL "
        "ORDER BY date, id",
        (int(course_id),),
    ):
        if int(a) in treated and int(a) not in out:
            out[int(a)] = float(risk)
    return out


def logged_cutoff(conn: sqlite3.Connection, course_id: int, treated: set[int]) -> float | None:
    """The risk threshold the drafting log recorded for the batches of the treated students,
    when every one of those batches used the same threshold with the risk gate on (else None:
    the log cannot say the threshold decided who was contacted)."""
    batches = {
        b
        for (b, a) in conn.execute(
            "SELECT DISTINCT batch, actor FROM interventions WHERE course = ? AND arm = 'treated'",
            (int(course_id),),
        )
        if int(a) in treated and b
    }
    if not batches:
        return None
    found: dict[str, Any] = {}
    for (detail,) in conn.execute("SELECT detail FROM audit_log WHERE action = 'intervention_batch'"):
        d = json.loads(detail)
        if d.get("batch") in batches:
            found[d["batch"]] = None if d.get("ignore_risk_gate") else d.get("risk_threshold")
    values = {found.get(b) for b in batches}
    if len(values) != 1:
        return None
    (value,) = values
    return float(value) if isinstance(value, (int, float)) else None


def impact_from_db(
    conn: sqlite3.Connection,
    course_id: int,
    groups: pd.DataFrame | None,
    outcome: str,
    *,
    comparison: str = "holdout",
    randomised: bool | None = None,
    covariates: list[str] | None = None,
    kind: str = "auto",
    test: str = "welch",
    seed: int = 0,
    n_boot: int = 1000,
    report: Any = None,
    cutoff: float | None = None,
) -> ImpactResult:
    """Build the table with :func:`impact_frame` and run ``analyze_impact`` on it.

    ``randomised`` overrides what the source implies (a hold-out from the log is randomised;
    a groups table is not unless you say so). ``covariates`` defaults to every numeric
    pre-intervention column found (risk score and features). ``cutoff`` (a risk threshold
    that decided who was treated) asks for a regression discontinuity; without it, the
    threshold recorded in the drafting log is used for the ``untreated`` comparison when every
    treated student's batch used the same one.
    """
    from learnalytics_desktop.core.impact.analysis import analyze_impact

    frame, meta = impact_frame(conn, course_id, groups, outcome, comparison=comparison, report=report)
    result = analyze_impact(
        frame,
        outcome=outcome,
        group_col="group",
        covariates=meta["covariates"] if covariates is None else covariates,
        randomised=meta["randomised"] if randomised is None else randomised,
        kind=kind,
        seed=seed,
        test=test,
        n_boot=n_boot,
        report=report,
        selection=meta["selection"],
        cutoff=meta["cutoff"] if cutoff is None else cutoff,
        running=meta["running"],
    )
    result.warnings[:0] = meta["warnings"]
    result.diagnostics["source"] = meta["source"]
    return result


__all__ = ["COMPOSITE", "impact_frame", "logged_cutoff", "impact_from_db", "load_outcome", "read_groups_csv"]
