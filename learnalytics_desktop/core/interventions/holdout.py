"""The randomised hold-out: a random part of each drafting batch gets no message.

The draw is reproducible from the recorded seed alone, on any machine and any Python or numpy
version: each student's position is ``HMAC-SHA256(seed, stratum|actor id)``, and within each
stratum (risk level) the students with the smallest values are held out. The number held out
per stratum is ``floor(n_s * fraction)``, with the remainder of ``round(n * fraction)``
going to the strata with the largest fractional parts (ties by the same hash), so each risk
level is held out in proportion (stratified randomisation).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

HOLDOUT_EXPLANATION = (
    "Why hold some students back?\n\n"
    "Students who get a message are usually the ones the model flags as most at risk, so "
    "they would likely do worse than the others with or without the message. Comparing them "
    "with everyone else therefore mixes up the effect of the message with the reasons they "
    "were chosen, and can even make a helpful message look harmful.\n\n"
    "If, instead, a random part of the students who qualify for a message does not get one "
    "(the hold-out group), the two groups are alike in every way except the message: same "
    "risk, same habits, same course, on average. Any difference in their final results can "
    "then be put down to the message. Chance decides who is held back, so nobody is "
    "singled out, and the choice is recorded so the comparison can be checked later.\n\n"
    "This is the only way to find out later, from your own data, whether the messages "
    "helped. Holding back 20% is a common choice: most students still get the message, "
    "and over a few batches the comparison becomes precise enough to learn from. Advisors "
    "can still contact any held-back student who asks for help; the analysis will count "
    "them in the group chance assigned them to."
)
"""Plain text shown next to the hold-out option."""


@dataclass(frozen=True)
class HoldoutDraw:
    """The outcome of one draw: who is held out, and everything needed to repeat it."""

    seed: int
    fraction: float
    held_out: frozenset[int]
    by_stratum: dict[str, tuple[int, int]] = field(default_factory=dict)
    """stratum -> (students, held out)."""

    def to_dict(self) -> dict[str, object]:
        """JSON-able summary (no learner identifiers)."""
        return {
            "seed": self.seed,
            "fraction": self.fraction,
            "held_out": len(self.held_out),
            "by_stratum": {k: {"students": n, "held_out": h} for k, (n, h) in self.by_stratum.items()},
        }


def new_seed() -> int:
    """A fresh random seed (63 bits, so it fits SQLite and JSON integers)."""
    return secrets.randbits(63)


def _key(seed: int, stratum: str, actor: int) -> bytes:
    return hmac.new(str(seed).encode(), f"{stratum}|{actor}".encode(), hashlib.sha256).digest()


def draw_holdout(
    actors: Sequence[int],
    fraction: float,
    seed: int | None = None,
    strata: Mapping[int, str] | None = None,
) -> HoldoutDraw:
    """Choose ``round(len(actors) * fraction)`` students to hold back, stratified by ``strata``.

    ``fraction`` must be in [0, 1). At least one student always stays in the treated group.
    ``strata`` maps actor id to a stratum name (e.g. risk level); missing ones share the
    stratum ``"unknown"``. The same seed and actors always give the same draw.
    """
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0.0 <= fraction < 1.0:
        raise ValueError(
            f"The hold-out fraction must be at least 0 and below 1 (e.g. 0.2), not {fraction!r}."
        )
    if seed is None:
        seed = new_seed()
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"The hold-out seed must be a non-negative whole number, not {seed!r}.")
    unique = sorted(set(int(a) for a in actors))
    if len(unique) != len(actors):
        raise ValueError("The same student appears twice in the hold-out draw.")
    strata = strata or {}
    groups: dict[str, list[int]] = {}
    for a in unique:
        groups.setdefault(str(strata.get(a, "unknown")), []).append(a)
    n = len(unique)
    total = min(int(math.floor(n * fraction + 0.5)), max(n - 1, 0))
    quotas = {s: int(math.floor(len(m) * fraction)) for s, m in groups.items()}
    remainder = total - sum(quotas.values())
    if remainder > 0:
        order = sorted(
            groups,
            key=lambda s: (-(len(groups[s]) * fraction - quotas[s]), _key(seed, "remainder", hash_name(s))),
        )
        for s in order:
            if remainder == 0:
                break
            if quotas[s] < len(groups[s]):
                quotas[s] += 1
                remainder -= 1
    held: set[int] = set()
    by_stratum: dict[str, tuple[int, int]] = {}
    for s, members in sorted(groups.items()):
        ranked = sorted(members, key=lambda a: _key(seed, s, a))
        held.update(ranked[: quotas[s]])
        by_stratum[s] = (len(members), quotas[s])
    return HoldoutDraw(seed=seed, fraction=float(fraction), held_out=frozenset(held), by_stratum=by_stratum)


def hash_name(name: str) -> int:
    """A stable integer for a stratum name (Python's ``hash`` changes between runs)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")


__all__ = ["HOLDOUT_EXPLANATION", "HoldoutDraw", "draw_holdout", "new_seed"]
