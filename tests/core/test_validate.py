"""The xAPI statement validator (core/ingest/validate.py): rules, versions, fragments,
robustness, and the fast path checked against the full validator."""

from __future__ import annotations

import contextlib
import copy
import glob
import json
import pickle
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnalytics_desktop.core.ingest.xapi.fast import fast_statement
from learnalytics_desktop.core.ingest.xapi.validate import (
    FRAGMENT_KINDS,
    InvalidStatement,
    StatementTimes,
    _check_statement,
    validate_fragment,
    validate_statement,
)

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"
UUID = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"
SHA256 = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"
DELETE = object()


def base() -> dict[str, Any]:
    """A valid statement using most properties."""
    return {
        "id": UUID,
        "actor": {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": "https://lms.example.com/quiz/7",
            "definition": {
                "name": {"en": "Quiz 7", "fr-CA": "Test 7"},
                "type": "http://adlnet.gov/expapi/activities/assessment",
                "extensions": {"https://example.com/ext/weight": 0.3},
            },
        },
        "result": {
            "score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
            "success": True,
            "completion": True,
            "response": "b",
            "duration": "PT1M30S",
            "extensions": {"https://example.com/ext/late": False},
        },
        "context": {
            "registration": "EC531277-B57B-4C15-8D91-D292C5B2B8F7",
            "contextActivities": {
                "parent": [{"id": "https://lms.example.com/course/1"}],
                "category": {"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"},
            },
            "platform": "Moodle",
            "language": "en-GB",
            "instructor": {"account": {"homePage": "https://lms.example.com", "name": "t1"}},
            "extensions": {"https://example.com/ext/nested": {"deep": [1, {"x": None}]}},
        },
        "timestamp": "2024-05-01T15:45:00.250+02:00",
        "stored": "2024-05-01T13:46:00Z",
    }


def mutate(stmt: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    target = stmt
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return stmt


def rule_of(stmt: Any, version: str | None = None) -> str:
    with pytest.raises(InvalidStatement) as info:
        validate_statement(stmt, version)
    return info.value.rule


# -- accepted statements ----------------------------------------------------------------------


def test_full_statement_is_valid_and_returns_parsed_times() -> None:
    times = validate_statement(base())
    assert isinstance(times, StatementTimes)
    assert times == StatementTimes(1714571100250, 1714571160000, 90.0)
    assert times.timestamp_ms == 1714571100250 and times.duration_s == 90.0


def test_simplest_statement_has_no_times() -> None:
    stmt = {
        "actor": {"mbox": "mailto:xapi@adlnet.gov"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/created"},
        "object": {"id": "http://example.adlnet.gov/xapi/example/activity"},
    }
    assert validate_statement(stmt) == StatementTimes(None, None, None)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("id",), "12345678-1234-5678-1234-567812345678"),  # the spec's own, non-RFC-4122 UUID
        (("id",), UUID.upper()),
        (("actor",), {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}),
        (("actor",), {"openid": "http://toby.openid.example.org/"}),
        (("actor",), {"objectType": "Group", "mbox": "mailto:team@example.com"}),
        (
            ("actor",),
            {
                "objectType": "Group",
                "member": [
                    {"mbox": "mailto:a@example.com"},
                    {"account": {"homePage": "https://x.example", "name": ""}},
                ],
            },
        ),
        (("context", "contextActivities", "other"), {"id": "course-v1:FUN-MOOC+00002+session01"}),
        (("context", "extensions", "https://example.com/ext/null"), None),
        (("context", "language"), "zh-Hant-TW"),
        (
            ("object", "definition", "name"),
            {"sr-Latn-RS": "x", "x-private": "y", "i-klingon": "z", "de-CH-1996": "w"},
        ),
        (("object", "definition", "description"), {}),
        (("object", "definition", "moreInfo"), "https://example.com/%E2%82%AC/info"),
        (("object", "definition", "type"), "http://example.com/فعل/خواندن"),
        (("timestamp",), "2031-11-26T05:41:07.955Z"),  # future timestamps are accepted
        (("result", "score"), {"raw": 10**400}),  # a huge integer is still a number
        (("result", "duration"), "P3Y1M29DT4H35M59.14S"),
        (("version",), "1.0.0"),
        (("version",), "1.0"),
        (
            ("authority",),
            {
                "objectType": "Group",
                "member": [
                    {
                        "account": {
                            "homePage": "http://example.com/xAPI/OAuth/Token",
                            "name": "oauth_consumer_x75db",
                        }
                    },
                    {"mbox": "mailto:bob@example.com"},
                ],
            },
        ),
        (
            ("attachments",),
            [
                {
                    "usageType": "http://adlnet.gov/expapi/attachments/signature",
                    "display": {"en-US": "Signature"},
                    "contentType": "application/octet-stream",
                    "length": 4235,
                    "sha2": SHA256,
                    "fileUrl": "https://example.com/sig",
                }
            ],
        ),
    ],
)
def test_accepted_variants(path: tuple[Any, ...], value: Any) -> None:
    validate_statement(mutate(base(), path, value))


def test_substatement_and_statement_ref_objects() -> None:
    stmt = base()
    del stmt["context"]["platform"]
    stmt["object"] = {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:a@example.com"},
        "verb": {"id": "http://example.com/planned"},
        "object": {"id": "http://example.com/website"},
        "timestamp": "2099-01-01T00:00:00Z",
    }
    validate_statement(stmt)
    stmt["object"] = {"objectType": "Agent", "mbox": "mailto:bob@example.com"}
    validate_statement(stmt)
    stmt["object"] = {"objectType": "Group", "member": [{"mbox": "mailto:bob@example.com"}]}
    validate_statement(stmt)
    stmt["object"] = {"objectType": "StatementRef", "id": UUID}
    stmt["verb"]["id"] = "http://adlnet.gov/expapi/verbs/voided"
    validate_statement(stmt)


def test_interaction_definitions() -> None:
    stmt = base()
    stmt["object"]["definition"] = {
        "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
        "interactionType": "matching",
        "correctResponsesPattern": ["ben[.]3[,]chris[.]2"],
        "source": [{"id": "ben", "description": {"en-US": "Ben"}}, {"id": "chris"}],
        "target": [{"id": "2"}, {"id": "3"}],
    }
    validate_statement(stmt)
    stmt["object"]["definition"] = {"interactionType": "true-false", "correctResponsesPattern": ["false"]}
    validate_statement(stmt)


# -- rejected statements: each rule ------------------------------------------------------------

ACCOUNT = {"homePage": "https://lms.example.com", "name": "u1"}
REJECTIONS = [
    ((), "not a statement", "statement.type"),
    (("verb",), DELETE, "statement.required"),
    (("Actor",), {}, "statement.unknown_property"),
    (("result", "Success"), True, "result.unknown_property"),
    (("id",), "1234", "id.uuid"),
    (("id",), "AA97B177-9383-4934-8543-0F91A7A028368", "id.uuid"),
    (("id",), "{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}", "id.uuid"),
    (("id",), 5, "id.uuid"),
    (("actor",), None, "actor.type"),
    (("actor", "account"), ACCOUNT, "actor.ifi"),
    (("actor", "mbox"), DELETE, "actor.ifi"),
    (("actor", "mbox"), "ada@example.com", "actor.mbox"),
    (("actor", "mbox"), "mailto:ada@", "actor.mbox"),
    (("actor", "mbox"), "mailto:ada @example.com", "actor.mbox"),
    (("actor",), {"mbox_sha1sum": "ebd31e95"}, "actor.mbox_sha1sum"),
    (("actor",), {"openid": "http://båd.example.com"}, "actor.openid"),
    (("actor",), {"account": {"homePage": "lms.example.com", "name": "x"}}, "actor.account"),
    (("actor",), {"account": {"homePage": "https://lms.example.com"}}, "actor.account"),
    (("actor",), {"account": {"homePage": "https://lms.example.com", "name": 7}}, "actor.account"),
    (("actor", "name"), 5, "actor.name"),
    (("actor", "objectType"), "agent", "actor.object_type"),
    (("actor", "member"), [{"mbox": "mailto:b@example.com"}], "actor.unknown_property"),
    (("actor",), {"objectType": "Group"}, "group.member"),
    (("actor",), {"objectType": "Group", "member": []}, "group.member"),
    (("actor",), {"objectType": "Group", "member": {"mbox": "mailto:b@example.com"}}, "group.member"),
    (
        ("actor",),
        {"objectType": "Group", "member": [{"objectType": "Group", "mbox": "mailto:g@example.com"}]},
        "group.nested",
    ),
    (("verb", "id"), "completed", "verb.id"),
    (("verb", "display"), {"en_US": "completed"}, "languagemap.tag"),
    (("verb", "display"), {"zh-z-aaa-z-bbb": "x"}, "languagemap.tag"),
    (("verb", "display"), {"de-1996-1996": "x"}, "languagemap.tag"),
    (("verb", "display"), {"en": 5}, "languagemap.value"),
    (("verb", "display"), "completed", "languagemap.type"),
    (("object", "id"), "http://example.com/with space", "activity.id"),
    (("object", "id"), "ab=c://should.fail.com", "activity.id"),
    (("object", "objectType"), "activity", "object.object_type"),
    (("object", "objectType"), None, "object.object_type"),
    (("object", "definition"), "a quiz", "definition.type"),
    (("object", "definition", "type"), "assessment", "definition.type_iri"),
    (("object", "definition", "moreInfo"), "www.example.com", "definition.more_info"),
    (("object", "definition", "extensions"), {"late": True}, "extensions.key"),
    (("object", "definition", "extensions"), [], "extensions.type"),
    (("object", "definition", "interactionType"), "True-False", "interaction.type"),
    (("object", "definition", "correctResponsesPattern"), ["true"], "interaction.type"),
    (
        ("object", "definition"),
        {"interactionType": "true-false", "correctResponsesPattern": ["yes"]},
        "interaction.pattern",
    ),
    (
        ("object", "definition"),
        {"interactionType": "likert", "choices": [{"id": "a"}]},
        "interaction.components",
    ),
    (
        ("object", "definition"),
        {"interactionType": "choice", "choices": [{"id": "a"}, {"id": "a"}]},
        "interaction.components",
    ),
    (("object",), {"objectType": "StatementRef", "id": "not-a-uuid"}, "statementref.id"),
    (("object",), {"objectType": "Agent", "name": "no ifi"}, "actor.ifi"),
    (("object",), {"mbox": "mailto:bob@example.com"}, "object.object_type"),
    (
        ("object",),
        {
            "objectType": "SubStatement",
            "id": UUID,
            "actor": {"mbox": "mailto:a@example.com"},
            "verb": {"id": "http://x.example/v"},
            "object": {"id": "http://x.example/o"},
        },
        "substatement.forbidden",
    ),
    (
        ("object",),
        {
            "objectType": "SubStatement",
            "actor": {"mbox": "mailto:a@example.com"},
            "verb": {"id": "http://x.example/v"},
            "object": {"objectType": "SubStatement"},
        },
        "substatement.nested",
    ),
    (("verb", "id"), "http://adlnet.gov/expapi/verbs/voided", "voiding.object"),
    (("result", "score", "scaled"), 1.01, "score.scaled"),
    (("result", "score", "raw"), 11, "score.raw"),
    (("result", "score", "raw"), -1, "score.raw"),
    (("result", "score", "min"), 10, "score.range"),
    (("result", "score", "max"), "100", "score.number"),
    (("result", "score", "max"), float("nan"), "score.number"),
    (("result", "score", "max"), True, "score.number"),
    (("result", "score"), 95, "score.type"),
    (("result", "success"), "true", "result.success"),
    (("result", "completion"), 1, "result.completion"),
    (("result", "response"), 5, "result.response"),
    (("result", "duration"), "1h", "result.duration"),
    (("result", "duration"), "PT-5S", "result.duration"),
    (("result", "duration"), 90, "result.duration"),
    (("context", "registration"), "abc", "context.registration"),
    (("context", "team"), {"mbox": "mailto:t@example.com"}, "context.team"),
    (("context", "language"), "english language", "context.language"),
    (("context", "contextActivities"), {"parents": []}, "context.activities"),
    (("context", "contextActivities", "parent"), "https://lms.example.com/course/1", "context.activities"),
    (("context", "statement"), {"id": UUID}, "statementref.object_type"),
    (("context", "contextAgents"), [], "context.unknown_property"),
    (("context", "extensions"), {"": 1}, "extensions.key"),
    (("context", "revision"), 3, "context.revision"),
    (("context", "instructor"), {"mbox": "mailto:x@example.com", "openid": "http://x.example"}, "actor.ifi"),
    (("timestamp",), "2024-05-01T13:45:00", "timestamp.format"),
    (("timestamp",), "2008-09-15T15:53:00.601-00:00", "timestamp.format"),
    (("timestamp",), 1714571100, "timestamp.format"),
    (("stored",), "yesterday", "stored.format"),
    (("version",), "1.1.0", "version.format"),
    (("version",), "0.9.9", "version.format"),
    (("version",), 1.0, "version.format"),
    (
        ("authority",),
        {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]},
        "authority.group",
    ),
    (
        ("authority",),
        {
            "objectType": "Group",
            "mbox": "mailto:g@example.com",
            "member": [{"mbox": "mailto:a@example.com"}, {"mbox": "mailto:b@example.com"}],
        },
        "authority.group",
    ),
    (("attachments",), {}, "attachment.type"),
    (
        ("attachments",),
        [
            {
                "usageType": "http://x.example/u",
                "display": {"en": "a"},
                "contentType": "text/plain",
                "length": 1,
            }
        ],
        "attachment.required",
    ),
    (
        ("attachments",),
        [
            {
                "usageType": "http://x.example/u",
                "display": {"en": "a"},
                "contentType": "text/plain",
                "length": 2.0,
                "sha2": SHA256,
            }
        ],
        "attachment.length",
    ),
    (
        ("attachments",),
        [
            {
                "usageType": "http://x.example/u",
                "display": {"en": "a"},
                "contentType": "text",
                "length": 2,
                "sha2": SHA256,
            }
        ],
        "attachment.content_type",
    ),
    (
        ("attachments",),
        [
            {
                "usageType": "http://x.example/u",
                "display": {"en": "a"},
                "contentType": "text/plain",
                "length": 2,
                "sha2": "672f",
            }
        ],
        "attachment.sha2",
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "rule"), REJECTIONS, ids=[f"{r}:{'.'.join(map(str, p))}" for p, _, r in REJECTIONS]
)
def test_rejections_name_the_rule(path: tuple[Any, ...], value: Any, rule: str) -> None:
    stmt = value if not path else mutate(base(), path, value)
    assert rule_of(stmt) == rule


def test_revision_and_platform_need_an_activity_object() -> None:
    stmt = base()
    stmt["object"] = {"objectType": "Agent", "mbox": "mailto:bob@example.com"}
    with pytest.raises(InvalidStatement) as info:
        validate_statement(stmt)
    assert info.value.rule == "context.object_not_activity"
    assert info.value.path == "context.platform"


def test_error_carries_rule_reason_and_path() -> None:
    stmt = mutate(base(), ("actor", "account"), ACCOUNT)
    with pytest.raises(InvalidStatement) as info:
        validate_statement(stmt)
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.rule, err.path) == ("actor.ifi", "actor")
    assert str(err) == err.reason
    assert (
        err.reason == "actor has 2 inverse functional identifiers (mbox, account); "
        "exactly one is allowed (xAPI Data 2.4.2.1, 2.4.2.2)"
    )
    again = pickle.loads(pickle.dumps(err))
    assert (again.rule, again.reason, again.path) == (err.rule, err.reason, err.path)


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (("object", "definition", "name"), {"en": None}, "object.definition.name.en"),
        (("result", "score", "raw"), None, "result.score.raw"),
        (("context", "registration"), None, "context.registration"),
        (("object", "definition", "moreInfo"), None, "object.definition.moreInfo"),
    ],
)
def test_null_is_rejected_outside_extensions(path: tuple[Any, ...], value: Any, where: str) -> None:
    with pytest.raises(InvalidStatement, match="null") as info:
        validate_statement(mutate(base(), path, value))
    assert info.value.path == where


def test_case_mismatch_gets_a_hint() -> None:
    with pytest.raises(InvalidStatement, match="did you mean 'authority'"):
        validate_statement(mutate(base(), ("auTHORity",), {"mbox": "mailto:a@example.com"}))


# -- xAPI 1.0.3 versus 2.0 ---------------------------------------------------------------------

CONTEXT_AGENTS = [
    {
        "objectType": "contextAgent",
        "agent": {"mbox": "mailto:p1@example.com"},
        "relevantTypes": ["https://example.com/types/player"],
    }
]
CONTEXT_GROUPS = [
    {"objectType": "contextGroup", "group": {"objectType": "Group", "mbox": "mailto:team@example.com"}}
]


def test_version_decides_the_rules() -> None:
    stmt = mutate(base(), ("context", "contextAgents"), CONTEXT_AGENTS)
    stmt["context"]["contextGroups"] = CONTEXT_GROUPS
    assert rule_of(stmt) == "context.unknown_property"  # no version: 1.0.x rules
    validate_statement(stmt, "2.0")
    stmt["version"] = "2.0.0"
    validate_statement(stmt)  # read from the statement
    assert rule_of(stmt, "1.0.3") == "version.format"
    assert rule_of(mutate(base(), ("version",), "2.0.0"), "1.0.3") == "version.format"
    validate_statement(mutate(base(), ("version",), "1.0.3"), "2.0")
    assert rule_of(mutate(base(), ("version",), "2.1.0")) == "version.format"


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ({"objectType": "Should fail", "agent": {"mbox": "mailto:p@example.com"}}, "contextAgents"),
        ({"agent": {"mbox": "mailto:p@example.com"}}, "contextAgents"),
        ({"objectType": "contextAgent", "agent": {"key": "x"}}, "contextAgents"),
        (
            {"objectType": "contextAgent", "agent": {"mbox": "mailto:p@example.com"}, "relevantTypes": []},
            "contextAgents",
        ),
        (
            {
                "objectType": "contextAgent",
                "agent": {"mbox": "mailto:p@example.com"},
                "relevantTypes": ["abc"],
            },
            "contextAgents",
        ),
        ({"objectType": "contextGroup", "group": {"mbox": "mailto:p@example.com"}}, "contextGroups"),
        (
            {
                "objectType": "contextGroup",
                "group": {"objectType": "Group", "mbox": "mailto:t@example.com"},
                "member": [],
            },
            "contextGroups",
        ),
    ],
)
def test_context_agents_and_groups_are_checked_under_2_0(entry: dict[str, Any], key: str) -> None:
    stmt = mutate(base(), ("context", key), [entry])
    with pytest.raises(InvalidStatement):
        validate_statement(stmt, "2.0")


def test_unknown_rule_set_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown xAPI version"):
        validate_statement(base(), "3.0")


# -- fragments -------------------------------------------------------------------------------

FRAGMENT_EXAMPLES: dict[str, Any] = {
    "statement": base(),
    "substatement": {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:a@example.com"},
        "verb": {"id": "http://x.example/v"},
        "object": {"id": "http://x.example/o"},
    },
    "actor": {"mbox": "mailto:a@example.com"},
    "agent": {"objectType": "Agent", "mbox": "mailto:a@example.com"},
    "group": {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]},
    "anonymousgroup": {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]},
    "identifiedgroup": {"objectType": "Group", "openid": "http://g.example/"},
    "authority": {"account": ACCOUNT},
    "account": ACCOUNT,
    "mbox": "mailto:a@example.com",
    "mbox_sha1sum": {
        "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9",
        "name": "other keys are ignored",
    },
    "openid": "http://a.example/",
    "person": {"objectType": "Person", "name": ["Ada"], "mbox": ["mailto:a@example.com"]},
    "verb": {"id": "http://x.example/v"},
    "object": {"objectType": "StatementRef", "id": UUID},
    "activity": {"id": "http://x.example/a"},
    "activityid": "http://x.example/a",
    "activity_definition": {"name": {"en": "A"}},
    "interactionactivity": {"interactionType": "numeric", "correctResponsesPattern": ["4[:]"]},
    "interactionactivity_choices": {"interactionType": "choice", "choices": [{"id": "a"}]},
    "interactionactivity_none": {"interactionType": "fill-in"},
    "interactionactivity_scale": {"interactionType": "likert", "scale": [{"id": "1"}]},
    "interactionactivity_sourcetarget": {"interactionType": "matching", "source": []},
    "interactionactivity_steps": {"interactionType": "performance", "steps": [{"id": "s"}]},
    "context": {"registration": UUID},
    "contextactivities": {"other": [{"id": "http://x.example/o"}]},
    "activity_list_or_obj": [{"id": "http://x.example/o"}],
    "contextagent": CONTEXT_AGENTS[0],
    "contextgroup": CONTEXT_GROUPS[0],
    "result": {"duration": "PT5S"},
    "score": {"scaled": -1},
    "attachment": {
        "usageType": "http://x.example/u",
        "display": {"en": "a"},
        "contentType": "text/plain",
        "length": 0,
        "sha2": SHA256,
    },
    "attachments": [],
    "languagemap": {"en-US": "x"},
    "statementref": {"objectType": "StatementRef", "id": UUID},
    "extensions": {"http://x.example/e": None},
    "about": {"version": ["1.0.3", "2.0.0"]},
}


def test_every_fragment_kind_has_an_example() -> None:
    assert set(FRAGMENT_EXAMPLES) == set(FRAGMENT_KINDS)


@pytest.mark.parametrize("kind", sorted(FRAGMENT_EXAMPLES))
def test_fragment_kinds_accept_a_valid_example_and_reject_garbage(kind: str) -> None:
    validate_fragment(copy.deepcopy(FRAGMENT_EXAMPLES[kind]), kind)
    for garbage in (None, 12345, "ab=c://x y", [[]], {"unexpected": {"x": []}}):
        if kind in ("attachments", "activity_list_or_obj") and garbage == [[]]:
            garbage = [{}]
        with pytest.raises(InvalidStatement) as info:
            validate_fragment(garbage, kind)
        assert info.value.reason and info.value.rule


def test_fragment_paths_start_with_the_kind() -> None:
    with pytest.raises(InvalidStatement) as info:
        validate_fragment({"id": "http://x.example/a", "definition": {"name": {"en": 1}}}, "activity")
    assert info.value.path == "activity.definition.name.en"


def test_fragment_version_and_unknown_kind() -> None:
    ctx = {"contextAgents": CONTEXT_AGENTS}
    with pytest.raises(InvalidStatement):
        validate_fragment(ctx, "context")
    validate_fragment(ctx, "context", "2.0")
    with pytest.raises(ValueError, match="unknown fragment kind"):
        validate_fragment({}, "verbs")


# -- robustness -------------------------------------------------------------------------------


def deep_list(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def deep_dict(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"https://example.com/k": value}
    return value


@pytest.mark.parametrize("make", [deep_list, deep_dict])
def test_100000_deep_values_never_overflow_the_stack(make: Any) -> None:
    deep = make(100_000)
    validate_statement(mutate(base(), ("context", "extensions", "https://example.com/deep"), deep))
    validate_statement(
        mutate(
            base(),
            ("result", "extensions"),
            deep if isinstance(deep, dict) else {"https://e.example/x": deep},
        )
    )
    for path in [
        ("actor",),
        ("actor", "member"),
        ("verb", "display"),
        ("object",),
        ("object", "definition", "name"),
        ("context", "contextActivities", "parent"),
        ("id",),
        ("timestamp",),
        ("attachments",),
        ("Unknown",),
    ]:
        with pytest.raises(InvalidStatement):
            validate_statement(mutate(base(), path, deep))
    with pytest.raises(InvalidStatement):
        validate_statement(deep)
    for kind in sorted(FRAGMENT_KINDS):
        with contextlib.suppress(InvalidStatement):
            validate_fragment(deep, kind)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def paths_of(stmt: Any) -> list[tuple[Any, ...]]:
    """Every path in a statement (iteratively), for mutations."""
    out: list[tuple[Any, ...]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), stmt)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for k, v in value.items():
                out.append((*path, k))
                stack.append(((*path, k), v))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                out.append((*path, i))
                stack.append(((*path, i), v))
    return out


BASE_PATHS = paths_of(base())


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(BASE_PATHS), json_values)
def test_any_json_anywhere_gives_a_verdict_never_a_crash(path: tuple[Any, ...], value: Any) -> None:
    stmt = mutate(base(), path, value)
    try:
        validate_statement(stmt)
    except InvalidStatement as exc:
        assert exc.rule and exc.reason
    for kind in ("statement", "context", "result", "actor", "activity"):
        with contextlib.suppress(InvalidStatement):
            validate_fragment(value, kind)


# -- the fast path never accepts what the full validator rejects ------------------------------

TRICKY = [
    None,
    "",
    "x",
    0,
    -1,
    1.5,
    True,
    [],
    {},
    "mailto:a@",
    "ab=c://x",
    "http://a b",
    "en-US",
    "zh-z-a-z-b",
    "2024-05-01T13:45:00",
    "2024-05-01T13:45:00Z",
    "2016-12-31T23:59:60Z",
    "PT5S",
    "P4W1D",
    UUID,
    "Group",
    "Agent",
    "Activity",
    "StatementRef",
    "SubStatement",
    "http://adlnet.gov/expapi/verbs/voided",
    "1.0.0",
    "2.0.0",
]


def corpus_statements() -> list[dict[str, Any]]:
    if not CORPORA.exists():
        return [base()]
    stmts: list[dict[str, Any]] = [base()]
    valid = CORPORA / "xapi-valid"
    for f in sorted(glob.glob(str(valid / "cmi5-spec" / "*" / "*.json")))[:40]:
        stmts.append(json.loads(Path(f).read_text()))
    stmts += json.loads((valid / "datasim" / "tccc_dev-array.json").read_text())[:60]
    stmts += json.loads((valid / "ralph" / "statements-first300.json").read_text())[:40]
    for f in sorted(glob.glob(str(valid / "lrs-conformance-test-suite" / "v1_0_3" / "*" / "*.json")))[::4]:
        stmts.append(json.loads(Path(f).read_text()))
    return stmts


CORPUS = corpus_statements()


def same_verdict(stmt: dict[str, Any]) -> None:
    for v2 in (False, True):
        fast = fast_statement(stmt, v2)
        try:
            full = _check_statement(stmt, v2)
        except InvalidStatement:
            assert fast is None, f"fast path accepted a statement the full validator rejects: {stmt!r}"[:2000]
            continue
        if fast is not None:
            assert fast == full


def test_fast_path_agrees_on_every_corpus_statement() -> None:
    for stmt in CORPUS:
        same_verdict(stmt)


def mutate_randomly(stmt: dict[str, Any], choose: Any) -> None:
    """Apply one random edit: delete, replace, rename or add a property somewhere."""
    paths = paths_of(stmt)
    if not paths:
        return
    path = choose(paths)
    parent: Any = stmt
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    op = choose(["delete", "set", "rename", "add"])
    if op == "delete":
        del parent[key]
    elif op == "set":
        parent[key] = choose(TRICKY)
    elif op == "rename" and isinstance(parent, dict):
        parent[str(key).upper()] = parent.pop(key)
    elif isinstance(parent, dict):
        parent[choose(["extra", "objectType", "id", "member", "definition", "interactionType"])] = choose(
            TRICKY
        )


def test_fast_path_agrees_on_mutated_statements() -> None:
    rnd = random.Random(20240501)
    for _ in range(4000):
        stmt = copy.deepcopy(rnd.choice(CORPUS))
        for _ in range(rnd.randint(1, 3)):
            mutate_randomly(stmt, rnd.choice)
        same_verdict(stmt)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(CORPUS), st.sampled_from(BASE_PATHS), json_values)
def test_fast_path_agrees_with_any_json_spliced_in(
    stmt: dict[str, Any], path: tuple[Any, ...], value: Any
) -> None:
    stmt = copy.deepcopy(stmt)
    target: Any = stmt
    for key in path[:-1]:
        if not isinstance(target, dict) or key not in target:
            return
        target = target[key]
    if isinstance(target, dict):
        target[path[-1]] = value
        same_verdict(stmt)
