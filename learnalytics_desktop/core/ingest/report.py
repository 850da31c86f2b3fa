"""What an import did: counts per file and in all, rejects by rule, speed.

Counting rules (written down because scripts depend on them):

* Every record read ends as exactly one of ``stored``, ``duplicates`` (same id, same
  canonical content as a statement already in the database or earlier in the run; or a
  rejected record whose very bytes, rejected under the same rule, the quarantine already
  holds, so importing a file again never quarantines its records twice),
  ``conflicts`` (same id, different content: the first one is kept and a row is added to
  ``conflicts``), ``rejected`` (a row in ``rejects`` names the rule) or ``skipped`` (a valid
  record of another source format that is not learner activity, e.g. an Open edX server
  event or a Caliper entity; ``skips_by_reason`` says why), so
  ``read = stored + duplicates + conflicts + rejected + skipped``.  A record is a JSON Lines
  line, an element of an array, page or Caliper envelope, a top-level value, or a table row;
  text that cannot even be cut into records (a damaged archive, a file cut off inside an
  array, a table in no known format) counts as one rejected record.  xAPI files skip nothing.
* ``FileResult.format`` is the format each file was read as (``formats.FORMAT_NAMES``, or
  ``unknown``); ``ImportReport.skipped_files`` lists the files and folders not read at all.
* ``voided`` is the number of statements that became hidden from analytics during this
  import, whichever of the voiding statement and its target arrived first.
* Counts describe the *files*, not the run: when a killed or cancelled import is run again,
  it continues where it stopped and the final counts equal those of an uninterrupted run
  (``resumed_records`` says how many records the earlier attempt had committed).  Files that
  the earlier attempt had finished are not read again; their counts are reported as they were.
  Importing files that were already imported completely reads them again: everything is then
  a duplicate (or a reject again), and nothing is added.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["COUNT_KEYS", "FileResult", "ImportReport"]

COUNT_KEYS = ("read", "stored", "duplicates", "conflicts", "rejected", "voided", "skipped")


@dataclass
class FileResult:
    """The outcome for one file."""

    source: str
    import_id: int | None = None
    status: str = "pending"  # done | cancelled | failed | pending
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0
    skipped: int = 0
    voided: int = 0
    rejects_by_rule: dict[str, int] = field(default_factory=dict)
    skips_by_reason: dict[str, int] = field(default_factory=dict)
    format: str = "xapi"
    sha256: str | None = None
    resumed_records: int = 0
    notes: list[str] = field(default_factory=list)
    message: str | None = None

    def counts(self) -> dict[str, int]:
        return {k: int(getattr(self, k)) for k in COUNT_KEYS}


@dataclass
class ImportReport:
    """The outcome of :func:`core.ingest.importer.import_paths`."""

    read: int = 0
    stored: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0
    skipped: int = 0
    voided: int = 0
    rejects_by_rule: dict[str, int] = field(default_factory=dict)
    skips_by_reason: dict[str, int] = field(default_factory=dict)
    files: list[FileResult] = field(default_factory=list)
    skipped_files: list[tuple[str, str]] = field(default_factory=list)
    elapsed: float = 0.0
    statements_per_second: float = 0.0
    processed: int = 0  # records this run read itself (not those an earlier attempt committed)
    cancelled: bool = False
    resumed: bool = False
    pseudonymized: bool = False
    notes: list[str] = field(default_factory=list)

    def add_file(self, fr: FileResult) -> None:
        """Add a file's counts to the totals."""
        self.files.append(fr)
        for key in COUNT_KEYS:
            setattr(self, key, getattr(self, key) + getattr(fr, key))
        for rule, n in fr.rejects_by_rule.items():
            self.rejects_by_rule[rule] = self.rejects_by_rule.get(rule, 0) + n
        for why, n in fr.skips_by_reason.items():
            self.skips_by_reason[why] = self.skips_by_reason.get(why, 0) + n

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: the integer counts first, then details."""
        out: dict[str, Any] = {k: int(getattr(self, k)) for k in COUNT_KEYS}
        out.update(
            rejects_by_rule=dict(sorted(self.rejects_by_rule.items())),
            skips_by_reason=dict(sorted(self.skips_by_reason.items(), key=lambda kv: (-kv[1], kv[0]))),
            files=[asdict(f) for f in self.files],
            skipped_files=[{"path": p, "reason": r} for p, r in self.skipped_files],
            elapsed=round(self.elapsed, 3),
            statements_per_second=round(self.statements_per_second, 1),
            processed=self.processed,
            cancelled=self.cancelled,
            resumed=self.resumed,
            pseudonymized=self.pseudonymized,
            notes=list(self.notes),
        )
        return out
