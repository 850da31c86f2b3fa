"""Convert OULAD tables (Open University Learning Analytics Dataset) into what the app imports.

OULAD (Kuzilek, Hlosta and Zdrahal, Scientific Data 4, 170171, 2017; CC-BY 4.0) gives, per
module presentation (``code_module`` + ``code_presentation``, e.g. AAA 2013J), the students
(``studentInfo``: ``final_result`` Pass / Distinction / Fail / Withdrawn), their registration
(``studentRegistration``: ``date_registration`` and ``date_unregistration`` as day offsets
from the module start), the assessments (``assessments``: ``id_assessment``,
``assessment_type`` TMA / CMA / Exam, ``date`` = due day offset, ``weight``) and the
submissions (``studentAssessment``: ``date_submitted`` day offset, ``is_banked``, ``score``
0-100). Dates are day offsets only, so this converter chooses a calendar: day 0 of a "J"
presentation is the first Monday on or after 1 October of its year, of a "B" presentation
the first Monday on or after 1 February.

For each offering it writes into ``out``:

* ``xapi/<MOD>-<PRES>.jsonl``: per student an ADL ``registered`` statement at the
  registration day (09:00 UTC), a TinCan ``unregistered`` statement at the unregistration
  day when there is one, and per submission an ADL ``scored`` statement (12:00 UTC of the
  submission day) on the assessment's activity with its score (raw 0-100, scaled) and a
  ``.../late`` context extension (true when submitted after the due day). The activity type
  is ADL ``assessment`` (``activity_type="adl"``) or TinCan ``school-assignment``
  (``"tincan"``). The course is a ``grouping`` context activity of type ADL ``course``.
* ``gradebook-<MOD>-<PRES>.csv``: ``student_id,final_result``.
* ``classlist-<MOD>-<PRES>.csv``: ``student_id,registered,withdrawn`` (ISO dates; empty
  when not given).
* ``assessments-<MOD>-<PRES>.csv``: the offering's rows of ``assessments.csv`` as they are
  (OULAD's shape, day offsets), which ``learnalytics assessments`` imports with a column
  mapping.

The tests call :func:`convert` on OULAD-shaped tables they generate (``tests/`` never needs
the real data); ``bench/oulad.py`` calls it on the shared copy.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HOME = "https://oulad.example.org"
NS = uuid.UUID("6f1c7a52-4a43-4a57-9b8e-3f1f2c1d0e11")
VERB_REGISTERED = "http://adlnet.gov/expapi/verbs/registered"
VERB_UNREGISTERED = "http://id.tincanapi.com/verb/unregistered"
VERB_SCORED = "http://adlnet.gov/expapi/verbs/scored"
COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"
ACTIVITY_TYPES = {
    "adl": "http://adlnet.gov/expapi/activities/assessment",
    "tincan": "http://id.tincanapi.com/activitytype/school-assignment",
}
LATE_EXTENSION = HOME + "/xapi/extensions/late"
ASSESSMENT_FILES = ("studentAssessment.csv", "studentAssessment_subset-tlam89.csv")


@dataclass
class Offering:
    """What :func:`convert` wrote for one module presentation."""

    module: str
    presentation: str
    course_iri: str
    start: date
    weeks: int
    xapi: Path
    gradebook: Path
    classlist: Path
    assessments: Path
    students: int
    submissions: int
    iri_template: str  # activity IRI of an assessment id: iri_template.format(id=...)

    @property
    def name(self) -> str:
        return f"{self.module} {self.presentation}"


@dataclass
class Converted:
    out: Path
    offerings: list[Offering] = field(default_factory=list)

    def get(self, module: str, presentation: str) -> Offering:
        for o in self.offerings:
            if o.module == module and o.presentation == presentation:
                return o
        raise KeyError(f"{module} {presentation} was not converted")


def day_zero(presentation: str) -> date:
    """Day 0 of a presentation such as ``2013J`` (see the module docstring)."""
    year, letter = int(presentation[:4]), presentation[4:].upper()
    month = {"J": 10, "B": 2}.get(letter)
    if month is None:
        raise ValueError(f"unknown presentation {presentation!r}: expected a year then J or B")
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _at(start: date, day: float, hour: int) -> str:
    t = datetime(start.year, start.month, start.day, hour, tzinfo=UTC) + timedelta(days=int(day))
    return t.isoformat().replace("+00:00", "Z")


def _iso(start: date, day: float | None) -> str:
    return "" if day is None else (start + timedelta(days=int(day))).isoformat()


def _num(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if x != x else x


def _read(folder: Path, name: str) -> Any:
    import pandas as pd

    return pd.read_csv(folder / name, dtype=str, keep_default_na=False, na_values=[])


def _assessment_table(folder: Path) -> Any:
    for name in ASSESSMENT_FILES:
        if (folder / name).exists():
            return _read(folder, name)
    raise FileNotFoundError(f"{folder} has no studentAssessment table ({' or '.join(ASSESSMENT_FILES)})")


def _statement(
    key: str, actor: str, verb: str, obj: dict[str, Any], ts: str, course: dict[str, Any], **more: Any
):
    st: dict[str, Any] = {
        "id": str(uuid.uuid5(NS, key)),
        "actor": {"objectType": "Agent", "account": {"homePage": HOME, "name": actor}},
        "verb": {"id": verb, "display": {"en": verb.rsplit("/", 1)[-1]}},
        "object": obj,
        "timestamp": ts,
        "context": {"contextActivities": {"grouping": [course]}},
    }
    if "result" in more:
        st["result"] = more["result"]
    if "extensions" in more:
        st["context"]["extensions"] = more["extensions"]
    return st


def convert(
    folder: str | Path,
    out: str | Path,
    *,
    modules: tuple[str, ...] | None = None,
    presentations: tuple[str, ...] | None = None,
    activity_type: str = "adl",
) -> Converted:
    """Convert the OULAD tables in ``folder`` into files under ``out`` (see the module
    docstring); only the given modules / presentations when named."""
    folder, out = Path(folder), Path(out)
    type_iri = ACTIVITY_TYPES[activity_type]
    courses = _read(folder, "courses.csv")
    info = _read(folder, "studentInfo.csv")
    reg = _read(folder, "studentRegistration.csv")
    assess = _read(folder, "assessments.csv")
    subs = _assessment_table(folder)
    subs = subs.merge(
        assess[["id_assessment", "code_module", "code_presentation", "assessment_type", "date"]],
        on="id_assessment",
    )
    (out / "xapi").mkdir(parents=True, exist_ok=True)
    result = Converted(out)
    for _, c in courses.iterrows():
        mod, pres = c["code_module"], c["code_presentation"]
        if (modules and mod not in modules) or (presentations and pres not in presentations):
            continue
        start = day_zero(pres)
        length = int(float(c["module_presentation_length"]))
        slug = f"{mod}-{pres}"
        course_iri = f"{HOME}/course/{mod}/{pres}"
        course = {
            "id": course_iri,
            "objectType": "Activity",
            "definition": {"type": COURSE_TYPE, "name": {"en": f"{mod} {pres}"}},
        }
        template = f"{HOME}/course/{mod}/{pres}/assessment/{{id}}"
        students = info[(info.code_module == mod) & (info.code_presentation == pres)]
        regs = reg[(reg.code_module == mod) & (reg.code_presentation == pres)].set_index("id_student")
        mine = subs[(subs.code_module == mod) & (subs.code_presentation == pres)]
        statements = []
        roster = ["student_id,registered,withdrawn"]
        for sid in students["id_student"]:
            r = regs.loc[sid] if sid in regs.index else None
            if isinstance(r, type(regs)):  # duplicated rows: the first
                r = r.iloc[0]
            day_reg = _num(r["date_registration"]) if r is not None else None
            day_unreg = _num(r["date_unregistration"]) if r is not None else None
            if day_reg is not None:
                statements.append(
                    _statement(
                        f"reg|{slug}|{sid}", sid, VERB_REGISTERED, course, _at(start, day_reg, 9), course
                    )
                )
            if day_unreg is not None:
                statements.append(
                    _statement(
                        f"unreg|{slug}|{sid}",
                        sid,
                        VERB_UNREGISTERED,
                        course,
                        _at(start, day_unreg, 9),
                        course,
                    )
                )
            roster.append(f"{sid},{_iso(start, day_reg)},{_iso(start, day_unreg)}")
        for _, s in mine.iterrows():
            day = _num(s["date_submitted"])
            if day is None:
                continue
            due = _num(s["date"])
            score = _num(s["score"])
            aid = s["id_assessment"]
            obj = {
                "id": template.format(id=aid),
                "objectType": "Activity",
                "definition": {"type": type_iri, "name": {"en": f"{mod} {s['assessment_type']} {aid}"}},
            }
            more: dict[str, Any] = {}
            if score is not None:
                more["result"] = {
                    "score": {"raw": score, "min": 0, "max": 100, "scaled": max(0.0, min(1.0, score / 100))}
                }
            if due is not None:
                more["extensions"] = {LATE_EXTENSION: bool(day > due)}
            statements.append(
                _statement(
                    f"sub|{aid}|{s['id_student']}",
                    s["id_student"],
                    VERB_SCORED,
                    obj,
                    _at(start, day, 12),
                    course,
                    **more,
                )
            )
        xapi = out / "xapi" / f"{slug}.jsonl"
        xapi.write_text("".join(json.dumps(st) + "\n" for st in statements), encoding="utf-8")
        gradebook = out / f"gradebook-{slug}.csv"
        gradebook.write_text(
            "student_id,final_result\n"
            + "".join(
                f"{a},{b}\n" for a, b in zip(students["id_student"], students["final_result"], strict=True)
            ),
            encoding="utf-8",
        )
        classlist = out / f"classlist-{slug}.csv"
        classlist.write_text("\n".join(roster) + "\n", encoding="utf-8")
        assessments = out / f"assessments-{slug}.csv"
        assess[(assess.code_module == mod) & (assess.code_presentation == pres)].to_csv(
            assessments, index=False
        )
        result.offerings.append(
            Offering(
                module=mod,
                presentation=pres,
                course_iri=course_iri,
                start=start,
                weeks=max(1, -(-length // 7)),
                xapi=xapi,
                gradebook=gradebook,
                classlist=classlist,
                assessments=assessments,
                students=len(students),
                submissions=int(sum(1 for st in statements if st["verb"]["id"] == VERB_SCORED)),
                iri_template=template,
            )
        )
    return result


def generate_tables(
    folder: str | Path, *, modules: tuple[str, ...] = ("AAA",), students: int = 120, seed: int = 0
) -> Path:
    """Write small OULAD-shaped tables with a known structure (for tests): per module a 2013J
    and a 2014J presentation, five TMAs and an exam; each student has a latent ability that
    drives submitting, lateness, scores and the final result; about 15 % withdraw (half of
    them before the start)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    courses = ['"code_module","code_presentation","module_presentation_length"']
    assess = ['"code_module","code_presentation","id_assessment","assessment_type","date","weight"']
    info = ['"code_module","code_presentation","id_student","gender","final_result"']
    reg = ['"code_module","code_presentation","id_student","date_registration","date_unregistration"']
    sub = ["id_assessment,id_student,date_submitted,is_banked,score"]
    next_id, next_student = 1000, 10_000
    for mod in modules:
        for pres in ("2013J", "2014J"):
            courses.append(f'"{mod}","{pres}","240"')
            items = []
            for due in (20, 55, 90, 130, 170):
                items.append((next_id, "TMA", due, 10))
                next_id += 1
            items.append((next_id, "Exam", "", 100))
            next_id += 1
            for aid, kind, due, weight in items:
                assess.append(f'"{mod}","{pres}","{aid}","{kind}","{due}","{weight}"')
            for _ in range(students):
                sid = next_student
                next_student += 1
                ability = rng.normal()
                reg_day = int(rng.integers(-120, 10))
                withdraw = rng.random() < 0.15
                unreg = (
                    int(rng.integers(-30, 0))
                    if withdraw and rng.random() < 0.5
                    else (int(rng.integers(10, 150)) if withdraw else None)
                )
                submitted = 0
                for aid, kind, due, _ in items:
                    if kind == "Exam" or (unreg is not None and unreg < due):
                        continue
                    if rng.random() < 1 / (1 + np.exp(-(1.5 + 1.5 * ability))):
                        late = rng.random() < 1 / (1 + np.exp(1.5 + ability))
                        day = due + (int(rng.integers(1, 6)) if late else -int(rng.integers(0, 6)))
                        score = int(np.clip(rng.normal(65 + 12 * ability, 10), 0, 100))
                        sub.append(f"{aid},{sid},{day},0,{score}")
                        submitted += 1
                if unreg is not None:
                    result = "Withdrawn"
                else:
                    result = "Pass" if ability + 0.3 * rng.normal() > -0.4 else "Fail"
                gender = "F" if rng.random() < 0.5 else "M"
                info.append(f'"{mod}","{pres}","{sid}","{gender}","{result}"')
                reg.append(f'"{mod}","{pres}","{sid}","{reg_day}","{"" if unreg is None else unreg}"')
    for name, lines in (
        ("courses.csv", courses),
        ("assessments.csv", assess),
        ("studentInfo.csv", info),
        ("studentRegistration.csv", reg),
        ("studentAssessment.csv", sub),
    ):
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder
