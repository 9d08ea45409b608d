"""Working days: weekends off, public holidays off, make-up working days (调休) on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import yaml

HOLIDAYS = Path(__file__).parent / "data" / "holidays.yaml"


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    makeup_days: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The nth working day after `start` (the day of acceptance does not count)."""
        day = start
        remaining = n
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for i in range(1, (end - start).days + 1)
                   if self.is_working_day(start + timedelta(days=i)))


@cache
def default_calendar(path: Path = HOLIDAYS) -> WorkCalendar:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    off: set[date] = set()
    work: set[date] = set()
    for year in data.values():
        off.update(year.get("holidays") or [])
        work.update(year.get("workdays") or [])
    return WorkCalendar(frozenset(off), frozenset(work))
