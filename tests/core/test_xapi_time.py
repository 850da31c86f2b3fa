"""ISO 8601 timestamps and durations (core/ingest/xapi/timestamps.py): examples and properties."""

from __future__ import annotations

import contextlib
import math
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from learnalytics_desktop.core.ingest.xapi.timestamps import (
    MAX_TS_MS,
    MIN_TS_MS,
    SECONDS_PER_MONTH,
    SECONDS_PER_YEAR,
    TimestampOutOfRange,
    _parse_timestamp_full,
    parse_duration,
    parse_timestamp,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)


# -- timestamps: examples ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T13:45:00Z", 1714571100000),
        ("2024-05-01T15:45:00.123456+02:00", 1714571100123),
        ("2024-05-01T13:45:00.1239Z", 1714571100123),  # truncated, not rounded
        ("2024-05-01t13:45:00z", 1714571100000),
        ("2024-05-01 13:45Z", 1714571100000),  # RFC 3339 space; ISO reduced precision
        ("2024-05-01T08:15:00-05:30", 1714571100000),
        ("2024-05-01T13:45:00+0000", 1714571100000),
        ("2024-05-01T14:45:00+01", 1714571100000),
        ("20240501T134500Z", 1714571100000),  # ISO 8601 basic format
        ("20240501T154500,5+0200", 1714571100500),
        ("2008-09-15T15:53:00.601+00:00", 1221493980601),
        ("2016-12-31T23:59:60Z", 1483228800000),  # leap second = next minute's first
        ("2024-01-01T24:00:00Z", 1704153600000),  # end of day
        ("2024-02-29T00:00:00Z", 1709164800000),
        ("1969-12-31T23:59:59.999Z", -1),
    ],
)
def test_timestamp_examples(text: str, expected: int) -> None:
    assert parse_timestamp(text) == expected
    assert _parse_timestamp_full(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2024-05-01T13:45:00", "no UTC offset"),
        ("2024-05-01", "not an ISO 8601 date-time"),
        ("2008-09-15T15:53:00.601-00:00", "-00:00"),
        ("2008-09-15T15:53:00.601-0000", "-00:00"),
        ("2008-09-15T15:53:00.601-00", "-00:00"),
        ("2023-02-29T00:00:00Z", "2023-02 has 28 days"),
        ("2024-13-01T00:00:00Z", "month 13"),
        ("2024-05-01T25:00:00Z", "hour 25"),
        ("2024-05-01T24:00:01Z", "hour 24"),
        ("2024-05-01T13:60:00Z", "minute 60"),
        ("2024-05-01T13:45:61Z", "second 61"),
        ("2024-05-01T13:45:00+24:00", "impossible UTC offset"),
        ("01/011/2015", "not an ISO 8601"),
        ("18 May 2013 05:32:34.804 UTC", "not an ISO 8601"),
        ("should fail", "not an ISO 8601"),
        ("", "not an ISO 8601"),
        ("2024-05-01T13:45:00Z ", "not an ISO 8601"),
        ("0000-01-01T00:00:00Z", "outside the instants the app accepts"),
        ("1899-12-31T23:59:59.999Z", "outside the instants the app accepts"),
        ("2200-01-01T00:00:00Z", "outside the instants the app accepts"),
        ("２０２４-05-01T13:45:00Z", "not an ISO 8601"),  # full-width digits are not ASCII digits
    ],
)
def test_timestamp_rejections_say_why(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        parse_timestamp(text)


@pytest.mark.parametrize("value", [None, 5, 1.5, True, ["2024-05-01T13:45:00Z"], {"a": 1}])
def test_timestamp_non_strings_are_value_errors(value: object) -> None:
    with pytest.raises(ValueError, match="must be a string"):
        parse_timestamp(value)  # type: ignore[arg-type]


# -- timestamps: properties -------------------------------------------------------------------


@st.composite
def timestamps(draw: st.DrawFn) -> tuple[str, int]:
    """A timestamp in one of the accepted spellings, with its instant computed independently."""
    dt = draw(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
    digits = draw(st.text("0123456789", min_size=0, max_size=9))
    offset_min = draw(st.integers(-23 * 60 - 59, 23 * 60 + 59))
    zulu = draw(st.booleans())
    basic = draw(st.booleans())
    sep = "T" if basic else draw(st.sampled_from("Tt "))
    dec = draw(st.sampled_from(".,"))
    dash, colon = ("", "") if basic else ("-", ":")
    date = f"{dt.year:04d}{dash}{dt.month:02d}{dash}{dt.day:02d}"
    time = f"{dt.hour:02d}{colon}{dt.minute:02d}{colon}{dt.second:02d}"
    frac = f"{dec}{digits}" if digits else ""
    if zulu or offset_min == 0 and draw(st.booleans()):
        tz, offset_min = draw(st.sampled_from("Zz")), 0
    else:
        sign = "-" if offset_min < 0 else "+"
        hh, mm = divmod(abs(offset_min), 60)
        style = "basic" if basic else draw(st.sampled_from(["colon", "basic", "hours"]))
        if style == "hours" and mm:
            style = "colon"
        tz = f"{sign}{hh:02d}" + {"colon": f":{mm:02d}", "basic": f"{mm:02d}", "hours": ""}[style]
    text = f"{date}{sep}{time}{frac}{tz}"
    local = dt.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset_min)))
    expected = (local - EPOCH) // MS + (int((digits + "000")[:3]) if digits else 0)
    return text, expected


@settings(max_examples=400)
@given(timestamps())
def test_timestamp_round_trip(case: tuple[str, int]) -> None:
    text, expected = case
    assert _parse_timestamp_full(text) == expected
    if MIN_TS_MS <= expected < MAX_TS_MS:
        assert parse_timestamp(text) == expected
    else:  # parses, but lies outside the instants the app accepts (issue 15, finding 1)
        with pytest.raises(TimestampOutOfRange, match="1900-01-01T00:00:00Z up to 2199"):
            parse_timestamp(text)


REFERENCE_TS = re.compile(
    r"[0-9]{4}(-?)[0-9]{2}\1[0-9]{2}[Tt ][0-9]{2}(:?)[0-9]{2}(?:\2[0-9]{2}(?:[.,][0-9]+)?)?"
    r"(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)",
    re.ASCII,
)


@settings(max_examples=600)
@given(st.one_of(st.text(), st.text("0123456789-:+TZ.,tz ", max_size=40)))
@example("2024-05-01T13:45:00Z")
@example("2024-05-01T13:45:00.5-00:00")
def test_timestamp_garbage_is_a_value_error_or_a_real_timestamp(text: str) -> None:
    try:
        result = parse_timestamp(text)
    except ValueError:
        return
    assert isinstance(result, int)
    assert REFERENCE_TS.fullmatch(text), f"accepted {text!r}, which is not an ISO 8601 date-time"
    assert not re.search(r"-00(:?00)?$", text)
    assert _parse_timestamp_full(text) == result


@given(timestamps(), st.integers(0, 40), st.characters())
def test_timestamp_with_a_stray_character_never_crashes(case: tuple[str, int], pos: int, ch: str) -> None:
    text = case[0]
    text = text[:pos] + ch + text[pos:]
    with contextlib.suppress(ValueError):
        assert isinstance(parse_timestamp(text), int)


# -- durations: examples ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("P1DT2H", 93600.0),
        ("PT4M12.5S", 252.5),
        ("P2W", 1209600.0),
        ("P0DT0H5M", 300.0),
        ("P1Y2M", SECONDS_PER_YEAR + 2 * SECONDS_PER_MONTH),
        ("P1Y", 365.2425 * 86400),
        ("P12M", SECONDS_PER_YEAR),
        ("PT4H35M59.14S", 16559.14),
        ("PT16559.14S", 16559.14),
        ("P3Y1M29DT4H35M59.14S", 3 * SECONDS_PER_YEAR + SECONDS_PER_MONTH + 29 * 86400 + 16559.14),
        ("PT1,5S", 1.5),
        ("PT1.5H", 5400.0),
        ("P0D", 0.0),
        ("PT0S", 0.0),
        ("P0.5W", 302400.0),
    ],
)
def test_duration_examples(text: str, seconds: float) -> None:
    assert math.isclose(parse_duration(text), seconds, rel_tol=1e-12)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1h", "must start with 'P'"),
        ("PT-5S", "cannot be negative"),
        ("-PT5S", "must start with 'P'"),
        ("P", "no component"),
        ("PT", "'T' must be followed"),
        ("P1DT", "'T' must be followed"),
        ("P1H", "need a 'T'"),
        ("P4W1D", "weeks cannot be combined"),
        ("PT1.5M30S", "only the smallest unit"),
        ("P0003-01-29T04:35:59", "alternative format"),
        ("PA1H0M0S", "unexpected character 'A'"),
        ("PT1S1M", "unexpected characters"),
        ("pt5s", "must start with 'P'"),
        ("PT.5S", "unexpected characters"),
        ("PT5.S", "unexpected characters"),
        ("P" + "9" * 400 + "D", "too large"),
        ("", "must start with 'P'"),
    ],
)
def test_duration_rejections_say_why(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        parse_duration(text)


@pytest.mark.parametrize("value", [None, 12345, 1.5, False, {"key": "invalid"}, ["PT1S"]])
def test_duration_non_strings_are_value_errors(value: object) -> None:
    with pytest.raises(ValueError, match="must be a string"):
        parse_duration(value)  # type: ignore[arg-type]


# -- durations: properties --------------------------------------------------------------------

UNITS = ("Y", "M", "D", "H", "M", "S")
UNIT_SECONDS = (SECONDS_PER_YEAR, SECONDS_PER_MONTH, 86400, 3600, 60, 1)
NUMBER = st.integers(0, 10**6)


@st.composite
def durations(draw: st.DrawFn) -> tuple[str, float]:
    present = draw(st.lists(st.booleans(), min_size=6, max_size=6).filter(any))
    values = [draw(NUMBER) if p else None for p in present]
    last = max(i for i, p in enumerate(present) if p)
    frac = draw(st.text("0123456789", min_size=1, max_size=4)) if draw(st.booleans()) else ""
    date = "".join(f"{values[i]}{UNITS[i]}" for i in range(3) if values[i] is not None)
    time = ""
    for i in range(3, 6):
        if values[i] is not None:
            time += f"{values[i]}" + (f".{frac}" if i == last and frac else "") + UNITS[i]
    if last < 3 and frac:
        date = date[:-1] + f".{frac}" + date[-1]
    text = "P" + date + ("T" + time if time else "")
    total = sum(v * UNIT_SECONDS[i] for i, v in enumerate(values) if v is not None)
    if frac:
        total += float(f"0.{frac}") * UNIT_SECONDS[last]
    return text, float(total)


@settings(max_examples=400)
@given(durations())
def test_duration_round_trip(case: tuple[str, float]) -> None:
    text, expected = case
    assert math.isclose(parse_duration(text), expected, rel_tol=1e-9, abs_tol=1e-9)


@given(st.integers(0, 10**6), st.text("0123456789", max_size=3))
def test_weeks_round_trip(weeks: int, frac: str) -> None:
    text = f"P{weeks}.{frac}W" if frac else f"P{weeks}W"
    expected = (weeks + (float(f"0.{frac}") if frac else 0.0)) * 604800
    assert math.isclose(parse_duration(text), expected, rel_tol=1e-9)


@settings(max_examples=600)
@given(st.one_of(st.text(), st.text("PTYMWDHS0123456789.,-+ ", max_size=20)))
@example("P4W1D")
@example("PT-5S")
def test_duration_garbage_is_a_value_error(text: str) -> None:
    try:
        result = parse_duration(text)
    except ValueError:
        return
    assert isinstance(result, float) and math.isfinite(result) and result >= 0
    assert re.fullmatch(
        r"P(?:[0-9.,]+W|(?:[0-9.,]+Y)?(?:[0-9.,]+M)?(?:[0-9.,]+D)?(?:T(?:[0-9.,]+H)?(?:[0-9.,]+M)?(?:[0-9.,]+S)?)?)",
        text,
    ), f"accepted {text!r}"
