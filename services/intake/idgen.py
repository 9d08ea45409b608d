"""Valid resident ID numbers for tests and the simulator (never real people's)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from services.intake.domain import check_digit


def make_id_number(division: str, birth: date, sequence: int) -> str:
    first17 = f"{division}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_digit(first17)


def random_id_number(rng: random.Random, division: str, elderly: bool = False,
                     today: date | None = None) -> str:
    today = today or date.today()
    age_days = rng.randint(60 * 366, 90 * 365) if elderly else rng.randint(18 * 366, 59 * 365)
    return make_id_number(division, today - timedelta(days=age_days), rng.randint(1, 999))
