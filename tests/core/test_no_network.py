"""The app never opens a network connection.

The suite runs with sockets blocked (tests/conftest.py), so any code path that tries to
connect fails its test; this test proves the guard is live. That no module of ours even
imports a networking library is ruff's banned-api rule (pyproject ``[tool.ruff.lint.
flake8-tidy-imports.banned-api]``), run by ./dev test before the suite.
"""

from __future__ import annotations

import socket

import pytest


def test_guard_blocks_tcp_and_name_lookup():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(RuntimeError, match="network connection attempted") as blocked:
            s.connect(("127.0.0.1", 9))
    finally:
        s.close()
    with pytest.raises(RuntimeError, match="name lookup attempted") as looked_up:
        socket.getaddrinfo("example.org", 443)
    # tests/conftest.py's NetworkBlocked ("import conftest" may find another conftest.py)
    assert type(blocked.value).__name__ == type(looked_up.value).__name__ == "NetworkBlocked"
