"""The result types shared by the impact statistics (plain dataclasses with ``to_dict``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


class ImpactError(ValueError):
    """The analysis cannot be run on this data; the message says what is wrong and where."""


def clean(x: Any) -> Any:
    """JSON-safe: NaN/inf -> None, numpy scalars -> Python numbers, recursively."""
    if isinstance(x, dict):
        return {str(k): clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if hasattr(x, "item") and type(x).__module__.startswith("numpy"):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


@dataclass
class Estimate:
    """One effect estimate (treated minus control unless the method says otherwise)."""

    name: str
    """Short key, e.g. ``welch``, ``adjusted``, ``risk_difference``."""
    label: str
    """What people read, e.g. "Difference in means (Welch)"."""
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    method: str
    """How it was computed, including the CI method."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Statistic, df, standard error and similar."""

    @property
    def excludes_zero(self) -> bool:
        """True when the CI lies entirely on one side of zero (or of 1 for ratios)."""
        null = 1.0 if self.extra.get("ratio") else 0.0
        if self.ci_low is None or self.ci_high is None:
            return False
        return self.ci_low > null or self.ci_high < null

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict with ``estimate, ci_low, ci_high, p_value, method`` first."""
        out: dict[str, Any] = clean(
            {
                "name": self.name,
                "label": self.label,
                "estimate": self.estimate,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "p_value": self.p_value,
                "method": self.method,
                **self.extra,
            }
        )
        return out


__all__ = ["Estimate", "ImpactError", "clean"]
