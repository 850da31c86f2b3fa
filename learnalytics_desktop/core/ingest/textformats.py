"""Records of one JSON text stream: the format is found from the content.

A stream is the text of a plain file, of a decompressed gzip file or of a zip member.  After
an optional UTF-8 byte-order mark (UTF-16/32 is refused with a clear message):

* ``[`` -- a JSON array: one record per element (``jsonstream``);
* ``{`` with a complete object on the first or second line -- JSON Lines: one record per
  non-blank line (CRLF accepted); a line that is an LRS page (``{"statements": [...]}``)
  gives one record per statement;
* ``{`` otherwise -- a (pretty-printed) statement or LRS page, or several values one after
  the other (``jsonstream``);
* anything else -- JSON Lines if the second line is an object, else values (each bad one is
  rejected with its location).

Records are ``(location, data, rule, reason)`` tuples (see ``readers``), handed out in lists
(blocks): a block of ordinary JSON Lines becomes records without a per-line function call,
which matters on the hot path of big imports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

from learnalytics_desktop.core.ingest.jsonstream import BLOCK, iter_json_values

__all__ = ["Record", "text_blocks"]

Record = tuple[int | str, bytes | None, str | None, str | None]
_BOM = b"\xef\xbb\xbf"
_WIDE_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}
_PAGE_LINE = re.compile(rb'\s*\{\s*"statements"\s*:\s*\[')


def text_blocks(read: Callable[[int], bytes], prefix: str, max_record_bytes: int) -> Iterator[list[Record]]:
    """Records of one JSON text stream (plain file, decompressed gzip, or zip member)."""
    head = read(BLOCK)
    for bom, name in _WIDE_BOMS.items():
        if head.startswith(bom):
            yield [
                (
                    f"{prefix}byte 0".strip(),
                    None,
                    "file.encoding",
                    f"the text is {name}; statements must be UTF-8 (save the file as UTF-8)",
                )
            ]
            return
    if head.startswith(_BOM):
        head = head[3:]
    stripped = head.lstrip()
    if not stripped:
        more = read(BLOCK)
        if not more:
            return  # an empty file has no records
        head += more
        stripped = head.lstrip()
    if b"\x00" in head[:64]:
        yield [
            (
                f"{prefix}byte 0".strip(),
                None,
                "file.encoding",
                "the text contains NUL bytes; it is not UTF-8 JSON (UTF-16 without a byte-order mark?)",
            )
        ]
        return
    first = stripped[:1]
    if first == b"[" or (first == b"{" and not _looks_like_lines(stripped)):
        yield from _pieces(read, head, prefix, max_record_bytes)
    elif first == b"{" or _second_line_is_object(stripped):
        yield from _lines(read, head, prefix, max_record_bytes)
    else:
        yield from _pieces(read, head, prefix, max_record_bytes)


def _pieces(read: Callable[[int], bytes], head: bytes, prefix: str, cap: int) -> Iterator[list[Record]]:
    block: list[Record] = []
    try:
        for piece in iter_json_values(read, head=head, max_record_bytes=cap):
            block.append((prefix + piece.location, piece.data, piece.rule, piece.reason))
            if len(block) >= 256:
                yield block
                block = []
    except Exception:
        if block:  # the records before a failing read (damaged gzip) still count
            yield block
        raise
    if block:
        yield block


def _complete_object(line: bytes) -> bool:
    line = line.strip()
    if not line.startswith(b"{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, RecursionError):
        return False


def _looks_like_lines(text: bytes) -> bool:
    """JSON Lines rather than one (pretty-printed) value: the first or second line is a whole object."""
    lines = [ln for ln in text.split(b"\n", 3)[:3] if ln.strip()]
    if len(lines) < 2 and b"\n" not in text.rstrip():
        return False  # one line only: the value reader handles it (and concatenated values)
    return any(_complete_object(ln) for ln in lines[:2])


def _second_line_is_object(text: bytes) -> bool:
    lines = [ln for ln in text.split(b"\n", 3)[:3] if ln.strip()]
    return len(lines) >= 2 and _complete_object(lines[1])


def _lines(read: Callable[[int], bytes], head: bytes, prefix: str, cap: int) -> Iterator[list[Record]]:
    """JSON Lines: one record per non-blank line; a line holding a page gives its statements.

    Works a block (1 MiB) at a time; a block of ordinary lines (each starting with ``{``, no
    CR, no blank line, no page) becomes its records in one list comprehension.  Complete
    lines are handed out before the next block is read, so a stream that fails (damaged
    gzip) has given every whole line before the failure.
    """
    lineno = 0
    data = head
    skipping = False  # inside an over-long line already reported, waiting for its end
    while True:
        parts = data.split(b"\n")
        carry = parts.pop()
        if (
            not prefix
            and not skipping
            and parts
            and data[:1] == b"{"
            and b"\r" not in data
            and len(data) <= cap
            and b'"statements"' not in data
            and data.count(b"\n{") == len(parts) - 1 + (carry[:1] == b"{")
        ):
            yield [(lineno + i, line, None, None) for i, line in enumerate(parts, 1)]
            lineno += len(parts)
        elif parts:
            out: list[Record] = []
            for line in parts:
                lineno += 1
                if skipping:
                    skipping = False
                    continue
                out.extend(_line(line, lineno, prefix, cap, None))
            if out:
                yield out
        if len(carry) > cap:
            if not skipping:
                yield [
                    (
                        f"{prefix}line {lineno + 1}",
                        None,
                        "record.too_large",
                        f"line {lineno + 1} is longer than {cap / 1048576:g} MiB; it was not read",
                    )
                ]
            carry = b""
            skipping = True
        block = read(BLOCK)
        if not block:
            if carry and not skipping:
                last = list(_line(carry, lineno + 1, prefix, cap, "json.truncated"))
                if last:
                    yield last
            return
        data = carry + block


def _line(line: bytes, lineno: int, prefix: str, cap: int, hint: str | None) -> Iterator[Record]:
    if line.endswith(b"\r"):
        line = line[:-1]
    if not line.strip():
        return
    if len(line) > cap:
        yield (
            f"{prefix}line {lineno}",
            None,
            "record.too_large",
            f"line {lineno} is longer than {cap / 1048576:g} MiB; it was not read",
        )
        return
    if line[:1] == b"{" and _PAGE_LINE.match(line) is not None:
        for piece in iter_json_values(_once(line), max_record_bytes=cap):
            yield (f"{prefix}line {lineno} {piece.location}", piece.data, piece.rule, piece.reason)
        return
    yield (lineno if not prefix else f"{prefix}line {lineno}", line, hint, None)


def _once(data: bytes) -> Callable[[int], bytes]:
    chunks = [data]

    def read(_n: int) -> bytes:
        return chunks.pop() if chunks else b""

    return read
