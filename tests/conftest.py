"""Shared test set-up.

* Qt runs offscreen (set before anything imports Qt).
* Every test gets its own data folder (LEARNALYTICS_HOME) so nothing touches the user's files.
* The network is blocked for the whole suite: the app must never open a connection
  (a test that tries fails with NetworkBlocked). Unix-domain sockets stay allowed.
* The core tests run without Qt: when pytest-qt is not installed (or is blocked, see
  tests/without_qt.py), its ini keys in pyproject are declared here so ``--strict-config``
  accepts them; ``tests/gui`` needs pytest-qt and is not run then.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LEARNALYTICS_NO_NETWORK_GUARD", "0")

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPORA = SHARED / "corpora"
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))


class NetworkBlocked(RuntimeError):
    pass


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _guard_connect(self, address, *args, **kwargs):
    if self.family == socket.AF_UNIX:
        return _real_connect(self, address, *args, **kwargs)
    raise NetworkBlocked(f"network connection attempted to {address!r}")


def _guard_connect_ex(self, address, *args, **kwargs):
    if self.family == socket.AF_UNIX:
        return _real_connect_ex(self, address, *args, **kwargs)
    raise NetworkBlocked(f"network connection attempted to {address!r}")


def _guard_getaddrinfo(host, *args, **kwargs):
    raise NetworkBlocked(f"name lookup attempted for {host!r}")


socket.socket.connect = _guard_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guard_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _guard_getaddrinfo


def pytest_addoption(parser, pluginmanager):
    """Declare pytest-qt's ini keys when the plugin is absent (core-only runs without Qt)."""
    if not pluginmanager.has_plugin("pytest-qt"):
        for key in ("qt_api", "qt_default_raising", "qt_log_level_fail"):
            parser.addini(key, "pytest-qt is not installed: ignored")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("LEARNALYTICS_HOME", str(home))
    yield home


@pytest.fixture
def db(tmp_path):
    """A fresh database file per test."""
    from learnalytics_desktop.core.store import open_db

    conn = open_db(tmp_path / "test.db")
    yield conn
    conn.close()


@pytest.fixture
def corpora() -> Path:
    if not CORPORA.exists():
        pytest.skip("shared/corpora is not beside the repository")
    return CORPORA
