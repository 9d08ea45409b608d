"""Valid resident ID numbers for tests and the simulator (never real people's)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from services.intake.domain import check_digit


def make_id_number(division: str, birth: date, sequence: int) -> str:
    """GB 11643-1999 number for a 6-digit division, a birth date and a sequence 0-999
    (odd = male). Bad input raises ValueError rather than yielding a number that would
    quietly fail validation later (or, for sequence 1000, wrap round to 000)."""
    if len(division) != 6 or not (division.isascii() and division.isdigit()):
        raise ValueError(f"division must be 6 digits, got {division!r}")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be 0-999, got {sequence}")
    if not 1000 <= birth.year <= 9999:
        raise ValueError(f"birth year must have 4 digits, got {birth.year}")
    first17 = f"{division}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def random_id_number(
    rng: random.Random, division: str, elderly: bool = False, today: date | None = None
) -> str:
    """A number whose holder is 60-90 (elderly, 优先办) or 18-59 years old on `today`."""
    today = today or date.today()
    age_days = rng.randint(60 * 366, 90 * 365) if elderly else rng.randint(18 * 366, 59 * 365)
    return make_id_number(division, today - timedelta(days=age_days), rng.randint(1, 999))
