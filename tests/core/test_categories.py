"""Verb / activity-type IRIs to categories: defaults, precedence, overrides, vectorised form."""

from __future__ import annotations

import random

import pytest

from learnalytics_desktop.core.ingest.categories import (
    CATEGORIES,
    DEFAULT_TYPES,
    DEFAULT_VERBS,
    load_mapping,
    save_mapping,
)

ADL = "http://adlnet.gov/expapi/"


def test_categories_and_defaults_are_consistent():
    assert CATEGORIES == ("video", "assessment", "assignment", "reading", "forum", "navigation", "other")
    assert set(DEFAULT_VERBS.values()) | set(DEFAULT_TYPES.values()) <= set(CATEGORIES)
    assert all(":" in iri for iri in list(DEFAULT_VERBS) + list(DEFAULT_TYPES))


@pytest.mark.parametrize(
    ("verb", "type_", "expected"),
    [
        ("https://w3id.org/xapi/video/verbs/played", None, "video"),
        (ADL + "verbs/completed", "https://w3id.org/xapi/video/activity-type/video", "video"),
        (ADL + "verbs/answered", ADL + "activities/question", "assessment"),
        (ADL + "verbs/answered", None, "assessment"),
        (ADL + "verbs/completed", "http://id.tincanapi.com/activitytype/school-assignment", "assignment"),
        ("http://id.tincanapi.com/verb/viewed", "http://id.tincanapi.com/activitytype/forum-topic", "forum"),
        (
            "http://id.tincanapi.com/verb/viewed",
            "http://id.tincanapi.com/activitytype/lms/course",
            "navigation",
        ),
        (ADL + "verbs/launched", "https://w3id.org/xapi/cmi5/activitytype/block", "navigation"),
        ("http://activitystrea.ms/schema/1.0/watch", None, "video"),
        (ADL + "verbs/completed", None, "other"),  # a generic verb says nothing by itself
        # the last path segment is never an identity:
        ("https://example.org/my/verbs/played", "https://example.org/types/video", "other"),
        ("https://w3id.org/xapi/video/verbs/completed", None, "other"),
        (None, None, "other"),
    ],
)
def test_default_mapping(verb, type_, expected):
    assert load_mapping().category(verb, type_) == expected


def test_type_wins_over_verb():
    m = load_mapping()
    assert m.category(ADL + "verbs/commented", ADL + "activities/assessment") == "assessment"
    assert m.category(ADL + "verbs/commented", "http://unknown.example/type") == "forum"


def test_overrides_are_saved_and_win(db):
    save_mapping(
        db, {"https://example.org/verbs/posted": "forum"}, {ADL + "activities/assessment": "assignment"}
    )
    m = load_mapping(db)
    assert m.category("https://example.org/verbs/posted", None) == "forum"
    assert m.category(ADL + "verbs/answered", ADL + "activities/assessment") == "assignment"
    assert m.category("https://w3id.org/xapi/video/verbs/played", None) == "video"  # defaults remain
    save_mapping(db, {}, {})
    assert load_mapping(db).category(ADL + "verbs/answered", ADL + "activities/assessment") == "assessment"


@pytest.mark.parametrize(
    ("verbs", "types"),
    [
        ({"https://x.org/v": "videos"}, {}),
        ({}, {"not an iri": "video"}),
        ({"https://x.org/v": None}, {}),
    ],
)
def test_bad_overrides_are_refused(db, verbs, types):
    with pytest.raises(ValueError):
        save_mapping(db, verbs, types)


def test_vectorised_equals_scalar(db):
    import pandas as pd

    save_mapping(db, {"https://example.org/v/x": "reading"}, {})
    m = load_mapping(db)
    rng = random.Random(7)
    verbs_pool = list(DEFAULT_VERBS)[:20] + ["https://example.org/v/x", "https://nope.org/v", None]
    types_pool = list(DEFAULT_TYPES)[:20] + ["https://nope.org/t", None]
    verbs = [rng.choice(verbs_pool) for _ in range(500)]
    types = [rng.choice(types_pool) for _ in range(500)]
    idx = pd.RangeIndex(100, 600)
    got = m.categorize(pd.Series(verbs, index=idx), pd.Series(types, index=idx))
    assert list(got.cat.categories) == list(CATEGORIES)
    assert got.index.equals(idx)
    assert list(got.astype(str)) == [m.category(v, t) for v, t in zip(verbs, types, strict=True)]
