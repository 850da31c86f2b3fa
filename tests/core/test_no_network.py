"""The app never opens a network connection.

The suite runs with sockets blocked (tests/conftest.py), so any code path that tries to
connect fails its test. These tests prove the guard is live and that no module of ours even
imports a networking library.
"""

from __future__ import annotations

import ast
import socket
from pathlib import Path

import pytest
from conftest import NetworkBlocked

PKG = Path(__file__).resolve().parents[2] / "learnalytics_desktop"
NETWORK_MODULES = {
    "socket",
    "urllib.request",
    "http.client",
    "requests",
    "httpx",
    "aiohttp",
    "ftplib",
    "smtplib",
    "urllib3",
    "PySide6.QtNetwork",
    "xmlrpc.client",
    "telnetlib",
    "poplib",
    "imaplib",
}


def test_guard_blocks_tcp_and_name_lookup():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(NetworkBlocked):
            s.connect(("127.0.0.1", 9))
    finally:
        s.close()
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("example.org", 443)


@pytest.mark.parametrize("path", sorted(PKG.rglob("*.py")), ids=lambda p: str(p.relative_to(PKG)))
def test_no_networking_imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    assert not (names & NETWORK_MODULES), f"{path.name} imports {names & NETWORK_MODULES}"
