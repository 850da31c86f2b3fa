"""core.store.settings: one declaration per typed setting, the same read/write rules for all."""

from __future__ import annotations

import json

import pytest

from learnalytics_desktop.core.store.db import get_setting, set_setting
from learnalytics_desktop.core.store.settings import REGISTRY, VERSIONS_KEY, Setting, register, save_settings


class LimitError(ValueError):
    pass


def check_limit(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 9:
        raise LimitError(f"the limit must be a whole number from 1 to 9, got {value!r}")
    return value


LIMIT = Setting("test_limit", 3, check_limit)


def _audits(conn):
    return [json.loads(d) for (d,) in conn.execute("SELECT detail FROM audit_log WHERE action = 'settings'")]


def test_default_write_validate_and_audit(db):
    assert LIMIT.read(db) == 3 and LIMIT.read(None) == 3
    assert LIMIT.write(db, 7) == 7 and LIMIT.read(db) == 7
    assert _audits(db) == [{"key": "test_limit", "value": 7}]
    with pytest.raises(LimitError, match="from 1 to 9"):
        LIMIT.write(db, 12)
    assert LIMIT.read(db) == 7 and len(_audits(db)) == 1


def test_invalid_saved_value_raises_its_own_error_or_reads_as_default_when_lenient(db):
    set_setting(db, "test_limit", "many")
    with pytest.raises(LimitError, match="saved setting 'test_limit' is invalid"):
        LIMIT.read(db)
    assert Setting("test_limit", 3, check_limit, lenient=True).read(db) == 3


def test_an_older_version_is_migrated_before_validation(db):
    def migrate(value, written):
        assert written == 1
        return int(value["n"])

    v2 = Setting("test_limit", 3, check_limit, version=2, migrate=migrate)
    set_setting(db, "test_limit", {"n": 5})  # as version 1 stored it
    assert v2.read(db) == 5
    v2.write(db, 6)
    assert get_setting(db, "test_limit") == 6 and get_setting(db, VERSIONS_KEY) == {"test_limit": 2}
    assert v2.read(db) == 6


def test_save_settings_is_all_or_nothing(db):
    other = Setting("test_other", 1, check_limit)
    with pytest.raises(ValueError, match="got 0") as info:
        save_settings(db, [(LIMIT, 4), (other, 0)])
    assert "got 0" in str(info.value) and LIMIT.read(db) == 3 and _audits(db) == []
    assert save_settings(db, [(LIMIT, 4), (other, 2)]) == [4, 2]
    assert [a["key"] for a in _audits(db)] == ["test_limit", "test_other"]


def test_the_apps_settings_are_declared_once():
    import learnalytics_desktop.core.features.engagement
    import learnalytics_desktop.core.ingest.category_usage
    import learnalytics_desktop.core.model.levels
    import learnalytics_desktop.core.outcomes
    import learnalytics_desktop.core.privacy.suppress  # noqa: F401

    assert {
        "small_cell_threshold",
        "risk_thresholds",
        "risk_capacity",
        "engagement_weights",
        "at_risk_label",
        "course_fallback",
    } <= set(REGISTRY)
    with pytest.raises(ValueError, match="declared twice"):
        register(Setting("risk_capacity", None, check_limit))


def test_small_cell_threshold_is_lenient_and_thresholds_are_strict(db):
    from learnalytics_desktop.core.model.levels import ThresholdError, get_thresholds
    from learnalytics_desktop.core.privacy.suppress import small_cell_threshold

    set_setting(db, "small_cell_threshold", "lots")
    assert small_cell_threshold(db) == 5
    set_setting(db, "risk_thresholds", {"moderate": 0.9, "high": 0.2})
    with pytest.raises(ThresholdError, match="saved setting 'risk_thresholds' is invalid"):
        get_thresholds(db)
