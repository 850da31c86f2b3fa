"""Small statement factories shared by the importer tests."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

VERB = "http://adlnet.gov/expapi/verbs/experienced"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def sid(i: int) -> str:
    return str(uuid.UUID(int=0x1000 + i, version=4))


def stmt(i: int, *, with_id: bool = True, who: int | None = None, **extra: Any) -> dict[str, Any]:
    """A valid statement; ``who`` picks the learner (default: i % 7)."""
    n = i % 7 if who is None else who
    s: dict[str, Any] = {
        "actor": {
            "objectType": "Agent",
            "name": f"Learner Name{n}",
            "mbox": f"mailto:Learner{n}@Example.ORG",
        },
        "verb": {"id": VERB, "display": {"en-US": "experienced"}},
        "object": {
            "objectType": "Activity",
            "id": f"http://example.org/act/{i % 5}",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/lesson",
                "name": {"fr": f"Leçon {i % 5}", "en-US": f"Lesson {i % 5}"},
            },
        },
        "timestamp": f"2024-03-{1 + i % 28:02d}T10:{i % 60:02d}:00.000Z",
    }
    if with_id:
        s["id"] = sid(i)
    s.update(extra)
    return s


def voiding(i: int, target: str) -> dict[str, Any]:
    return {
        "id": sid(i),
        "actor": {"mbox": "mailto:admin@example.org"},
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": target},
        "timestamp": "2024-04-01T00:00:00Z",
    }


def write_jsonl(path: Path, items: list[Any]) -> Path:
    """Write statements (dicts) or raw lines (str) one per line."""
    lines = [x if isinstance(x, str) else json.dumps(x) for x in items]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def counts(report: Any) -> dict[str, int]:
    d = report.to_dict()
    return {k: d[k] for k in ("read", "stored", "duplicates", "conflicts", "rejected", "voided")}
