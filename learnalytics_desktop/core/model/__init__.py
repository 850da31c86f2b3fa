"""The at-risk model: train at week k, validate honestly, explain, score, save signed.

Importing this package is cheap (nothing heavy is imported until a function is used), so
the GUI can import it at start-up. Public API (each name lives in the submodule shown):

* ``train_model(conn, course_ids, week, *, kind="auto", use_attributes=False, report=None)
  -> TrainResult`` (train)
* ``recalibrate_model(conn, model_id=None, course_id=None, *, report=None) -> TrainResult``
  (recalibrate: a new model whose probabilities are re-mapped on the latest finished offering)
* ``score_course(conn, course_id, week=None, as_of=None, model_id=None, *, capacity=None,
  report=None) -> DataFrame`` (``capacity=None``: the advisor capacity saved in Settings,
  else the thresholds), ``risk_history(conn, actor_id, course_id)``,
  ``latest_run(conn, course_id)`` (scoring)
* ``select_run(conn, course, *, week=None, as_of=None, model=None) -> ScoreRun | None``: the
  one rule for which stored run counts (runs)
* ``load_model(conn, model_id=None)``, ``list_models(conn)``, ``set_active_model(conn, id)``,
  ``active_model_id(conn)``, ``get_card(conn, id)``, ``delete_model(conn, id)`` (registry)
* ``risk_level(probs, thresholds=None)``, ``levels_by_capacity(probs, n, thresholds=None)``,
  ``get_thresholds(conn)``, ``set_thresholds(conn, th)`` (levels)
* ``explain_students(model, features, attributes=None) -> Explanation`` (explain)
* ``ModelFileError`` (signing), ``TrainingDataError`` (estimators), ``ScoringError``
  (scoring), ``ModelNotFound`` (registry), ``ThresholdError`` (levels)
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "train_model": "train",
    "TrainResult": "train",
    "TrainingDataError": "estimators",
    "recalibrate_model": "recalibrate",
    "score_course": "scoring",
    "risk_history": "scoring",
    "latest_run": "scoring",
    "select_run": "runs",
    "ScoreRun": "runs",
    "ScoringError": "scoring",
    "load_model": "registry",
    "list_models": "registry",
    "set_active_model": "registry",
    "active_model_id": "registry",
    "get_card": "registry",
    "delete_model": "registry",
    "ModelNotFound": "registry",
    "risk_level": "levels",
    "levels_by_capacity": "levels",
    "get_thresholds": "levels",
    "set_thresholds": "levels",
    "ThresholdError": "levels",
    "explain_students": "explain",
    "Explanation": "explain",
    "ModelFileError": "signing",
    "TrainedModel": "bundle",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = sorted(_EXPORTS)
