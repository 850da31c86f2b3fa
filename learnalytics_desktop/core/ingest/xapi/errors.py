"""The error raised for an invalid xAPI statement, and helpers to build it.

Messages never render a whole JSON value: a value may be nested 100,000 levels deep, and
``repr`` of it would recurse.  ``describe`` gives a short, safe description instead.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["InvalidStatement", "describe", "fail", "type_error"]


class InvalidStatement(ValueError):
    """A statement (or fragment) breaks an xAPI rule.

    ``rule`` is a short stable code (``"actor.ifi"``, ``"timestamp.format"``, ...), ``reason``
    a plain sentence naming the rule, where it was broken and the spec section, and ``path``
    the JSON path of the offending property (``"context.extensions"``; ``""`` for the
    statement itself).  ``str(error)`` is the reason.
    """

    def __init__(self, rule: str, reason: str, path: str = "") -> None:
        super().__init__(rule, reason, path)
        self.rule = rule
        self.reason = reason
        self.path = path

    def __str__(self) -> str:
        return self.reason


def describe(value: Any) -> str:
    """A short description of a JSON value for messages (never recursive)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57]) + "..."
    if isinstance(value, (int, float)):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return f"a {type(value).__name__}"


def fail(rule: str, path: str, text: str, section: str) -> NoReturn:
    """Raise ``InvalidStatement``; the reason reads '<path> <text> (xAPI <section>)'."""
    where = path or "statement"
    raise InvalidStatement(rule, f"{where} {text} (xAPI {section})", path)


def type_error(rule: str, path: str, value: Any, expected: str, section: str) -> NoReturn:
    """Raise for a value of the wrong JSON type (null included: xAPI Data 2.2.s4.b1.b1)."""
    if value is None:
        fail(rule, path, f"is null; {expected} is required (null is only allowed inside extensions)", section)
    fail(rule, path, f"must be {expected}, not {describe(value)}", section)
