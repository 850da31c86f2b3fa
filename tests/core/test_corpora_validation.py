"""The validator against the shared xAPI corpora (see shared/corpora/SOURCES.md).

* LRS conformance suite: every "valid" file validates under its version folder's rules; every
  "invalid" file is rejected, and for a rule of its own test group (``EXPECTED_RULES``), so a
  file cannot pass by failing for an unrelated reason.  ``GENERATION_ARTIFACTS`` lists the
  only exclusions, with the reason, and a test checks that the intended statements are
  rejected.
* TinCanValidator: whole statements, SubStatements and fragments by folder name.
* xAPI-Spec examples, cmi5 scenarios, DATASIM, ralph (and its full 22,000-statement dataset).
"""

from __future__ import annotations

import csv
import glob
import gzip
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from learnalytics_desktop.core.ingest.xapi.fast import fast_statement
from learnalytics_desktop.core.ingest.xapi.validate import (
    InvalidStatement,
    validate_fragment,
    validate_statement,
)

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"
pytestmark = pytest.mark.skipif(not CORPORA.exists(), reason="shared/corpora is not beside the repository")

LRS = "lrs-conformance-test-suite"
VERSIONS = {"v1_0_3": "1.0.3", "v2_0": "2.0"}


def manifest(kind: str, corpus: str) -> list[dict[str, str]]:
    path = CORPORA / kind / corpus / "manifest.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def grouped(kind: str) -> dict[tuple[str, str], list[dict[str, str]]]:
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in manifest(kind, LRS):
        version_dir, config = row["file"].split("/")[:2]
        groups[(version_dir, config)].append(row)
    return groups


VALID_GROUPS = grouped("xapi-valid")
INVALID_GROUPS = grouped("xapi-invalid")

# Rules an invalid case of each test group may be rejected by (prefix match).
EXPECTED_RULES: dict[str, tuple[str, ...]] = {
    "accountobjects": ("actor.account",),
    "activities": ("activity.", "definition.", "languagemap.", "interaction.", "extensions."),
    "actors": ("actor.object_type", "object.object_type"),
    "agents": ("actor.", "object.object_type"),
    "attachments": ("attachment.", "languagemap."),
    "authorities": ("authority.", "group.member"),
    "contextactivities": ("context.activities", "activity."),
    "contextagents": ("context.context_agent", "actor."),
    "contextgroups": ("context.context_group", "actor.", "group."),
    "contexts": ("context.", "actor.", "group.", "statementref."),
    "durations": ("result.duration",),
    "extensions": ("extensions.key",),
    "formatting": (
        "statement.",
        "id.uuid",
        "score.number",
        "result.",
        "actor.",
        "interaction.type",
        "languagemap.tag",
        "context.language",
    ),
    "groups": ("group.", "actor."),
    "ifis": ("actor.mbox", "actor.mbox_sha1sum", "actor.openid"),
    "languages": ("languagemap.tag",),
    "objects": ("object.object_type", "statement.unknown_property"),
    "results": ("result.",),
    "scores": ("score.",),
    "statementrefs": ("statementref.", "object.object_type"),
    "substatements": ("substatement.", "statement.required", "object.object_type"),
    "timestamp_property": ("timestamp.format",),
    "timestamps": ("timestamp.format",),
    "uuids": ("id.uuid", "statementref.id", "context.registration"),
    "verbs": ("verb.", "languagemap.type"),
    "version": ("version.format",),
    "voiding": ("voiding.object",),
}

# Invalid cases whose stored file is, as generated, a valid statement.  The suite's
# formatting.js sets one property to null ({name: null}, {display: {'en-US': null}},
# {registration: null}, {definition: {moreInfo: null}}); the script that wrote the corpus
# dropped null values while merging, so the null that makes each case invalid is missing.
# This is no limitation of a file validator: test_intended_null_cases_are_rejected puts the
# null back and checks the rejection.  test_generation_artifacts_are_still_there fails once the
# corpus is regenerated correctly, so this list cannot go stale.
GENERATION_ARTIFACTS = {
    f"{v}/formatting/formatting-{n}-statement-{what}-should-fail-on-null.json": (
        "null property dropped by the corpus generator"
    )
    for v, first in (("v1_0_3", 278), ("v2_0", 294))
    for n, what in zip(
        (f"{first + i:04d}" for i in range(4)), ("actor", "verb", "context", "object"), strict=False
    )
}
INTENDED_NULLS = {
    "actor": (("actor", "name"),),
    "verb": (("verb", "display", "en-US"),),
    "context": (("context", "registration"),),
    "object": (("object", "definition", "moreInfo"),),
}


def test_manifests_cover_the_suite() -> None:
    valid = manifest("xapi-valid", LRS)
    invalid = manifest("xapi-invalid", LRS)
    assert len(valid) == 692 and len(invalid) == 1230
    for kind, rows in (("xapi-valid", valid), ("xapi-invalid", invalid)):
        for row in rows:
            assert (CORPORA / kind / LRS / row["file"]).is_file(), row["file"]
    assert {r["file"].split("/")[1] for r in invalid} == set(EXPECTED_RULES)


@pytest.mark.parametrize("group", sorted(VALID_GROUPS), ids="/".join)
def test_lrs_suite_valid_statements_validate(group: tuple[str, str]) -> None:
    failures = []
    for row in VALID_GROUPS[group]:
        stmt = load(CORPORA / "xapi-valid" / LRS / row["file"])
        try:
            validate_statement(stmt, VERSIONS[group[0]])
        except InvalidStatement as exc:
            failures.append(f"{row['file']}: {exc.rule}: {exc}  [test: {row['reason'][:120]}]")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("group", sorted(INVALID_GROUPS), ids="/".join)
def test_lrs_suite_invalid_statements_are_rejected_for_their_rule(group: tuple[str, str]) -> None:
    failures = []
    expected = EXPECTED_RULES[group[1]]
    for row in INVALID_GROUPS[group]:
        if row["file"] in GENERATION_ARTIFACTS:
            continue
        stmt = load(CORPORA / "xapi-invalid" / LRS / row["file"])
        try:
            validate_statement(stmt, VERSIONS[group[0]])
        except InvalidStatement as exc:
            assert exc.reason and exc.path is not None
            if not exc.rule.startswith(expected):
                failures.append(f"{row['file']}: rejected by {exc.rule} ({exc}), expected {expected}")
        else:
            failures.append(f"{row['file']}: accepted, but the suite expects HTTP 400: {row['reason'][:160]}")
    assert not failures, "\n".join(failures)


def test_generation_artifacts_are_still_there() -> None:
    rows = {r["file"]: r for r in manifest("xapi-invalid", LRS)}
    for name in GENERATION_ARTIFACTS:
        assert "should fail on" in rows[name]["reason"] and "null" in rows[name]["reason"]
        validate_statement(load(CORPORA / "xapi-invalid" / LRS / name), VERSIONS[name.split("/")[0]])


@pytest.mark.parametrize("name", sorted(GENERATION_ARTIFACTS))
def test_intended_null_cases_are_rejected(name: str) -> None:
    stmt = load(CORPORA / "xapi-invalid" / LRS / name)
    what = name.split("-statement-")[1].split("-")[0]
    for path in INTENDED_NULLS[what]:
        target = stmt
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = None
    with pytest.raises(InvalidStatement, match="is null"):
        validate_statement(stmt, VERSIONS[name.split("/")[0]])


# -- TinCanValidator ---------------------------------------------------------------------------

# The defect each bad whole statement has (from the manifest), as the rule that must catch it.
TINCAN_BAD_STATEMENT_RULES = {
    "004-bad-name.json": "actor.unknown_property",
    "005-bad-mbox.json": "actor.mbox",
    "006-bad-id.json": "id.uuid",
    "007-bad-attachment_sha2.json": "attachment.sha2",
    "008-bad-timestamp.json": "timestamp.format",
    "009-bad-agentlist_as_authority_needs_2_has_1.json": "authority.group",
    "010-bad-agentlist_as_authority_needs_2_has_3.json": "authority.group",
    "011-bad-empty.json": "statement.required",
    "012-bad-missing_actor.json": "statement.required",
    "013-bad-missing_verb.json": "statement.required",
    "014-bad-missing_object.json": "statement.required",
    "015-bad-object_definition_langtag.json": "languagemap.tag",
    "016-bad-invalid_object.json": "activity.id",
}


def tincan(kind: str) -> list[Path]:
    return sorted(Path(p) for p in glob.glob(str(CORPORA / kind / "TinCanValidator" / "*" / "*.json")))


def check_tincan(path: Path) -> None:
    folder = path.parent.name
    data = load(path)
    if folder == "statement":
        validate_statement(data)
    else:  # substatement/ holds SubStatement objects, the rest fragments of their folder's kind
        validate_fragment(data, folder)


def test_tincan_good_files_validate() -> None:
    files = tincan("xapi-valid")
    assert len(files) == 117
    failures = []
    for path in files:
        try:
            check_tincan(path)
        except InvalidStatement as exc:
            failures.append(f"{path.parent.name}/{path.name}: {exc.rule}: {exc}")
    assert not failures, "\n".join(failures)


def test_tincan_bad_files_are_rejected() -> None:
    files = tincan("xapi-invalid")
    listed = {r["file"] for r in manifest("xapi-invalid", "TinCanValidator")}
    assert len(files) == 144 and {f"{p.parent.name}/{p.name}" for p in files} == listed
    failures = []
    for path in files:
        try:
            check_tincan(path)
        except InvalidStatement as exc:
            want = TINCAN_BAD_STATEMENT_RULES.get(path.name) if path.parent.name == "statement" else None
            if want is not None and exc.rule != want:
                failures.append(f"statement/{path.name}: rejected by {exc.rule}, expected {want}")
        else:
            failures.append(f"{path.parent.name}/{path.name}: accepted")
    assert not failures, "\n".join(failures)


# -- xAPI-Spec examples ------------------------------------------------------------------------

SPEC = CORPORA / "xapi-valid" / "xAPI-Spec"
# Fragments: the kind each block is (or why it is no xAPI object at all).
SPEC_FRAGMENTS: dict[str, str | None] = {
    "xapi-comm-L0868-json-procedure-with-requirements.json": None,  # {"x": ..} JSON-merge example
    "xapi-comm-L0887-json-procedure-with-requirements.json": None,
    "xapi-comm-L0894-json-procedure-with-requirements.json": None,
    "xapi-data-L0542-details.json": "agent",
    "xapi-data-L0638-verb-display-learning-record-consumer-requirements.json": "verb",
    "xapi-data-L1494-requirements.json": "contextactivities",
    "xapi-data-L2330-object-is-activity.json": "activity",
    "xapi-data-L2349-object-is-agent.json": "agent",
    "xapi-data-L2360-object-is-group.json": "group",
    "xapi-data-L2810-appendix-d-example-signed-statement.json": None,  # a JWS header, not xAPI
}
# Appendix B's "object is a statement" example is the SubStatement object on its own.
SPEC_SUBSTATEMENTS = {"xapi-data-L2388-object-is-statement.json"}


def test_spec_statements_validate() -> None:
    files = sorted((SPEC / "statements").glob("*.json"))
    assert len(files) == 11
    for path in files:
        if path.name in SPEC_SUBSTATEMENTS:
            validate_fragment(load(path), "substatement")
        else:
            validate_statement(load(path))


def test_spec_fragments_validate_as_their_kind() -> None:
    files = sorted((SPEC / "fragments").glob("*.json"))
    assert {p.name for p in files} == set(SPEC_FRAGMENTS)
    for path in files:
        kind = SPEC_FRAGMENTS[path.name]
        if kind is not None:
            validate_fragment(load(path), kind)


def test_spec_0_9_statement_is_rejected() -> None:
    (row,) = manifest("xapi-invalid", "xAPI-Spec")
    with pytest.raises(InvalidStatement) as info:
        validate_statement(load(CORPORA / "xapi-invalid" / "xAPI-Spec" / row["file"]))
    assert info.value.rule == "statement.unknown_property"  # "inProgress", a 0.9 property


# -- cmi5, DATASIM, ralph ----------------------------------------------------------------------


def test_cmi5_scenarios_validate() -> None:
    files = sorted(Path(p) for p in glob.glob(str(CORPORA / "xapi-valid" / "cmi5-spec" / "*" / "*.json")))
    assert len(files) == 104
    for path in files:
        validate_statement(load(path))
    (row,) = manifest("xapi-invalid", "cmi5-spec")
    with pytest.raises(json.JSONDecodeError):  # kept malformed on purpose; never reaches us
        load(CORPORA / "xapi-invalid" / "cmi5-spec" / row["file"])


def test_datasim_statements_validate() -> None:
    folder = CORPORA / "xapi-valid" / "datasim"
    validate_statement(load(folder / "simple.json"))
    validate_statement(load(folder / "long.json"))
    stmts = load(folder / "tccc_dev-array.json")
    assert len(stmts) == 2814
    for stmt in stmts:
        validate_statement(stmt)


def test_ralph_sample_validates() -> None:
    stmts = load(CORPORA / "xapi-valid" / "ralph" / "statements-first300.json")
    assert len(stmts) == 300
    for stmt in stmts:
        validate_statement(stmt)


def test_ralph_dataset_validates_on_the_fast_path() -> None:
    path = CORPORA / "datasets" / "ralph-fun-mooc-xapi" / "statements.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        stmts = [json.loads(line) for line in fh]
    assert len(stmts) == 22_000
    times = [validate_statement(s) for s in stmts]
    assert all(t.timestamp_ms is not None for t in times)
    assert all(
        fast_statement(s, False) == t for s, t in zip(stmts, times, strict=True)
    )  # no slow-path fallbacks
    start = time.process_time()
    for stmt in stmts:
        validate_statement(stmt)
    rate = len(stmts) / max(time.process_time() - start, 1e-9)
    print(f"validated {rate:,.0f} statements/s")
    assert rate > 20_000  # measured ~120,000/s here; this only catches a pathological slowdown
