"""Exporting interventions: a spreadsheet-safe CSV of drafts and one ``.eml`` draft per student.

Nothing is sent. ``.eml`` files carry ``X-Unsent: 1``, which Outlook and Thunderbird open as
an unsent draft the advisor can review and send from their own mailbox.

* Messages are built with :class:`email.message.EmailMessage` under ``email.policy.default``.
  Header values taken from data (subject, display name, address) have every line-break and
  control character replaced by a space first, and the policy itself refuses CR/LF, so data
  can never add a header.
* The recipient is ``actors.email`` when the database knows it. Pseudonymised databases do
  not: the ``To`` header is then present but empty and the advisor fills it in. Instructor
  alerts go to the instructor address from the rules (empty when unset).
* One file per student and audience: a student's approved messages of one export become one
  letter (``<label>.eml``; :func:`merge_letters`: one greeting, every message's content, one
  sign-off), instructor alerts about them into
  ``<label> - instructor.eml``. File names come from the label, made safe for Windows and
  never overwriting another file. The export is idempotent: a draft this export already wrote
  for the same rows (an export killed before it marked them exported leaves one) is replaced,
  not duplicated as ``<label> (2).eml``.
* Files are written atomically; if one fails, the files already written by this export are
  removed and no status changes. Each export is one row in the export log
  (``core.export.record_export``) and moves the rows from ``approved`` to ``exported``.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.interventions.context import InterventionError
from learnalytics_desktop.core.interventions.drafts import _user
from learnalytics_desktop.core.interventions.review import list_interventions, transition
from learnalytics_desktop.core.text import plural

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_UNSAFE_FILE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
    *(f"COM{d}" for d in "\u00b9\u00b2\u00b3"),  # Windows reserves COM¹..COM³ too
    *(f"LPT{d}" for d in "\u00b9\u00b2\u00b3"),
    "CONIN$",
    "CONOUT$",
}
NAME_BYTES = 150  # stem bytes: with " - instructor (999).eml" and the temp name, far below 255
CSV_COLUMNS = [
    "id",
    "batch",
    "student",
    "first_name",
    "last_name",
    "email",
    "to",
    "course",
    "date",
    "rule",
    "channel",
    "arm",
    "status",
    "subject",
    "body",
    "risk",
    "user",
    "created_at",
]


@dataclass
class ExportResult:
    """What one export wrote."""

    what: str
    path: str
    rows: int
    files: list[str] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return asdict(self)


def one_line(text: str | None) -> str:
    """Header-safe text: every control character or line break becomes one space."""
    return _CONTROL.sub(" ", text or "").strip()


def _cap_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def safe_filename(label: str, suffix: str = "", ext: str = ".eml", limit: int = NAME_BYTES) -> str:
    """A file name from a label that every desktop filesystem accepts.

    Characters Windows forbids and control characters become ``_``; invisible formatting
    characters (bidi overrides such as U+202E, which can make ``txt.exe`` read as ``exe.txt``,
    zero-width spaces) are dropped; the name is NFC-normalised; the stem is cut to ``limit``
    *bytes* of UTF-8 (filesystems count bytes: 255 at most), leaving room for the suffix, a
    `` (n)`` counter and the export's temporary name; Windows device names (``CON``, ``LPT9``,
    also followed by spaces or an extension, as in ``lpt9 .x``) get a leading ``_``.
    """
    text = unicodedata.normalize("NFC", label)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    stem = _UNSAFE_FILE.sub("_", text).strip(" .") or "student"
    stem = _cap_bytes(stem, limit).rstrip(" .") or "student"
    if stem.split(".")[0].rstrip(" ").upper() in _RESERVED:
        stem = "_" + stem
    return f"{stem}{suffix}{ext}"


def _draft_ids(path: Path) -> str | None:
    """The ``X-Learnalytics-Interventions`` header of an existing draft, else None."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16384)
    except OSError:
        return None
    match = re.search(
        rb"^X-Learnalytics-Interventions: *([0-9, ]+?) *\r?$", head, re.MULTILINE | re.IGNORECASE
    )
    return match.group(1).decode("ascii") if match else None


def _unique(folder: Path, name: str, taken: set[str], ids: list[int] | None = None) -> Path:
    """A free file name in ``folder``: ``name``, else ``name (2)``, ... An existing file that is
    this export's own draft for the same ``ids`` (left by an export that was killed before it
    could mark its rows exported) is reused, so a rerun replaces it instead of duplicating it."""
    stem, ext = os.path.splitext(name)
    mine = ", ".join(str(int(i)) for i in ids) if ids else None
    candidate, n = name, 1
    while candidate.lower() in taken or (
        (folder / candidate).exists() and (mine is None or _draft_ids(folder / candidate) != mine)
    ):
        n += 1
        candidate = f"{stem} ({n}){ext}"
    taken.add(candidate.lower())
    return folder / candidate


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()) if p.strip()]


def merge_letters(bodies: list[str]) -> str:
    """One letter from several messages to the same person: the first message's greeting
    (its first paragraph) and sign-off (its last), with the middle paragraphs of every
    message in order, each said once. A message too short to have a greeting, a middle and
    a sign-off (fewer than three paragraphs) is kept whole in the middle."""
    texts = [b for b in bodies if b and b.strip()]
    if len(texts) <= 1:
        return (texts[0] if texts else "").strip()
    first = _paragraphs(texts[0])
    if len(first) < 3:
        return "\n\n".join(t.strip() for t in texts)
    middle: list[str] = []
    for text in texts:
        parts = _paragraphs(text)
        inner = parts[1:-1] if len(parts) >= 3 else parts
        middle += [p for p in inner if p not in middle]
    return "\n\n".join([first[0], *middle, first[-1]])


def build_eml(
    *,
    subject: str,
    body: str,
    to_addr: str | None = None,
    to_name: str | None = None,
    ids: list[int] | None = None,
) -> tuple[bytes, str | None]:
    """An unsent draft as bytes, plus a warning when the address could not be used."""
    msg = EmailMessage(policy=policy.default)
    msg["X-Unsent"] = "1"
    warning = None
    to_value: Any = ""
    addr = one_line(to_addr)
    if addr:
        try:
            to_value = Address(display_name=one_line(to_name), addr_spec=addr)
        except (ValueError, IndexError, TypeError):
            warning = f"the address {addr!r} is not valid; the To field was left empty"
            to_value = ""
    msg["To"] = to_value
    msg["Subject"] = one_line(subject)
    msg["Date"] = formatdate(localtime=True)
    if ids:
        msg["X-Learnalytics-Interventions"] = ", ".join(str(int(i)) for i in ids)
    msg.set_content((body or "").replace("\r\n", "\n").replace("\r", "\n"))
    return msg.as_bytes(), warning


def _select(
    conn: sqlite3.Connection, ids: list[int] | None, course_id: int | None, statuses: list[str] | None
) -> Any:
    if ids is None and course_id is None:
        raise InterventionError("Choose the interventions to export (ids or a course).")
    frame = list_interventions(conn, course_id, statuses=statuses, ids=ids)
    if ids is not None:
        missing = sorted(set(int(i) for i in ids) - set(int(i) for i in frame["id"]))
        if missing:
            raise InterventionError(f"No intervention(s) with id {missing[:10]} to export.")
    return frame


def _courses(conn: sqlite3.Connection) -> dict[int, str]:
    return {int(i): (n or iri) for i, n, iri in conn.execute("SELECT id, name, iri FROM courses")}


def export_csv(
    conn: sqlite3.Connection,
    path: str | os.PathLike[str],
    *,
    ids: list[int] | None = None,
    course_id: int | None = None,
    statuses: list[str] | None = None,
    mark_exported: bool = False,
    user: str | None = None,
) -> ExportResult:
    """Write the selected interventions to a safe CSV (UTF-8 with BOM) atomically, with the
    student's ``first_name``, ``last_name`` and ``email`` (``core.people``) for a mail merge.

    With ``mark_exported`` (a mail merge: the GUI's "Approved drafts as CSV") the approved
    rows among them become ``exported``, exactly as an ``.eml`` export does; rows already
    exported may be exported again (they stay exported, the log counts them). Without it (a
    copy of the log) no status changes. Returns the :class:`ExportResult`.
    """
    from learnalytics_desktop.core.export import record_export, write_csv_atomic
    from learnalytics_desktop.core.people import people
    from learnalytics_desktop.core.store.db import transaction

    frame = _select(conn, ids, course_id, statuses)
    who = people(conn, [int(a) for a in frame["actor"]])
    names = _courses(conn)
    rows = []
    for rec in frame.to_dict("records"):
        person = who.get(int(rec["actor"]))
        rec["first_name"] = person.first_name if person else None
        rec["last_name"] = person.last_name if person else None
        rec["email"] = person.email if person else None
        rec["to"] = rec["email"] if rec["channel"] != "instructor_alert" else None
        rec["course"] = names.get(rec["course"], rec["course"])
        rows.append({c: rec.get(c) for c in CSV_COLUMNS})
    by = _user(user)
    n = write_csv_atomic(path, rows, CSV_COLUMNS)
    marked = [int(r["id"]) for r in rows if r["status"] == "approved"] if mark_exported else []
    again = sum(1 for r in rows if r["status"] == "exported") if mark_exported else 0
    with transaction(conn):
        for iid in marked:
            transition(conn, iid, "exported", by, via="csv")
        record_export(conn, "interventions csv", path, n, exported=len(marked), exported_again=again)
    return ExportResult(
        what="interventions csv", path=str(path), rows=n, files=[str(path)], ids=[int(r["id"]) for r in rows]
    )


def export_eml(
    conn: sqlite3.Connection,
    folder: str | os.PathLike[str],
    *,
    ids: list[int] | None = None,
    course_id: int | None = None,
    instructor_email: str | None = None,
    user: str | None = None,
) -> ExportResult:
    """Write one ``.eml`` draft per student (and per instructor alert) for approved rows.

    Every selected row must be approved or already exported (an export can be repeated,
    e.g. when the files were lost; InterventionError lists the others). Approved rows
    become ``exported``, as with a mail-merge CSV. ``instructor_email`` defaults to the one
    in the saved rules.
    """
    from learnalytics_desktop.core.export import atomic_write_bytes, record_export
    from learnalytics_desktop.core.interventions.rules import load_rules
    from learnalytics_desktop.core.store.db import transaction

    target = Path(folder)
    if not target.is_dir():
        raise InterventionError(f"The folder {target} does not exist.")
    frame = _select(conn, ids, course_id, None if ids is not None else ["approved"])
    not_ready = frame[~frame["status"].isin(["approved", "exported"])]
    if len(not_ready):
        listed = ", ".join(f"{i} ({s})" for i, s in zip(not_ready["id"], not_ready["status"], strict=True))
        raise InterventionError(
            f"Only approved (or already exported) interventions can be exported as e-mail; not approved: {listed}."
        )
    if frame.empty:
        raise InterventionError("There are no approved interventions to export.")
    if instructor_email is None:
        instructor_email = load_rules(conn).instructor_email
    from learnalytics_desktop.core.people import people as find_people

    known = find_people(conn, [int(a) for a in frame["actor"]])
    people = {a: (p.full_name, p.email) for a, p in known.items()}
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for rec in frame.to_dict("records"):
        audience = "instructor" if rec["channel"] == "instructor_alert" else "student"
        groups.setdefault((int(rec["actor"]), audience), []).append(rec)
    written: list[Path] = []
    warnings: list[str] = []
    taken: set[str] = set()
    combined = 0
    try:
        for (actor, audience), recs in groups.items():
            name, email = people.get(actor, (None, None))
            label = str(recs[0]["student"])
            if audience == "student":
                to_addr, to_name, suffix = email, name, ""
            else:
                to_addr, to_name, suffix = instructor_email or None, None, " - instructor"
            if len(recs) > 1:
                combined += 1
            subject = recs[0]["subject"] or ""
            body = merge_letters([r["body"] or "" for r in recs])
            data, warn = build_eml(
                subject=subject, body=body, to_addr=to_addr, to_name=to_name, ids=[int(r["id"]) for r in recs]
            )
            if warn:
                warnings.append(f"{label}: {warn}.")
            path = _unique(target, safe_filename(label, suffix), taken, [int(r["id"]) for r in recs])
            written.append(atomic_write_bytes(path, data))
    except BaseException:
        for p in written:
            p.unlink(missing_ok=True)
        raise
    if combined:
        warnings.append(
            f"{plural(combined, 'letter')} merge{'s' if combined == 1 else ''} several messages to one student "
            "(one greeting, one sign-off); read them before sending."
        )
    no_address = sum(1 for (a, aud) in groups if aud == "student" and not people.get(a, (None, None))[1])
    if no_address:
        warnings.append(
            f"{plural(no_address, 'student draft')} {'has' if no_address == 1 else 'have'} an empty To field (no e-mail address in this database)."
        )
    who = _user(user)
    done = [int(i) for i in frame["id"]]
    fresh = [int(i) for i, s in zip(frame["id"], frame["status"], strict=True) if s == "approved"]
    try:
        with transaction(conn):
            for iid in fresh:
                transition(conn, iid, "exported", who, via="eml")
            record_export(
                conn,
                "intervention e-mails",
                target,
                len(done),
                files=len(written),
                exported_again=len(done) - len(fresh),
            )
    except BaseException:
        for p in written:  # the log says nothing was exported, so leave no files behind
            p.unlink(missing_ok=True)
        raise
    return ExportResult(
        what="intervention e-mails",
        path=str(target),
        rows=len(done),
        files=[str(p) for p in written],
        ids=done,
        warnings=warnings,
    )


__all__ = [
    "CSV_COLUMNS",
    "ExportResult",
    "build_eml",
    "merge_letters",
    "export_csv",
    "export_eml",
    "one_line",
    "safe_filename",
]
