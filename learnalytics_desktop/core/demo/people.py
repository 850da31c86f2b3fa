"""The demo course's people: offerings, students with a latent engagement and ability, outcomes.

Part of the demo generator (:mod:`learnalytics_desktop.core.demo`). Everything here is drawn
from one ``random.Random`` per offering, so a seed gives the same course every time.

The model behind the data (kept simple and written down so tests can rely on it):

* each student has a latent ``engagement`` and ``ability`` (standard normal, correlation 0.3);
* about 3 % never start (they exist only in the roster and the gradebook, withdrawn);
* a student fades out in week 3-6 with probability ``sigmoid(-1.9 - 1.3 * engagement)``
  (about one in six), so low engagement predicts fading but does not decide it;
* the final grade is ``66 + 11 * ability + 7 * engagement`` plus N(0, 9) noise, minus a
  penalty for each missed or late assignment and for weeks of missed quizzes (filled in by
  the statement generator, which knows what the student actually did); faders mostly withdraw;
* result: Withdrawn, else Distinction (grade >= 70), Pass (>= 40) or Fail.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

HOME_PAGE = "https://lms.example.edu"
OPENID_BASE = "https://id.example.edu/openid/"
EMAIL_DOMAIN = "students.example.edu"
COURSE_NAME = "Introduction to Data Analysis"

FIRST_NAMES = [
    "Ana",
    "Ben",
    "Chloé",
    "Dev",
    "Emma",
    "Farid",
    "Grace",
    "Hugo",
    "Inès",
    "Jonas",
    "Kai",
    "Lena",
    "Mateo",
    "Nadia",
    "Olu",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tomás",
    "Uma",
    "Viktor",
    "Wen",
    "Xavier",
    "Yara",
    "Zoë",
    "Aiko",
    "Björn",
    "Carmen",
    "Dmitri",
    "Elif",
    "Femi",
    "Gustavo",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lucía",
    "Malik",
    "Noor",
    "Oskar",
    "Paula",
    "Ravi",
    "Sofia",
    "Tariq",
    "Valentina",
    "Will",
    "Yusuf",
    "Zainab",
]
LAST_NAMES = [
    "Silva",
    "Okafor",
    "Müller",
    "Nguyen",
    "Smith",
    "García",
    "Kowalski",
    "Haddad",
    "Larsen",
    "Rossi",
    "Tanaka",
    "Dubois",
    "Ahmed",
    "O'Brien",
    "Novak",
    "Fischer",
    "Costa",
    "Mensah",
    "Johansson",
    "Ibrahim",
    "Patel",
    "Kim",
    "López",
    "Wright",
    "Schmidt",
    "Yilmaz",
    "Andersen",
    "Moreau",
    "Cohen",
    "Papadopoulos",
    "Chen",
    "Ferreira",
    "Walsh",
    "Bakker",
    "Singh",
    "Horvat",
    "Jensen",
    "Martín",
]

# Identifier kinds real platforms emit, with their shares in the demo (the rest are accounts).
KIND_SHARES = (("mbox", 0.10), ("mbox_sha1sum", 0.07))
OPENIDS_PER_OFFERING = 2
AUDITORS_PER_OFFERING = 2  # active in the data, on no roster and in no gradebook
# (offset in minutes, share): most students in the course's time zone, some abroad.
OFFSETS = ((60, 0.55), (0, 0.30), (-300, 0.12), (330, 0.03))


def sigmoid(x: float) -> float:
    """The logistic function."""
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(frozen=True)
class DemoOffering:
    """One offering of the demo course (dates are fixed so results are reproducible)."""

    key: str  # e.g. "2025-autumn"
    iri: str
    name: str
    start: date  # a Monday
    weeks: int
    today: datetime | None  # the demo's "now" for an offering in progress; None when finished
    has_outcomes: bool

    @property
    def start_dt(self) -> datetime:
        """00:00 UTC of the start date."""
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)

    @property
    def end_dt(self) -> datetime:
        """Exclusive end of the data: ``today`` for a running offering, else the last week's end."""
        end = self.start_dt + timedelta(days=7 * self.weeks)
        return min(end, self.today) if self.today is not None else end


def default_offerings(weeks: int = 13, current_week: int = 6) -> list[DemoOffering]:
    """The past offering (autumn 2025, finished, with outcomes) and the current one (autumn
    2026, "today" two days into week ``current_week + 1``)."""
    past_start = date(2025, 9, 15)
    cur_start = date(2026, 9, 14)
    today = datetime(cur_start.year, cur_start.month, cur_start.day, 10, 0, tzinfo=UTC) + timedelta(
        days=7 * current_week + 2
    )
    base = "https://lms.example.edu/course/ida101/"
    return [
        DemoOffering(
            "2025-autumn", base + "2025-autumn", f"{COURSE_NAME} (Autumn 2025)", past_start, weeks, None, True
        ),
        DemoOffering(
            "2026-autumn",
            base + "2026-autumn",
            f"{COURSE_NAME} (Autumn 2026)",
            cur_start,
            weeks,
            today,
            False,
        ),
    ]


@dataclass
class DemoStudent:
    """A generated student and the truth behind their data (tests use it as known truth)."""

    offering: str
    student_id: str
    first_name: str
    last_name: str
    email: str
    kind: str  # account | mbox | mbox_sha1sum | openid
    engagement: float
    ability: float
    offset_minutes: int
    study_mode: str
    age_band: str
    never_started: bool = False
    fade_week: int | None = None
    in_roster: bool = True
    repeater: bool = False
    named: bool = True  # whether statements carry the display name
    final_grade: float | None = None
    result: str | None = None
    penalty: float = 0.0  # grade points lost to missed/late work (set by the statement generator)
    pref_hour: float = 19.0  # usual local hour of study (set by the statement generator)
    last_ms: int = -1  # time of the last statement written for this student (UTC epoch ms)

    @property
    def last_active(self) -> datetime | None:
        """When this student's last statement happened (UTC), None when there is none."""
        if self.last_ms < 0:
            return None
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=self.last_ms)

    @property
    def ifi(self) -> str:
        """The canonical identifier the store will give this student's statements."""
        if self.kind == "account":
            return f"account:{HOME_PAGE}|{self.student_id}"
        if self.kind == "mbox":
            return f"mbox:mailto:{self.email}"
        if self.kind == "mbox_sha1sum":
            return f"mbox_sha1sum:{self.email_sha1}"
        return f"openid:{OPENID_BASE}{self.student_id}"

    @property
    def email_sha1(self) -> str:
        """SHA-1 of ``mailto:<email>`` (what ``mbox_sha1sum`` carries)."""
        return hashlib.sha1(f"mailto:{self.email}".encode()).hexdigest()

    def actor(self) -> dict[str, Any]:
        """The xAPI Agent for this student's statements."""
        agent: dict[str, Any] = {"objectType": "Agent"}
        if self.named and self.kind != "mbox_sha1sum":
            agent["name"] = f"{self.first_name} {self.last_name}"
        if self.kind == "account":
            agent["account"] = {"homePage": HOME_PAGE, "name": self.student_id}
        elif self.kind == "mbox":
            agent["mbox"] = f"mailto:{self.email}"
        elif self.kind == "mbox_sha1sum":
            agent["mbox_sha1sum"] = self.email_sha1
        else:
            agent["openid"] = f"{OPENID_BASE}{self.student_id}"
        return agent


def _pick(rng: random.Random, shares: Sequence[tuple[Any, float]]) -> Any:
    x = rng.random()
    for value, share in shares:
        if x < share:
            return value
        x -= share
    return shares[-1][0]


def make_students(
    offering: DemoOffering,
    n: int,
    rng: random.Random,
    used_ids: set[str],
    repeaters: Sequence[DemoStudent] = (),
) -> list[DemoStudent]:
    """``n`` roster students (some of them ``repeaters`` from an earlier offering) plus the
    auditors who show up only in the statements."""
    out: list[DemoStudent] = []
    openid_slots = set(rng.sample(range(n), min(OPENIDS_PER_OFFERING, n))) if n >= 20 else set()
    for i in range(n + AUDITORS_PER_OFFERING * (n >= 20)):
        if i < len(repeaters):
            old = repeaters[i]
            st = DemoStudent(
                offering.key,
                old.student_id,
                old.first_name,
                old.last_name,
                old.email,
                old.kind,
                engagement=old.engagement + rng.gauss(0.3, 0.5),
                ability=old.ability + rng.gauss(0.2, 0.3),
                offset_minutes=old.offset_minutes,
                study_mode=old.study_mode,
                age_band=old.age_band,
                repeater=True,
                named=old.named,
            )
            out.append(st)
            continue
        while True:
            sid = f"u{rng.randrange(1000000, 9999999)}"
            if sid not in used_ids:
                used_ids.add(sid)
                break
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email_local = f"{first}.{last}".lower().replace("'", "")
        email = f"{_ascii(email_local)}.{sid[-3:]}@{EMAIL_DOMAIN}"
        kind = "openid" if i in openid_slots else str(_pick(rng, KIND_SHARES + (("account", 1.0),)))
        part_time = rng.random() < 0.3
        e = rng.gauss(-0.25 if part_time else 0.1, 1.0)
        a = 0.3 * e + math.sqrt(1 - 0.09) * rng.gauss(0, 1)
        age = _pick(rng, (("18-20", 0.55), ("21-25", 0.3), ("26+", 0.15)))
        st = DemoStudent(
            offering.key,
            sid,
            first,
            last,
            email,
            kind,
            engagement=e,
            ability=a,
            offset_minutes=int(_pick(rng, OFFSETS)),
            study_mode="Part-time" if part_time else "Full-time",
            age_band=str(age),
            in_roster=i < n,
            named=rng.random() < 0.85,
        )
        out.append(st)
    for st in out:
        if not st.in_roster or st.kind == "openid":
            # on no class list: the statements are the only place their name can come from
            st.named = True
        if st.in_roster and not st.repeater and rng.random() < 0.03:
            st.never_started = True
        elif rng.random() < sigmoid(-1.9 - 1.3 * st.engagement):
            st.fade_week = rng.randint(3, 6)
    return out


def _ascii(text: str) -> str:
    table = str.maketrans("éèáíóúñöüøçãëïâ", "eeaiounouocaeia")
    return text.translate(table)


def assign_outcomes(students: list[DemoStudent], rng: random.Random) -> None:
    """Final grade and result for a finished offering (after the statements were generated)."""
    for st in students:
        if not st.in_roster:
            continue
        if st.never_started:
            st.final_grade, st.result = None, "Withdrawn"
            continue
        grade = 66 + 11 * st.ability + 7 * st.engagement + rng.gauss(0, 9) - st.penalty
        if st.fade_week is not None and rng.random() < 0.7:
            st.final_grade, st.result = None, "Withdrawn"
            continue
        if st.fade_week is not None:
            grade -= 15
        grade = round(min(100.0, max(0.0, grade)), 1)
        st.final_grade = grade
        st.result = "Distinction" if grade >= 70 else "Pass" if grade >= 40 else "Fail"
