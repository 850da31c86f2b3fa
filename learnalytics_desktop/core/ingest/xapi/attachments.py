"""Validation of Attachments (xAPI Data 2.4.11)."""

from __future__ import annotations

from typing import Any

from learnalytics_desktop.core.ingest.xapi.activity import check_iri, check_language_map
from learnalytics_desktop.core.ingest.xapi.actors import unknown_property
from learnalytics_desktop.core.ingest.xapi.errors import describe, fail, type_error
from learnalytics_desktop.core.ingest.xapi.formats import is_media_type, is_sha2_hex

__all__ = ["check_attachment", "check_attachments"]

_ATTACHMENT_KEYS = frozenset(
    ("usageType", "display", "description", "contentType", "length", "sha2", "fileUrl")
)
_ATTACHMENT_REQUIRED = ("usageType", "display", "contentType", "length", "sha2")


def check_attachment(d: Any, path: str) -> None:
    """An Attachment object (Data 2.4.11)."""
    if type(d) is not dict:
        type_error("attachment.type", path, d, "an Attachment object", "Data 2.4.11")
    if not _ATTACHMENT_KEYS.issuperset(d):
        unknown_property(
            d, _ATTACHMENT_KEYS, path, "attachment.unknown_property", "an Attachment", "Data 2.4.11"
        )
    missing = [k for k in _ATTACHMENT_REQUIRED if k not in d]
    if missing:
        fail(
            "attachment.required",
            path,
            f"lacks {', '.join(missing)}; usageType, display, contentType, length and sha2 are required",
            "Data 2.4.11.s2",
        )
    check_iri(d["usageType"], f"{path}.usageType", "attachment.usage_type", "Data 2.4.11.s2.table1.row1")
    check_language_map(d["display"], f"{path}.display")
    if "description" in d:
        check_language_map(d["description"], f"{path}.description")
    ctype = d["contentType"]
    if not is_media_type(ctype):
        if type(ctype) is not str:
            type_error(
                "attachment.content_type",
                f"{path}.contentType",
                ctype,
                "an Internet media type string",
                "Data 2.4.11.s2.table1.row4",
            )
        fail(
            "attachment.content_type",
            f"{path}.contentType",
            f"{describe(ctype)} is not an Internet media type (type/subtype)",
            "Data 2.4.11.s2.table1.row4",
        )
    length = d["length"]
    if type(length) is not int or length < 0:
        if type(length) is int:
            fail(
                "attachment.length",
                f"{path}.length",
                f"is {length}; a length in octets cannot be negative",
                "Data 2.4.11.s2.table1.row5",
            )
        type_error(
            "attachment.length",
            f"{path}.length",
            length,
            "a non-negative integer",
            "Data 2.4.11.s2.table1.row5",
        )
    sha2 = d["sha2"]
    if not is_sha2_hex(sha2):
        if type(sha2) is not str:
            type_error(
                "attachment.sha2",
                f"{path}.sha2",
                sha2,
                "a SHA-2 hex digest string",
                "Data 2.4.11.s2.table1.row6",
            )
        fail(
            "attachment.sha2",
            f"{path}.sha2",
            f"{describe(sha2)} is not a SHA-2 hex digest (56, 64, 96 or 128 hex digits)",
            "Data 2.4.11.s2.table1.row6",
        )
    if "fileUrl" in d:
        check_iri(
            d["fileUrl"], f"{path}.fileUrl", "attachment.file_url", "Data 2.4.11.s2.table1.row7", "an IRL"
        )


def check_attachments(value: Any, path: str) -> None:
    """The statement's attachments: an array of Attachment objects (Data 2.4.11)."""
    if type(value) is not list:
        type_error(
            "attachment.type", path, value, "an array of Attachment objects", "Data 2.4.s1.table1.row11"
        )
    for i, att in enumerate(value):
        check_attachment(att, f"{path}[{i}]")
