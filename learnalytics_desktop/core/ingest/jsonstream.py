"""Split a stream of JSON text into records without loading it whole.

A JSON array of statements (or an LRS statement-result page ``{"statements": [...]}``) can be
gigabytes long, so it is never parsed in one piece.  :func:`iter_json_values` reads the text in
blocks and finds where each element starts and ends by a structural scan: strings are skipped
whole by one regular expression (possessive, so it runs in C without backtracking), and only
the brackets outside strings are counted.  It does not parse: each element's bytes go to the
workers, which parse and validate them.  The scan is deliberately tolerant: an element whose
brackets balance but whose contents are not valid JSON is still cut out exactly and then
rejected alone by the parser, so one bad element never costs the rest of the file.

What comes out, in order, is a stream of :class:`Piece` records: the bytes of one element
with its location (``index 3 (line 120)``), or an error (``rule``, ``reason``) for text that
cannot be split (the file ends inside a value, an element over the size cap, stray text).
Top-level values follow each other (a single statement, an array, a page, or several of them
concatenated); a top-level object with a ``"statements"`` array is a page and its elements are
the records; any other top-level value is one record.  Memory stays bounded by the block size
plus the largest record (itself capped).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["Piece", "iter_json_values", "DEFAULT_MAX_RECORD_BYTES"]

DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024
BLOCK = 1 << 20

# A run of anything but brackets and quotes, or whole strings (escapes included).
# Written as "unrolled loops" (normal* (special normal*)*), which match in linear time even
# when a string is cut off at the end of the buffer. No possessive quantifiers or atomic
# groups: Python 3.11 before 3.11.5 (Debian 12 ships 3.11.2) matches them wrongly.
_STR_BODY_RE = rb'[^"\\]*(?:\\.[^"\\]*)*'
_FLAT = re.compile(rb'[^"\[\]{}]*(?:"' + _STR_BODY_RE + rb'"[^"\[\]{}]*)*', re.DOTALL)
_STRING = re.compile(rb'"' + _STR_BODY_RE + rb'"', re.DOTALL)
_STR_BODY = re.compile(_STR_BODY_RE, re.DOTALL)
_SCALAR = re.compile(rb"[^,:\[\]{}\s\"]+")
_WS = re.compile(rb"[ \t\r\n]*")
_OPEN = (0x7B, 0x5B)  # { [
_CLOSE = (0x7D, 0x5D)  # } ]


@dataclass(slots=True)
class Piece:
    """One record cut from the stream: ``data`` (the element's bytes) or an error."""

    location: str
    data: bytes | None = None
    rule: str | None = None
    reason: str | None = None


class _TooLarge(Exception):
    pass


class _Unfinished(Exception):
    pass


class _Stream:
    """A window on the input: ``buf`` holds text from some offset on, ``pos`` is the cursor.

    ``more(keep)`` reads another block and drops the text before ``keep`` (never before
    ``anchor`` while one is set); it returns how many bytes were dropped, so that callers
    can shift the offsets they hold, or ``None`` at the end of the input.
    """

    def __init__(self, read: Callable[[int], bytes], head: bytes) -> None:
        self.read = read
        self.buf = head
        self.pos = 0
        self.eof = False
        self.anchor: int | None = None
        self._mark = 0  # a buffer offset whose line number is known
        self._mark_line = 1

    def more(self, keep: int) -> int | None:
        if self.eof:
            return None
        block = self.read(BLOCK)
        if not block:
            self.eof = True
            return None
        if self.anchor is not None:
            keep = min(keep, self.anchor)
        keep = max(0, min(keep, len(self.buf)))
        if keep:
            self.line_at(keep)
            self._mark = 0
            self.buf = self.buf[keep:] + block
            self.pos -= keep
            if self.anchor is not None:
                self.anchor -= keep
        else:
            self.buf += block
        return keep

    def line_at(self, p: int) -> int:
        """The 1-based line number of buffer offset ``p`` (counted incrementally)."""
        if p >= self._mark:
            self._mark_line += self.buf.count(b"\n", self._mark, p)
        else:
            self._mark_line -= self.buf.count(b"\n", p, self._mark)
        self._mark = p
        return self._mark_line

    def skip_ws(self) -> int:
        """Move past white space (reading on as needed); the next byte, or -1 at the end."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]  # a * pattern always matches
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.more(self.pos) is None:
                return -1

    def drain(self) -> None:
        """Give up on the rest of the input (after an error that makes it unsplittable)."""
        self.anchor = None
        self.pos = len(self.buf)
        while self.more(self.pos) is not None:
            self.pos = len(self.buf)


def _scan(st: _Stream, p: int, depth: int) -> tuple[int, int, bool]:
    """Count brackets from ``p`` within the buffer: (offset, depth, closed).

    Stops early (not closed) at the end of the buffer or at a quote whose string does not
    end inside the buffer; resuming from the returned offset after reading more is exact.
    """
    buf = st.buf
    n = len(buf)
    while True:
        p = _FLAT.match(buf, p).end()  # type: ignore[union-attr]  # a * pattern always matches
        if p >= n:
            return p, depth, False
        c = buf[p]
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
            if depth == 0:
                return p + 1, 0, True
        else:  # a quote opening a string that does not end inside the buffer
            return p, depth, False
        p += 1


def _skip_string(st: _Stream, p: int) -> int | None:
    """Skip the string whose opening quote is at ``p`` without keeping it: its end, or None."""
    p += 1
    while True:
        p = _STR_BODY.match(st.buf, p).end()  # type: ignore[union-attr]  # a * pattern always matches
        if p < len(st.buf) and st.buf[p] == 0x22:
            return p + 1
        # The buffer ends inside the string (p is at the end, or at a trailing backslash).
        dropped = st.more(p)
        if dropped is None:
            return None
        p -= dropped


def _value_end(st: _Stream, cap: int) -> int:
    """End offset of the JSON value starting at ``st.pos``, reading on as needed.

    ``st.pos`` is kept at the value's start (shifted when text is dropped).  Raises
    ``_Unfinished`` if the input ends inside the value and ``_TooLarge`` past ``cap`` bytes
    (the stream is then moved past the value, or to the end of the input).
    """
    first = st.buf[st.pos]
    if first in _OPEN:
        p, depth = st.pos, 0
        while True:
            p, depth, closed = _scan(st, p, depth)
            if closed:
                return p
            if len(st.buf) - st.pos > cap:  # all of the buffer from pos belongs to the value
                _skip_container(st, p, depth)
                raise _TooLarge
            dropped = st.more(st.pos)
            if dropped is None:
                raise _Unfinished
            p -= dropped
    pattern = _STRING if first == 0x22 else _SCALAR
    while True:
        m = pattern.match(st.buf, st.pos)
        end = m.end() if m is not None else -1
        if m is not None and end < len(st.buf):
            return end
        if len(st.buf) - st.pos > cap:
            _skip_long_scalar(st, first == 0x22)
            raise _TooLarge
        if st.more(st.pos) is None:
            if m is None:
                raise _Unfinished
            return end


def _skip_long_scalar(st: _Stream, is_string: bool) -> None:
    """Move past an oversized string or bare token without keeping it."""
    st.anchor = None
    if is_string:
        end = _skip_string(st, st.pos)
        st.pos = len(st.buf) if end is None else end
        return
    while True:
        m = _SCALAR.match(st.buf, st.pos)
        st.pos = m.end() if m is not None else st.pos
        if st.pos < len(st.buf) or st.more(st.pos) is None:
            return


def _skip_container(st: _Stream, p: int, depth: int) -> None:
    """Discard an oversized container, keeping only its bracket depth, until it closes."""
    st.anchor = None
    while True:
        p, depth, closed = _scan(st, p, depth)
        if closed:
            st.pos = p
            return
        if p < len(st.buf):  # at a long string: skip it without keeping it
            end = _skip_string(st, p)
            if end is None:
                st.pos = len(st.buf)
                return
            p = end
            continue
        st.pos = p
        dropped = st.more(p)
        if dropped is None:
            st.pos = len(st.buf)
            return
        p -= dropped


def _too_large(location: str, cap: int) -> Piece:
    return Piece(
        location,
        rule="record.too_large",
        reason=f"{location} is larger than {cap / (1024 * 1024):g} MiB; a statement that "
        "large is not plausible and was not read",
    )


def _cut(st: _Stream, location: str, cap: int) -> Piece:
    """Cut the value at ``st.pos`` into a Piece and move the stream past it."""
    try:
        end = _value_end(st, cap)
    except _TooLarge:
        return _too_large(location, cap)
    except _Unfinished:
        st.drain()
        return Piece(
            location,
            rule="json.truncated",
            reason=f"{location}: the file ends inside this value (it was cut off, "
            "or its brackets do not balance)",
        )
    data = st.buf[st.pos : end]
    st.pos = end
    if len(data) > cap:
        return _too_large(location, cap)
    return Piece(location, data=bytes(data))


def _array(st: _Stream, cap: int, prefix: str) -> Iterator[Piece]:
    """The elements of the array whose ``[`` is at ``st.pos``."""
    st.pos += 1
    index = 0
    c = st.skip_ws()
    if c == 0x5D:
        st.pos += 1
        return
    while True:
        if c == -1:
            yield Piece(
                f"{prefix}index {index}",
                rule="json.truncated",
                reason=f"the file ends inside an array, before index {index}; the "
                "closing ']' is missing (was the file cut off?)",
            )
            return
        location = f"{prefix}index {index} (line {st.line_at(st.pos)})"
        if c in (0x2C, 0x5D, 0x7D, 0x3A):
            piece = Piece(
                location,
                rule="json.structure",
                reason=f"{location}: expected a value, found {_show(st.buf[st.pos : st.pos + 1])}",
            )
            st.pos += 1 if c != 0x5D else 0
        else:
            piece = _cut(st, location, cap)
        yield piece
        if piece.rule == "json.truncated":
            return
        index += 1
        c = st.skip_ws()
        if c == 0x2C:  # ,
            st.pos += 1
            c = st.skip_ws()
            if c == 0x5D:  # a trailing comma before ']' is tolerated
                st.pos += 1
                return
            continue
        if c == 0x5D:
            st.pos += 1
            return
        if c == -1:
            yield Piece(
                f"{prefix}after index {index - 1}",
                rule="json.truncated",
                reason="the file ends inside an array; the closing ']' is missing (was the file cut off?)",
            )
            return
        line = st.line_at(st.pos)
        yield Piece(
            f"{prefix}after index {index - 1} (line {line})",
            rule="json.structure",
            reason=f"expected ',' or ']' after array index {index - 1} at line {line}, "
            f"found {_show(st.buf[st.pos : st.pos + 20])}; the rest of the file could "
            "not be split into statements",
        )
        st.drain()
        return


def _object(st: _Stream, cap: int, number: int) -> Iterator[Piece]:
    """A top-level object: a page's statements, or the object itself as one record."""
    location = f"value {number} (line {st.line_at(st.pos)})"
    st.anchor = st.pos
    try:
        st.pos += 1
        while True:
            c = st.skip_ws()
            if c == 0x7D:  # }
                st.pos += 1
                break
            if c == 0x2C:  # , between members (and tolerated when stray)
                st.pos += 1
                continue
            if c == -1:
                yield _unfinished_object(st, location)
                return
            is_key = c == 0x22
            end = _value_end(st, cap)
            key = st.buf[st.pos : end]
            st.pos = end
            c = st.skip_ws()
            if not is_key or c != 0x3A:
                # Not a member: cut the object by brackets and let the parser name the fault.
                yield from _recut(st, location, cap)
                return
            st.pos += 1
            c = st.skip_ws()
            if c == -1:
                yield _unfinished_object(st, location)
                return
            if c == 0x5B and key == b'"statements"':
                st.anchor = None
                yield from _array(st, cap, "statements ")
                _skip_members(st, cap)
                return
            st.pos = _value_end(st, cap)
            if st.pos - st.anchor > cap:
                _skip_container(st, st.pos, 1)
                yield _too_large(location, cap)
                return
        data = st.buf[st.anchor : st.pos]
        if len(data) > cap:
            yield _too_large(location, cap)
        else:
            yield Piece(location, data=bytes(data))
    except _TooLarge:
        _skip_container(st, st.pos, 1)  # the rest of the object
        yield _too_large(location, cap)
    except _Unfinished:
        yield _unfinished_object(st, location)
    finally:
        st.anchor = None


def _unfinished_object(st: _Stream, location: str) -> Piece:
    st.drain()
    return Piece(
        location,
        rule="json.truncated",
        reason=f"{location}: the file ends inside this object (was it cut off?)",
    )


def _recut(st: _Stream, location: str, cap: int) -> Iterator[Piece]:
    st.pos = st.anchor if st.anchor is not None else st.pos
    st.anchor = None
    yield _cut(st, location, cap)


def _skip_members(st: _Stream, cap: int) -> None:
    """After a page's statements array: skip the other members up to the closing brace."""
    while True:
        c = st.skip_ws()
        if c == -1:
            return
        if c == 0x7D:
            st.pos += 1
            return
        if c in (0x2C, 0x3A):
            st.pos += 1
            continue
        try:
            st.pos = _value_end(st, cap)
        except (_TooLarge, _Unfinished):
            st.drain()
            return


def _show(raw: bytes) -> str:
    return json.dumps(raw.decode("utf-8", "replace"))


def iter_json_values(
    read: Callable[[int], bytes],
    *,
    head: bytes = b"",
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> Iterator[Piece]:
    """Records of a JSON text read with ``read(n)``; ``head`` is text already read from it.

    Arrays and pages give one record per element, other values one record each.
    """
    st = _Stream(read, head)
    number = 0
    while True:
        c = st.skip_ws()
        if c == -1:
            return
        number += 1
        if c == 0x5B:
            yield from _array(st, max_record_bytes, "")
        elif c == 0x7B:
            yield from _object(st, max_record_bytes, number)
        else:
            location = f"value {number} (line {st.line_at(st.pos)})"
            piece = _cut(st, location, max_record_bytes) if c not in (0x2C, 0x5D, 0x7D, 0x3A) else None
            if piece is None or piece.data == b"":
                yield Piece(
                    location,
                    rule="json.structure",
                    reason=f"{location}: unexpected {_show(st.buf[st.pos : st.pos + 20])}; "
                    "the rest of the file could not be split into statements",
                )
                st.drain()
                return
            yield piece
