"""What people see of a learner: a label that is safe to show, type and find.

Labels come from data (an account name, an e-mail address, a display name). Raw, a label can
hold NUL, CR/LF, terminal escape sequences, bidi overrides (U+202E makes ``ann.exe`` read as
``exe.nna``), zero-width characters, or leading and trailing spaces: it then cannot be typed
back in the erase dialog, is not found by the command line, and reaches a terminal as control
characters (issue 15, finding 14).

:func:`clean_label` is applied wherever a label or display name is stored, and to what a person
types when looking a learner up, so both sides compare equal. Decision: control characters
(C0, C1, DEL) and tabs/line breaks become a space; invisible formatting characters (Unicode
category Cf: bidi controls, zero-width spaces, the BOM) are dropped; runs of spaces become one;
the text is NFC-normalised, trimmed and cut to :data:`MAX_LABEL` characters. Only the label
changes: the stored identifier (``actors.ifi``) stays exactly what the data said.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LABEL = 200
_SPACES = re.compile(r"\s+")


def clean_label(text: str | None, fallback: str | None = None) -> str | None:
    """``text`` made safe to show and type (see the module docstring); ``fallback`` when
    nothing is left (``None`` stays ``None``)."""
    if text is None:
        return None
    out = []
    for c in unicodedata.normalize("NFC", str(text)):
        cat = unicodedata.category(c)
        if cat == "Cc" or c in "\u2028\u2029":
            out.append(" ")
        elif cat in ("Cf", "Cs", "Co", "Cn") and c not in "\u200d":
            continue  # invisible formatting, lone surrogates, private use, unassigned
        else:
            out.append(c)
    cleaned = _SPACES.sub(" ", "".join(out)).strip()[:MAX_LABEL].strip()
    return cleaned or fallback


__all__ = ["MAX_LABEL", "clean_label"]
