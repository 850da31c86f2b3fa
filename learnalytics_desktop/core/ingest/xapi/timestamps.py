"""ISO 8601 timestamps and durations as xAPI uses them.

``parse_timestamp`` turns an ISO 8601 date-time *with* a UTC offset (``Z`` or ``±hh:mm``,
``±hhmm``, ``±hh``) into UTC epoch milliseconds; ``parse_duration`` turns an ISO 8601 duration
(``PnYnMnDTnHnMnS`` or ``PnW``) into seconds.  Both raise ``ValueError`` with a sentence that
says what is wrong, and never any other exception, whatever string they are given.

Decisions (xAPI 1.0.3 Data 4.5 and 4.6; xAPI 2.0 keeps the same types):

* Timestamps.  The ISO 8601 extended form (``2024-05-01T13:45:00.123+02:00``) and the basic
  form (``20240501T134500Z``) are accepted; ``t`` or a space may stand for ``T`` (RFC 3339
  5.6 allows both); seconds may be left out (``13:45Z``, ISO 8601 reduced precision) and may
  carry any number of decimals, with ``.`` or ``,``.  An offset is **required**: xAPI only
  says a timestamp SHOULD* include one, but a local time without an offset is no instant at
  all, and our store keeps UTC instants.  The offsets ``-00``, ``-0000`` and ``-00:00``
  ("unknown local offset", RFC 3339 4.3; a negative zero is not ISO 8601) are rejected, as
  the xAPI conformance suite requires.  Fractions beyond milliseconds are truncated (xAPI
  4.5.s1.b7 allows it).  ``24:00:00`` (ISO 8601:2004 4.2.3, end of day) is the next day's
  midnight and a leap second ``:60`` counts as the first second of the next minute, since
  epoch time has no leap seconds.  Years 0000-9999 (proleptic Gregorian) parse, but only
  instants from 1900-01-01T00:00:00Z up to (not including) 2200-01-01T00:00:00Z are
  *accepted*: ``parse_timestamp`` raises :class:`TimestampOutOfRange` (a ``ValueError``) for
  the rest.  Decision: the analytics turn times into pandas nanosecond timestamps (which end in
  1677 and 2262) and course calendars add weeks to a start date, so an instant like
  ``0001-01-01T00:00:00+14:00`` or ``9999-12-31T23:59:59-12:00`` cannot be represented; and no
  learning record is dated before 1900 or after 2199, so such a value is a data error.  The
  validators report it under the rule ``timestamp.range`` / ``stored.range``.
* Durations.  Only the format of ISO 8601:2004 4.4.3.2 (the alternative ``P0003-01-29T..``
  form is forbidden by xAPI 4.6.s1.b1).  At least one component; ``T`` must be followed by a
  time component; weeks stand alone (``P4W1D`` is invalid); only the lowest-order component
  given may have a decimal fraction; no signs.  Years and months have no fixed length, so they
  convert with the mean Gregorian year: 1 Y = 365.2425 days = 31,556,952 s and 1 M = 1/12 of
  that = 2,629,746 s (12 months are exactly one year).  1 W = 7 D, 1 D = 86,400 s.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

__all__ = [
    "MAX_TS_MS",
    "MIN_TS_MS",
    "SECONDS_PER_MONTH",
    "SECONDS_PER_YEAR",
    "TimestampOutOfRange",
    "check_range",
    "parse_duration",
    "parse_timestamp",
]

SECONDS_PER_YEAR = 31_556_952  # 365.2425 days, the mean Gregorian year
SECONDS_PER_MONTH = 2_629_746  # SECONDS_PER_YEAR / 12

# The instants the app accepts (see the module docstring): [1900-01-01, 2200-01-01) UTC.
MIN_TS_MS = -2_208_988_800_000
MAX_TS_MS = 7_258_118_400_000  # exclusive


def _show(s: str) -> str:
    """A short, safe rendering of a user string for messages."""
    return repr(s) if len(s) <= 60 else repr(s[:57]) + "..."


class TimestampOutOfRange(ValueError):
    """A well-formed timestamp outside the instants the app can represent."""


def check_range(ms: int, s: str) -> int:
    """Return ``ms`` when it lies in [1900-01-01, 2200-01-01) UTC, else raise
    :class:`TimestampOutOfRange` saying which instants are accepted."""
    if MIN_TS_MS <= ms < MAX_TS_MS:
        return ms
    raise TimestampOutOfRange(
        f"timestamp {_show(s)} lies outside the instants the app accepts "
        "(1900-01-01T00:00:00Z up to 2199-12-31T23:59:59Z, in UTC)"
    )


# -- timestamps -------------------------------------------------------------------------------

_TS_EXTENDED = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:[.,]([0-9]+))?)?"
    r"(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)",
    re.ASCII,
)
_TS_BASIC = re.compile(
    r"([0-9]{4})([0-9]{2})([0-9]{2})[Tt]([0-9]{2})([0-9]{2})"
    r"(?:([0-9]{2})(?:[.,]([0-9]+))?)?"
    r"(?:([Zz])|([+-])([0-9]{2})([0-9]{2})?)",
    re.ASCII,
)
# The shape nearly all real timestamps have; for it, the C parser of ``datetime`` gives the
# same instant as the full grammar below, much faster.  Anything else takes the full path.
_TS_FAST = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)
_FROMISO = datetime.fromisoformat
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
# Only used to explain a failure: a date-time that lacks nothing but its offset.
_TS_NO_OFFSET = re.compile(
    r"[0-9]{4}-?[0-9]{2}-?[0-9]{2}[Tt ][0-9]{2}:?[0-9]{2}(?::?[0-9]{2}(?:[.,][0-9]+)?)?",
    re.ASCII,
)
_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_DAY_CACHE: dict[tuple[int, int, int], int] = {}
_DAY_CACHE_MAX = 20_000


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (valid date assumed)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _epoch_days(s: str, y: int, m: int, d: int) -> int:
    key = (y, m, d)
    days = _DAY_CACHE.get(key)
    if days is not None:
        return days
    if not 1 <= m <= 12:
        raise ValueError(f"timestamp {_show(s)} has month {m:02d}; months run from 01 to 12")
    last = _MONTH_DAYS[m]
    if m == 2 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0):
        last = 29
    if not 1 <= d <= last:
        raise ValueError(f"timestamp {_show(s)} has day {d:02d}; {y:04d}-{m:02d} has {last} days")
    days = _days_from_civil(y, m, d)
    if len(_DAY_CACHE) >= _DAY_CACHE_MAX:
        _DAY_CACHE.clear()
    _DAY_CACHE[key] = days
    return days


def parse_timestamp(s: str) -> int:
    """Parse an ISO 8601 date-time with a UTC offset into UTC epoch milliseconds.

    Accepts e.g. ``2024-05-01T13:45:00Z``, ``2024-05-01T15:45:00.123456+02:00``,
    ``2024-05-01 13:45Z`` and ``20240501T134500+0000``.  Raises ``ValueError`` naming the
    problem for anything else: a missing offset, an impossible date or time, the unknown-offset
    forms ``-00:00``/``-0000``/``-00``, or text that is no timestamp at all.
    """
    if type(s) is str and _TS_FAST.fullmatch(s) is not None and s[-6:] != "-00:00":
        try:
            ms = (_FROMISO(s) - _EPOCH) // _MS
        except (ValueError, OverflowError):
            pass  # a leap second, year 0000 or an impossible date: the full parser decides
        else:
            return check_range(ms, s)
    return check_range(_parse_timestamp_full(s), s)


def _parse_timestamp_full(s: str) -> int:
    """The complete grammar of ``parse_timestamp`` (also its reference in tests)."""
    if type(s) is not str:
        raise ValueError(f"a timestamp must be a string, not {type(s).__name__}")
    m = _TS_EXTENDED.fullmatch(s) or _TS_BASIC.fullmatch(s)
    if m is None:
        if _TS_NO_OFFSET.fullmatch(s):
            raise ValueError(
                f"timestamp {_show(s)} has no UTC offset; add 'Z' or an offset such as "
                "'+02:00' (a local time without an offset is not a point in time)"
            )
        raise ValueError(
            f"timestamp {_show(s)} is not an ISO 8601 date-time with an offset, "
            "e.g. 2024-05-01T13:45:00Z or 2024-05-01T15:45:00.250+02:00"
        )
    ys, mos, ds, hs, mis, ss, frac, zulu, sign, ohs, oms = m.groups()
    days = _epoch_days(s, int(ys), int(mos), int(ds))
    hour = int(hs)
    minute = int(mis)
    second = int(ss) if ss is not None else 0
    ms = int((frac + "00")[:3]) if frac is not None else 0
    if hour == 24:
        if minute or second or (frac is not None and frac.strip("0")):
            raise ValueError(f"timestamp {_show(s)}: hour 24 is only allowed as 24:00:00")
    elif hour > 23:
        raise ValueError(f"timestamp {_show(s)} has hour {hour}; hours run from 00 to 23")
    if minute > 59:
        raise ValueError(f"timestamp {_show(s)} has minute {minute}; minutes run from 00 to 59")
    if second > 60:
        raise ValueError(
            f"timestamp {_show(s)} has second {second}; seconds run from 00 to 59 (60 for a leap second)"
        )
    offset_s = 0
    if zulu is None:
        oh = int(ohs)
        om = int(oms) if oms is not None else 0
        if oh > 23 or om > 59:
            raise ValueError(f"timestamp {_show(s)} has an impossible UTC offset {sign}{ohs}:{oms or '00'}")
        if sign == "-" and oh == 0 and om == 0:
            raise ValueError(
                f"timestamp {_show(s)} uses the offset -00:00, which means 'local offset unknown' "
                "(RFC 3339 4.3) and is not valid ISO 8601; use Z or +00:00 for UTC"
            )
        offset_s = (oh * 3600 + om * 60) if sign == "+" else -(oh * 3600 + om * 60)
    seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_s
    return seconds * 1000 + ms


# -- durations --------------------------------------------------------------------------------

_NUM = r"([0-9]+(?:[.,][0-9]+)?)"
_DUR = re.compile(
    rf"P(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?(T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?",
    re.ASCII,
)
_DUR_WEEKS = re.compile(rf"P{_NUM}W", re.ASCII)
_UNIT_SECONDS = (SECONDS_PER_YEAR, SECONDS_PER_MONTH, 86400, 3600, 60, 1)
_UNIT_NAMES = ("years", "months", "days", "hours", "minutes", "seconds")
_DURATION_CHARS = frozenset("0123456789.,PYMWDTHS")
_DUR_CACHE: dict[str, float] = {}
_DUR_CACHE_MAX = 20_000


def _duration_error(s: str, why: str) -> ValueError:
    return ValueError(
        f"duration {_show(s)} is not an ISO 8601 duration ({why}); expected e.g. PT4M12.5S, P1DT2H or P2W"
    )


def _number(text: str) -> float:
    return float(text.replace(",", ".")) if "," in text else float(text)


def parse_duration(s: str) -> float:
    """Parse an ISO 8601 duration (``PnYnMnDTnHnMnS`` or ``PnW``) into seconds.

    ``P1DT2H`` -> 93600.0, ``PT4M12.5S`` -> 252.5, ``P2W`` -> 1209600.0, ``P0DT0H5M`` -> 300.0.
    Years and months use the mean Gregorian year (see the module docstring).  Raises
    ``ValueError`` for anything else, e.g. ``1h``, ``PT-5S``, ``P``, ``PT``, ``P1H``, ``P4W1D``.
    """
    if type(s) is not str:
        raise ValueError(f"a duration must be a string, not {type(s).__name__}")
    cached = _DUR_CACHE.get(s)
    if cached is not None:
        return cached
    m = _DUR.fullmatch(s)
    if m is None:
        w = _DUR_WEEKS.fullmatch(s)
        if w is None:
            raise _duration_error(s, _why_not_duration(s))
        total = _number(w.group(1)) * 604800.0
    else:
        y, mo, d, t_part, h, mi, sec = m.groups()
        present = [(i, p) for i, p in enumerate((y, mo, d, h, mi, sec)) if p is not None]
        if t_part is not None and h is None and mi is None and sec is None:
            raise _duration_error(s, "'T' must be followed by hours, minutes or seconds")
        if not present:
            raise _duration_error(s, "it has no component")
        for i, text in present[:-1]:
            if "." in text or "," in text:
                raise _duration_error(
                    s, f"only the smallest unit given may have a fraction, not {_UNIT_NAMES[i]}"
                )
        total = 0.0
        for i, text in present:
            total += _number(text) * _UNIT_SECONDS[i]
    if not math.isfinite(total):
        raise _duration_error(s, "it is too large")
    if len(_DUR_CACHE) >= _DUR_CACHE_MAX:
        _DUR_CACHE.clear()
    _DUR_CACHE[s] = total
    return total


def _why_not_duration(s: str) -> str:
    """Explain why ``s`` failed the duration grammar (slow path, messages only)."""
    if not s.startswith("P"):
        return "it must start with 'P'"
    stray = next((c for c in s if c not in _DURATION_CHARS), None)
    if stray is not None and stray not in "-+:":
        return f"unexpected character {stray!r}"
    if ":" in s or (s[1:5].isdigit() and s[5:6] == "-"):
        return "the alternative format (P0003-01-29T04:35:59) is not allowed in xAPI"
    if "-" in s or "+" in s:
        return "durations cannot be negative or signed"
    if "W" in s:
        return "weeks cannot be combined with other units"
    if "T" not in s and "H" in s:
        return "hours need a 'T' before them, as in PT1H"
    if "T" not in s and "S" in s:
        return "seconds need a 'T' before them, as in PT30S"
    return "unexpected characters or units out of order"
