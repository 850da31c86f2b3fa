"""Words for people: counts with the right plural (never "draft(s)")."""

from __future__ import annotations


def plural(n: int, one: str, many: str | None = None) -> str:
    """``"1 draft"``, ``"3 drafts"``, ``"2 students"`` (``many`` defaults to ``one + "s"``;
    give it for irregular words: ``plural(n, "reply", "replies")``). Thousands are
    separated with commas."""
    word = one if n == 1 else (many if many is not None else one + "s")
    return f"{n:,} {word}"


def verb(n: int, one: str, many: str) -> str:
    """The verb agreeing with a count: ``verb(1, "has", "have")`` is "has"."""
    return one if n == 1 else many


__all__ = ["plural", "verb"]
