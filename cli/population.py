"""Who takes part in a simulation: halls spread over several provinces, bot officials spread
over the provinces that own the matters, and synthetic applicants with valid generated ID
numbers and a realistic mix of special needs. Pure and seeded (no I/O): the simulator acts
on these plans, tests check them directly.

Every applicant is sent only where a bot official of the matter's department works, in a
province other than the hall's (跨省通办), and a sign-language applicant only to an official
who signs (routing treats 手语 as a hard requirement), so every journey can finish.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date

from cli.idgen import random_id_number
from services.shared.catalog import Catalog, Hall, Matter

# The mix, after what halls report: many elderly applicants (优先办), a few with a declared
# disability, some who need an interpreter or prefer another language than Mandarin.
ELDERLY_SHARE = 0.25  # intake derives "elderly" from the birth date in the ID number
DISABILITY_SHARE = 0.05
LANGUAGES = (("zh", 0.88), ("yue", 0.04), ("en", 0.05), ("sign", 0.03))
INTERPRETER_SHARE = {"zh": 0.0, "yue": 0.3, "en": 0.5, "sign": 0.5}
OPTIONAL_UPLOAD_SHARE = 0.7  # otherwise 容缺受理: a non-key material follows later
BORN_LOCALLY_SHARE = 0.8  # ID numbers record where the holder was first registered
# Where the owning provinces are picked from first: the busiest cross-province pairs.
TARGET_PREFERENCE = (
    "310000",
    "440000",
    "330000",
    "320000",
    "110000",
    "510000",
    "500000",
    "420000",
    "370000",
    "610000",
    "340000",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国"
OFFICIAL_SPEAKS = {"440000": ("yue",)}  # Guangdong's officials also speak Cantonese


class PlanError(ValueError):
    """A simulation that could not be run as asked (the message says why)."""


@dataclass(frozen=True)
class BotOfficial:
    id: str
    province: str
    department: str
    languages: tuple[str, ...]


@dataclass(frozen=True)
class Applicant:
    """One synthetic applicant. The personal fields stay out of repr (and so out of logs and
    tracebacks): the simulator must never print a clear ID number or phone."""

    hall: Hall
    matter: Matter
    official: BotOfficial  # whose department and province the case goes to
    language: str
    disability: bool
    interpreter: bool
    elderly: bool
    delivery_method: str
    uploads: tuple[str, ...]  # material codes uploaded before submitting
    name: str = field(repr=False)
    id_number: str = field(repr=False)
    phone: str = field(repr=False)
    mail_address: str = field(repr=False)

    @property
    def target_province(self) -> str:
        return self.official.province

    @property
    def missing(self) -> tuple[str, ...]:
        """Non-key materials not uploaded (容缺受理): what a 补正 asks for first."""
        return tuple(m.code for m in self.matter.materials if m.code not in self.uploads)


def pick_halls(catalog: Catalog, count: int) -> list[Hall]:
    """`count` halls spread over as many provinces as possible: each province's first hall,
    then each one's second, and so on, in catalog order."""
    halls = catalog.halls()
    if not 1 <= count <= len(halls):
        raise PlanError(f"--halls must be between 1 and {len(halls)} (the catalog's halls)")
    by_province: dict[str, list[Hall]] = {}
    for hall in halls:
        by_province.setdefault(hall.province, []).append(hall)
    picked: list[Hall] = []
    depth = 0
    while len(picked) < count:
        picked += [group[depth] for group in by_province.values() if len(group) > depth]
        depth += 1
    return picked[:count]


def departments(catalog: Catalog) -> list[str]:
    """Departments with matters the remote window handles, in catalog order."""
    seen: list[str] = []
    for matter in catalog.matters():
        if matter.remote_window and matter.department.code not in seen:
            seen.append(matter.department.code)
    return seen


def plan_officials(
    catalog: Catalog, count: int, halls: list[Hall], run: str, provinces: list[str] | None = None
) -> list[BotOfficial]:
    """`count` officials over about count/3 target provinces (at least two, so every hall
    has one outside its own province), each province with the same departments: the first
    official of each province in the first department, the next in the second, ..."""
    if count < 1:
        raise PlanError("--officials must be at least 1")
    known = {p.code for p in catalog.provinces()}
    if provinces:
        unknown = [p for p in provinces if p not in known]
        if unknown:
            raise PlanError(f"unknown province codes: {', '.join(unknown)}")
        targets = list(dict.fromkeys(provinces))[:count]
    else:
        wanted = min(count, max(2, math.ceil(count / 3)))
        targets = list(TARGET_PREFERENCE[:wanted])
        if wanted == 1:  # one official: it must work outside every hall's province
            hall_provinces = {h.province for h in halls}
            targets = [next(p.code for p in catalog.provinces() if p.code not in hall_provinces)]
    depts = departments(catalog)
    officials = []
    for i in range(count):
        province = targets[i % len(targets)]
        languages = ("zh", *OFFICIAL_SPEAKS.get(province, ()))
        if i % 4 == 0:
            languages += ("sign",)  # a quarter of the officials sign (手语)
        if i % 3 == 1:
            languages += ("en",)
        officials.append(
            BotOfficial(
                f"sim-{run}-{i + 1:02d}", province, depts[(i // len(targets)) % len(depts)], languages
            )
        )
    for hall in halls:
        if all(o.province == hall.province for o in officials):
            raise PlanError(
                f"hall {hall.id} has no official outside its province"
                f" {hall.province}; add officials or other --provinces"
            )
    return officials


def choose(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def make_applicant(
    rng: random.Random, catalog: Catalog, halls: list[Hall], officials: list[BotOfficial], today: date
) -> Applicant:
    hall = rng.choice(halls)
    language = choose(rng, LANGUAGES)
    able = [
        o for o in officials if o.province != hall.province and (language != "sign" or "sign" in o.languages)
    ]
    if not able:  # nobody who signs outside this hall's province: Mandarin with an interpreter
        language = "zh"
        able = [o for o in officials if o.province != hall.province]
    official = rng.choice(able)  # uniform over officials: every bot gets its share of work
    matters = [
        m
        for m in catalog.matters()
        if m.department.code == official.department and catalog.handles(m.code, official.province)
    ]
    matter = rng.choice(matters)
    elderly = rng.random() < ELDERLY_SHARE
    division = hall.id.split("-")[1]
    if rng.random() >= BORN_LOCALLY_SHARE:
        division = rng.choice([h.id.split("-")[1] for h in catalog.halls()])
    uploads = tuple(m.code for m in matter.materials if m.key or rng.random() < OPTIONAL_UPLOAD_SHARE)
    return Applicant(
        hall=hall,
        matter=matter,
        official=official,
        language=language,
        disability=language == "sign" or rng.random() < DISABILITY_SHARE,
        interpreter=rng.random() < INTERPRETER_SHARE[language],
        elderly=elderly,
        delivery_method=rng.choice(matter.delivery_methods),
        uploads=uploads,
        name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
        id_number=random_id_number(rng, division, elderly=elderly, today=today),
        phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
        mail_address=f"{hall.city_zh}市模拟路{rng.randint(1, 999)}号{rng.randint(1, 30)}栋",
    )


def arrivals(rng: random.Random, rate: float, duration: float) -> list[float]:
    """Offsets (seconds from the start) of a Poisson process of `rate` per second over
    `duration` seconds: independent applicants walking in."""
    if rate <= 0 or duration <= 0:
        raise PlanError("--rate and --duration must be positive")
    offsets: list[float] = []
    t = rng.expovariate(rate)
    while t < duration:
        offsets.append(t)
        t += rng.expovariate(rate)
    return offsets


# ------------------------------------------------------------------ what bots decide and rate


@dataclass(frozen=True)
class Shares:
    supplement: float = 0.1  # 补正 on a first round
    rejection: float = 0.05

    def __post_init__(self) -> None:
        if not (
            0 <= self.supplement <= 1 and 0 <= self.rejection <= 1 and self.supplement + self.rejection <= 1
        ):
            raise PlanError("--supplement-share and --reject-share must be 0..1, summing to 1 at most")


def decide(rng: random.Random, shares: Shares, supplement_rounds: int) -> str:
    """APPROVED, REJECTED or SUPPLEMENT_REQUESTED; a case whose materials were already
    supplemented once is decided for good."""
    draw = rng.random()
    if supplement_rounds:
        return "REJECTED" if draw < shares.rejection else "APPROVED"
    if draw < shares.supplement:
        return "SUPPLEMENT_REQUESTED"
    return "REJECTED" if draw < shares.supplement + shares.rejection else "APPROVED"


RATINGS = {"APPROVED": (0.62, 0.2, 0.09, 0.05, 0.04), "REJECTED": (0.2, 0.2, 0.25, 0.2, 0.15)}
GOOD_TAGS = ("friendly", "fast", "clear", "no_travel", "professional")
BAD_TAGS = ("long_wait", "video_stutter", "poor_audio", "unclear", "repeated_materials")


def rating(rng: random.Random, outcome: str, supplemented: bool) -> tuple[int, list[str]]:
    """A 好差评 level (5 非常满意 … 1 非常不满意) and up to three tags to match; ≤ 2 opens a
    rectification in results."""
    weights = RATINGS["REJECTED" if outcome == "REJECTED" else "APPROVED"]
    level = rng.choices([5, 4, 3, 2, 1], weights)[0]
    pool = list(GOOD_TAGS if level >= 3 else BAD_TAGS)
    if supplemented and level <= 3 and "repeated_materials" not in pool:
        pool.append("repeated_materials")  # asked for materials twice: it shows
    return level, rng.sample(pool, rng.randint(1, 3))
