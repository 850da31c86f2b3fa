"""Message templates with ``{placeholder}`` fields, checked at save time and rendered safely.

Templates use the ``str.format`` brace syntax so advisors can write
``Dear {first_name}, ...``; ``{{`` and ``}}`` give literal braces. They are *not* rendered
with ``str.format``: that would allow attribute and index access (``{0.__class__}``,
``{name.__init__.__globals__}``) and unbounded padding (``{name:>999999999}``). Instead:

* :func:`check_template` parses the text with :class:`string.Formatter` and accepts only
  bare names from :data:`PLACEHOLDERS`, with no conversion (``!r``) and no format spec. It
  raises :class:`TemplateError` naming the offending field; the rules editor calls it when
  the user saves.
* :func:`render` substitutes the values itself. A placeholder with no value (or one the
  checker would reject, in a template that was never checked) is left visible as written,
  e.g. ``{advisor}``, so the reviewing advisor sees what is missing instead of a crash or a
  silently empty gap.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

PLACEHOLDERS: dict[str, str] = {
    "name": "the student's display name (their label when no name is stored)",
    "first_name": "the first word of the student's name (left for you to fill in when no name is stored)",
    "label": "the label advisors see for the student",
    "course": "the course name",
    "reasons": "the model's plain-language reasons, joined with '; '",
    "risk": "the risk score as a percentage, e.g. 72%",
    "risk_level": "the risk level (low / medium / high)",
    "days_inactive": "whole days since the student's last activity",
    "video_completion": "video completion as a percentage",
    "quiz_trend": "the quiz score trend (change per quiz)",
    "advisor": "the advisor's name (set in the rules)",
    "date": "the intervention date (ISO)",
}
"""Every placeholder a template may use, with a plain description for the editor."""

MAX_TEMPLATE_CHARS = 20_000

_FORMATTER = string.Formatter()


class TemplateError(ValueError):
    """A template cannot be saved; the message names the field and what is wrong."""


def _fields(text: str) -> list[tuple[str, str | None, str | None]]:
    """(field name, format spec, conversion) for each field; raises TemplateError on syntax."""
    try:
        return [
            (field, spec, conv) for _literal, field, spec, conv in _FORMATTER.parse(text) if field is not None
        ]
    except ValueError as exc:
        raise TemplateError(
            f"The template's braces do not balance ({exc}). Write {{{{ and }}}} for literal braces."
        ) from exc


def check_template(text: str, *, where: str = "template") -> list[str]:
    """Validate a template; return the placeholder names it uses.

    Raises :class:`TemplateError` (naming ``where``) for unbalanced braces, unknown or empty
    placeholders, attribute/index access, conversions or format specs, or text over
    :data:`MAX_TEMPLATE_CHARS`.
    """
    if not isinstance(text, str):
        raise TemplateError(f"The {where} must be text, not {type(text).__name__}.")
    if len(text) > MAX_TEMPLATE_CHARS:
        raise TemplateError(f"The {where} is {len(text)} characters long; the limit is {MAX_TEMPLATE_CHARS}.")
    used: list[str] = []
    for field, spec, conv in _fields(text):
        shown = "{" + field + "}"
        if field == "" or field.isdigit():
            raise TemplateError(
                f"The {where} has a placeholder without a name ({shown}); use one of: "
                + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                + "."
            )
        if not field.isidentifier():
            raise TemplateError(
                f"The {where} uses {shown}: placeholders are plain names; attribute or index "
                "access (a dot or brackets) is not allowed."
            )
        if field not in PLACEHOLDERS:
            raise TemplateError(
                f"The {where} uses an unknown placeholder {shown}. Known placeholders: "
                + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                + "."
            )
        if conv:
            raise TemplateError(f"The {where} uses a conversion (!{conv}) in {shown}; remove it.")
        if spec:
            raise TemplateError(f"The {where} uses a format (:{spec}) in {shown}; remove it.")
        used.append(field)
    return used


def render(text: str, values: Mapping[str, Any]) -> str:
    """Fill ``text``'s placeholders from ``values`` without ever calling ``str.format``.

    Known names with a value (not ``None``) are replaced by ``str(value)``; any other field is
    written back exactly as it appeared (``{advisor}``, ``{0.__class__}``), so nothing is
    evaluated and nothing disappears silently. Unbalanced braces are kept as literal text.
    """
    try:
        parts = list(_FORMATTER.parse(text))
    except ValueError:
        return text
    out: list[str] = []
    for literal, field, spec, conv in parts:
        out.append(literal)
        if field is None:
            continue
        value = values.get(field) if field.isidentifier() and not spec and not conv else None
        if value is None:
            raw = "{" + field + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}"
            out.append(raw)
        else:
            out.append(str(value))
    return "".join(out)


def missing_placeholders(text: str, values: Mapping[str, Any]) -> list[str]:
    """Placeholders in ``text`` that :func:`render` would leave visible for these values."""
    try:
        fields = _fields(text)
    except TemplateError:
        return []
    return [f for f, _s, _c in fields if values.get(f) is None]


def placeholders_left(subject: str | None, body: str | None) -> list[str]:
    """Placeholders such as ``{advisor}`` still visible in a draft's text (approval refuses them)."""
    try:
        found = [f for f, _s, _c in _fields((subject or "") + "\n" + (body or ""))]
    except ValueError:
        return []
    return [f for f in dict.fromkeys(found) if f in PLACEHOLDERS]


__all__ = [
    "placeholders_left",
    "MAX_TEMPLATE_CHARS",
    "PLACEHOLDERS",
    "TemplateError",
    "check_template",
    "missing_placeholders",
    "render",
]
