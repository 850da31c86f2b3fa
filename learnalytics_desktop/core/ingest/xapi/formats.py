"""Checks for the string formats that xAPI statements use.

Each ``is_*`` function takes any value and returns ``True`` only for a ``str`` in the right
format; they never raise.  The statement validator calls them millions of times, so the most
repeated values (IRIs of verbs, activity types and extension keys; language tags) are
remembered in small bounded caches.

* IRI / IRL (xAPI Data 2.2.s4.b1.b8, 4.3): RFC 3987 syntax, best effort as xAPI 2.2.s4.b6
  allows: a scheme (``ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")``), a colon, then at least one
  character; no whitespace, control characters, lone surrogates or ``" < > \\ ^ ` { | }``,
  and every ``%`` starts a ``%XX`` escape.  ``course-v1:FUN-MOOC+00002`` and
  ``uuid://...`` are IRIs; ``ab=c://x`` and ``example.com/x`` are not.
* URI (openid, Data 2.4.2.3): an IRI made of ASCII characters only (RFC 3986).
* mailto IRI (mbox): ``mailto:`` then ``local@domain`` with a non-empty local part and domain.
* UUID (Data 4.4): the standard 8-4-4-4-12 hexadecimal form, any version or variant (the
  spec's own example ``12345678-1234-5678-1234-567812345678`` is no RFC 4122 variant), either
  case (RFC 4122 3: input is case-insensitive).
* Language tags (Data 4.2, 2.2.s4.b2): RFC 5646 2.1 syntax (``langtag``, ``privateuse`` or a
  ``grandfathered`` tag, case-insensitive), plus the validity rules of RFC 5646 2.2.5 and
  2.2.6 that need no registry: no repeated variant, no repeated extension singleton.
* Media types (attachment contentType, RFC 2046 / RFC 6838 4.2): ``type/subtype`` tokens with
  optional ``; name=value`` parameters.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "is_iri",
    "is_uri",
    "is_mailto",
    "is_uuid",
    "is_sha1_hex",
    "is_sha2_hex",
    "is_language_tag",
    "is_media_type",
]

_IRI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:"
    r"(?:[^\x00-\x20\x7f-\x9f\"<>\\^`{|}%\ud800-\udfff]|%[0-9A-Fa-f]{2})+"
)
_MAILTO = re.compile(r"mailto:[^@\s\"<>?/\\]+@[^@\s\"<>?/\\.][^@\s\"<>?/\\]*")
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_SHA1 = re.compile(r"[0-9A-Fa-f]{40}")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_SHA2_LENGTHS = frozenset((56, 64, 96, 128))  # SHA-224, SHA-256, SHA-384, SHA-512

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_MEDIA_TYPE = re.compile(
    rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|\"(?:[^\"\\\r\n]|\\.)*\"))*[ \t]*"
)

# RFC 5646 2.1 ABNF (case-insensitive).  Groups: variants (1), extensions (2).
_A = "[A-Za-z]"
_AN = "[A-Za-z0-9]"
_LANGTAG = re.compile(
    rf"(?:{_A}{{2,3}}(?:-{_A}{{3}}){{0,3}}|{_A}{{4}}|{_A}{{5,8}})"  # language (+ extlang)
    rf"(?:-{_A}{{4}})?"  # script
    rf"(?:-(?:{_A}{{2}}|[0-9]{{3}}))?"  # region
    rf"((?:-(?:{_AN}{{5,8}}|[0-9]{_AN}{{3}}))*)"  # variants
    rf"((?:-[0-9A-WY-Za-wy-z](?:-{_AN}{{2,8}})+)*)"  # extensions (singleton is not x)
    rf"(?:-[Xx](?:-{_AN}{{1,8}})+)?"  # private use
)
_PRIVATEUSE = re.compile(rf"[Xx](?:-{_AN}{{1,8}})+")
_GRANDFATHERED = frozenset(
    t.lower()
    for t in [
        "en-GB-oed",
        "i-ami",
        "i-bnn",
        "i-default",
        "i-enochian",
        "i-hak",
        "i-klingon",
        "i-lux",
        "i-mingo",
        "i-navajo",
        "i-pwn",
        "i-tao",
        "i-tay",
        "i-tsu",
        "sgn-BE-FR",
        "sgn-BE-NL",
        "sgn-CH-DE",
        "art-lojban",
        "cel-gaulish",
        "no-bok",
        "no-nyn",
        "zh-guoyu",
        "zh-hakka",
        "zh-min",
        "zh-min-nan",
        "zh-xiang",
    ]
)

_CACHE_MAX = 50_000
_IRI_CACHE: dict[str, bool] = {}
_LANG_CACHE: dict[str, bool] = {}


def _remember(cache: dict[str, bool], key: str, value: bool) -> bool:
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[key] = value
    return value


def is_iri(value: Any) -> bool:
    """True for a string with IRI syntax (scheme, colon, no forbidden characters)."""
    if type(value) is not str:
        return False
    known = _IRI_CACHE.get(value)
    if known is not None:
        return known
    if len(value) > 4096:  # too long to be worth caching; check without remembering
        return _IRI.fullmatch(value) is not None
    return _remember(_IRI_CACHE, value, _IRI.fullmatch(value) is not None)


def is_uri(value: Any) -> bool:
    """True for an IRI that is made of ASCII characters only (RFC 3986 URI)."""
    return is_iri(value) and value.isascii()


def is_mailto(value: Any) -> bool:
    """True for ``mailto:local@domain`` that is also a valid IRI."""
    return type(value) is str and _MAILTO.fullmatch(value) is not None and is_iri(value)


def is_uuid(value: Any) -> bool:
    """True for a UUID in the standard 8-4-4-4-12 hexadecimal string form."""
    return type(value) is str and _UUID.fullmatch(value) is not None


def is_sha1_hex(value: Any) -> bool:
    """True for 40 hexadecimal digits (a SHA-1 digest, as in mbox_sha1sum)."""
    return type(value) is str and _SHA1.fullmatch(value) is not None


def is_sha2_hex(value: Any) -> bool:
    """True for the hex digest of a SHA-224, SHA-256, SHA-384 or SHA-512 hash."""
    return type(value) is str and len(value) in _SHA2_LENGTHS and _HEX.fullmatch(value) is not None


def is_media_type(value: Any) -> bool:
    """True for an Internet media type such as ``text/plain; charset=ascii``."""
    return type(value) is str and _MEDIA_TYPE.fullmatch(value) is not None


def is_language_tag(value: Any) -> bool:
    """True for an RFC 5646 language tag (syntax plus the registry-free validity rules)."""
    if type(value) is not str:
        return False
    known = _LANG_CACHE.get(value)
    if known is not None:
        return known
    if len(value) > 256:
        return False
    return _remember(_LANG_CACHE, value, _check_language_tag(value))


def _check_language_tag(tag: str) -> bool:
    m = _LANGTAG.fullmatch(tag)
    if m is None:
        return _PRIVATEUSE.fullmatch(tag) is not None or tag.lower() in _GRANDFATHERED
    variants, extensions = m.groups()
    if variants:
        seen = variants.lower().split("-")[1:]
        if len(seen) != len(set(seen)):
            return False  # RFC 5646 2.2.5: a variant appears at most once
    if extensions:
        singletons = [p for p in extensions.lower().split("-") if len(p) == 1]
        if len(singletons) != len(set(singletons)):
            return False  # RFC 5646 2.2.6: each singleton appears at most once
    return True
