"""Real corpora import as their data implies (ralph 22,000, datasim array, cmi5 scenarios)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

from test_importer_helpers import counts

from learnalytics_desktop.core.ingest.categories import load_mapping
from learnalytics_desktop.core.ingest.importer import import_paths


def test_ralph_22000_statements(db, corpora):
    src = corpora / "datasets" / "ralph-fun-mooc-xapi" / "statements.json.gz"
    lines = gzip.decompress(src.read_bytes()).splitlines()
    data = [json.loads(x) for x in lines]
    rep = import_paths(db, [src])
    assert counts(rep) == {
        "read": 22000,
        "stored": 22000,
        "duplicates": 0,
        "conflicts": 0,
        "rejected": 0,
        "voided": 0,
    }
    actors = {(d["actor"]["account"]["homePage"], d["actor"]["account"]["name"]) for d in data}
    assert db.execute("SELECT count(*) FROM actors").fetchone()[0] == len(actors) == 1452
    parents = Counter(d["context"]["contextActivities"]["parent"][0]["id"] for d in data)
    by_course = dict(
        db.execute("SELECT c.iri, count(*) FROM statements s JOIN courses c ON c.id=s.course GROUP BY c.iri")
    )
    assert by_course == dict(parents)
    verbs = Counter(d["verb"]["id"] for d in data)
    assert dict(
        db.execute("SELECT v.iri, count(*) FROM statements s JOIN verbs v ON v.id=s.verb GROUP BY v.iri")
    ) == dict(verbs)
    assert verbs["https://w3id.org/xapi/video/verbs/played"] == 6603
    mapping = load_mapping(db)
    rows = db.execute(
        "SELECT v.iri, a.type_iri FROM statements s JOIN verbs v ON v.id=s.verb "
        "JOIN activities a ON a.id=s.object"
    ).fetchall()
    cats = Counter(mapping.category(v, t) for v, t in rows)
    assert cats["video"] == 22000  # every object is a video activity
    span = db.execute("SELECT min(ts), max(ts) FROM statements").fetchone()
    assert span[0] >= 1637712000000 and span[1] < 1638403200000  # 2021-11-24 .. 2021-12-01 UTC


def test_datasim_array_and_singles(db, corpora):
    folder = corpora / "xapi-valid" / "datasim"
    arr = json.loads((folder / "tccc_dev-array.json").read_text())
    rep = import_paths(db, [folder])
    assert counts(rep) == {
        "read": len(arr) + 2,
        "stored": len(arr) + 2,
        "duplicates": 0,
        "conflicts": 0,
        "rejected": 0,
        "voided": 0,
    }
    assert len(arr) == 2814
    every = arr + [json.loads((folder / n).read_text()) for n in ("simple.json", "long.json")]
    idents = {
        s["actor"]["mbox"].lower() if "mbox" in s["actor"] else json.dumps(s["actor"], sort_keys=True)
        for s in every
    }
    assert db.execute("SELECT count(*) FROM actors").fetchone()[0] == len(idents)
    names = {n for (n,) in db.execute("SELECT name FROM actors WHERE name IS NOT NULL")}
    assert {s["actor"]["name"] for s in arr} <= names


def test_cmi5_scenarios_in_order(db, corpora):
    folder = corpora / "xapi-valid" / "cmi5-spec"
    files = sorted(folder.rglob("*.json"))
    first: dict[str, dict] = {}
    dup = conf = 0
    for f in files:  # independent expectation: same id and equal JSON -> duplicate, else conflict
        d = json.loads(f.read_text())
        key = d["id"].lower()
        if key not in first:
            first[key] = d
        elif first[key] == d:
            dup += 1
        else:
            conf += 1
    rep = import_paths(db, [folder])
    assert counts(rep) == {
        "read": len(files),
        "stored": len(first),
        "duplicates": dup,
        "conflicts": conf,
        "rejected": 0,
        "voided": 0,
    }
    assert (len(files), dup, conf) == (104, 6, 3)
    assert db.execute("SELECT count(*) FROM conflicts").fetchone()[0] == conf


def test_cmi5_malformed_file_is_one_reject(db, corpora):
    bad = corpora / "xapi-invalid" / "cmi5-spec"
    rep = import_paths(db, [bad])
    assert counts(rep)["read"] == 1 and rep.rejects_by_rule == {"json.malformed": 1}
    (loc, reason, excerpt) = db.execute("SELECT location, reason, excerpt FROM rejects").fetchone()
    assert loc.startswith("value 1") and "line 38" in reason and excerpt.startswith("{")


def test_conformance_valid_folder_counts_add_up(db, corpora):
    folder: Path = corpora / "xapi-valid" / "lrs-conformance-test-suite"
    rep = import_paths(db, [folder])
    assert rep.read == len(list(folder.rglob("*.json")))
    assert rep.read == rep.stored + rep.duplicates + rep.conflicts + rep.rejected
    assert [p for p, _ in rep.skipped_files] == [str(folder / "manifest.csv")]
