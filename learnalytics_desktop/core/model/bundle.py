"""The trained model as it is saved and loaded: estimator, feature list, attribute encoding.

The signed joblib file holds a plain dict (:meth:`TrainedModel.to_payload`), not an instance
of this class, so renaming this class never breaks old files; the card lives in the
database (``models.card``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

PAYLOAD_FORMAT = 1
ATTR_PREFIX = "attr:"
WEEK_COLUMN = "course_week"  # = core.model.data.WEEK_COLUMN (kept here so loading stays light)


def attribute_column(key: str, value: str) -> str:
    """Name of the one-hot design column for attribute ``key`` having ``value``."""
    return f"{ATTR_PREFIX}{key}={value}"


@dataclass
class TrainedModel:
    """A fitted at-risk model and what it needs to build its input."""

    kind: str  # "hgb" | "logreg"
    estimator: Any
    features: list[str]
    week: int  # the (last) week trained on
    weeks: list[int] = field(default_factory=list)  # every week trained on ([week] when empty)
    attributes: dict[str, list[str]] = field(default_factory=dict)  # key -> known values
    model_id: str | None = None
    card: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not self.weeks:
            self.weeks = [int(self.week)]

    @property
    def any_week(self) -> bool:
        """True for a model with the course week as an input: it scores any week."""
        return WEEK_COLUMN in self.features

    def week_input(self, week: int) -> int:
        """The value of the week input for course week ``week``: weeks outside the trained
        range are scored as the nearest trained week (the model has seen nothing beyond)."""
        return int(min(max(int(week), min(self.weeks)), max(self.weeks)))

    def can_score(self, week: int) -> bool:
        """Whether this model scores course week ``week`` (any week >= 1, or its one week)."""
        return int(week) >= 1 if self.any_week else int(week) == int(self.week)

    @property
    def columns(self) -> list[str]:
        """All design columns in order: features, then one-hot attribute columns."""
        cols = list(self.features)
        for key, values in self.attributes.items():
            cols.extend(attribute_column(key, v) for v in values)
        return cols

    def units(self) -> list[tuple[str, list[str]]]:
        """Explanatory units: each feature alone, each attribute key with all its columns."""
        out = [(f, [f]) for f in self.features if f != WEEK_COLUMN]  # the week is no reason
        for key, values in self.attributes.items():
            out.append((f"{ATTR_PREFIX}{key}", [attribute_column(key, v) for v in values]))
        return out

    def design(self, features: pd.DataFrame, attributes: pd.DataFrame | None = None) -> pd.DataFrame:
        """The model's input from a feature frame (and, when used, an attribute frame).

        Missing feature columns are an error naming them; infinities become NaN (the
        gradient boosting handles NaN natively, the baseline imputes medians).
        """
        import numpy as np

        missing = [c for c in self.features if c not in features.columns]
        if missing:
            raise ValueError(
                f"the feature table lacks column(s) the model was trained on: {', '.join(missing)}"
            )
        X = features[self.features].astype(float).replace([np.inf, -np.inf], np.nan)
        if self.attributes:
            X = X.join(encode_attributes(attributes, self.attributes, X.index))
        return X

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of being at risk for each row of a design frame."""
        from learnalytics_desktop.core.model.estimators import single_thread

        with single_thread():
            proba: np.ndarray = self.estimator.predict_proba(X[self.columns])[:, 1]
        return proba

    def to_payload(self) -> dict[str, Any]:
        return {
            "format": PAYLOAD_FORMAT,
            "model_id": self.model_id,
            "kind": self.kind,
            "estimator": self.estimator,
            "features": list(self.features),
            "week": int(self.week),
            "weeks": [int(w) for w in self.weeks],
            "attributes": {k: list(v) for k, v in self.attributes.items()},
        }

    @classmethod
    def from_payload(
        cls, payload: Any, *, model_id: str | None = None, card: dict[str, Any] | None = None
    ) -> TrainedModel:
        if not isinstance(payload, dict) or payload.get("format") != PAYLOAD_FORMAT:
            raise ValueError("the model file does not hold a Learnalytics model in a known format")
        return cls(
            kind=payload["kind"],
            estimator=payload["estimator"],
            features=list(payload["features"]),
            week=int(payload["week"]),
            weeks=[int(w) for w in payload.get("weeks", [])],
            attributes={k: list(v) for k, v in payload.get("attributes", {}).items()},
            model_id=model_id,
            card=card,
        )


def encode_attributes(
    attributes: pd.DataFrame | None, encoding: dict[str, list[str]], index: pd.Index
) -> pd.DataFrame:
    """One-hot columns for ``encoding`` (key -> known values), aligned to ``index``.

    ``attributes`` has one column per key and the same index as the features; unknown or
    missing values give all-zero columns for that key.
    """
    import pandas as pd

    cols: dict[str, Any] = {}
    for key, values in encoding.items():
        series = (
            attributes[key].reindex(index)
            if attributes is not None and key in attributes.columns
            else pd.Series(None, index=index, dtype=object)
        )
        for v in values:
            cols[attribute_column(key, v)] = (series == v).astype(float).to_numpy()
    return pd.DataFrame(cols, index=index)


__all__ = ["ATTR_PREFIX", "TrainedModel", "attribute_column", "encode_attributes"]
