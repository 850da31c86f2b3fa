"""Version rule sets of the statement validator (xAPI 1.0.3 Data 2.4.10; xAPI 2.0)."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

__all__ = ["VOIDED_VERB", "StatementTimes", "rules_for", "version_ok"]


class StatementTimes(NamedTuple):
    """Values parsed while validating a statement.

    ``timestamp_ms`` and ``stored_ms`` are UTC epoch milliseconds, ``duration_s`` is
    ``result.duration`` in seconds; each is ``None`` when the statement does not have it.
    """

    timestamp_ms: int | None
    stored_ms: int | None
    duration_s: float | None


VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"

# "1.0" is accepted as "1.0.0" (Communication 3.3); the patch number is free (2.4.10.s3.b1).
_VERSION_10 = re.compile(r"1\.0(?:\.(?:0|[1-9][0-9]*))?", re.ASCII)
_VERSION_20 = re.compile(r"[12]\.0(?:\.(?:0|[1-9][0-9]*))?", re.ASCII)
_RULESETS: dict[str, bool] = {}


def rules_for(version: str) -> bool:
    """Map a requested rule set ("1.0.3", "1.0", "1.0.x", "2.0", "2.0.0", ...) to ``v2``.

    Raises ``ValueError`` (a programming error, not invalid data) for anything else.
    """
    if type(version) is not str:
        raise ValueError(
            f"the xAPI version must be a string such as '1.0.3' or '2.0', not {type(version).__name__}"
        )
    known = _RULESETS.get(version)
    if known is not None:
        return known
    if version in ("1.0.x", "2.0.x") or _VERSION_20.fullmatch(version):
        v2 = version.startswith("2.")
        _RULESETS[version] = v2
        return v2
    raise ValueError(
        f"unknown xAPI version {version!r}; use '1.0.3' or '2.0' (or None to read it from the statement)"
    )


def version_ok(value: Any, v2: bool) -> bool:
    """True if a statement's ``version`` value is accepted under the chosen rules."""
    if type(value) is not str:
        return False
    return (_VERSION_20 if v2 else _VERSION_10).fullmatch(value) is not None
