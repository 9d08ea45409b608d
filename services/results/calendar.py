"""The working-day calendar behind every statutory time limit (承诺时限).

A day is a working day when it is a make-up working day (调休: a Saturday or Sunday that is
worked), or a Monday to Friday that is not a public holiday. Holidays and make-up days come
from data/holidays.yaml, one block per festival, copied from the State Council's yearly
notice; the loader checks it, because one wrong date silently moves every deadline.

Counting follows the statutory convention (期间开始之日不计算在内): the day of acceptance
does not count, so a 5-working-day limit accepted on Monday ends on the following Monday,
and `working_days_between(a, b)` counts the working days in (a, b].

A date in a year the data file does not cover falls back to weekends only; `covers()` lets
callers (start-up checks, the deadline watch) notice a file that is out of date.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HOLIDAYS = Path(__file__).parent / "data" / "holidays.yaml"
SATURDAY = 5
LONGEST_BLOCK_DAYS = 10  # the longest official block is 9 days (Spring Festival 2026)


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    makeup_days: frozenset[date] = field(default_factory=frozenset)
    years: frozenset[int] = field(default_factory=frozenset)
    # Sorted exceptions to the plain Monday-to-Friday rule, so counting a span is
    # arithmetic plus two binary searches rather than a walk over every day.
    _lost: tuple[date, ...] = field(init=False, repr=False, compare=False)
    _gained: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lost = sorted(d for d in self.holidays if d.weekday() < SATURDAY and d not in self.makeup_days)
        gained = sorted(d for d in self.makeup_days if d.weekday() >= SATURDAY)
        object.__setattr__(self, "_lost", tuple(lost))
        object.__setattr__(self, "_gained", tuple(gained))

    def covers(self, day: date) -> bool:
        """Whether the holiday data knows `day`'s year (outside it: weekends only)."""
        return day.year in self.years

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_days:
            return True
        return day.weekday() < SATURDAY and day not in self.holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The nth working day after `start` (`start` itself never counts); `start` for n = 0."""
        if n < 0:
            raise ValueError(f"a time limit cannot be negative: {n}")
        day = start
        remaining = n
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative (the same count) when end is before start.

        The inverse of `add_working_days`: working_days_between(d, add_working_days(d, n)) == n.
        """
        if end < start:
            return -self.working_days_between(end, start)
        return (
            _weekdays_in(start, end) - _count_in(self._lost, start, end) + _count_in(self._gained, start, end)
        )


def _weekdays_in(start: date, end: date) -> int:
    """Mondays to Fridays in (start, end]."""
    weeks, rest = divmod((end - start).days, 7)
    first = start.weekday()
    # every full week holds five; the leftover days follow `start` in calendar order
    return weeks * 5 + sum(1 for i in range(1, rest + 1) if (first + i) % 7 < SATURDAY)


def _count_in(days: tuple[date, ...], start: date, end: date) -> int:
    """How many of the sorted `days` fall in (start, end]."""
    return bisect_right(days, end) - bisect_right(days, start)


# ---------------------------------------------------------------- loading holidays.yaml


def load_calendar(path: Path = HOLIDAYS) -> WorkCalendar:
    """Reads and checks a holiday file; a ValueError names the entry at fault."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: expected a mapping of year → festivals")
    return calendar_from_data(data, str(path))


def calendar_from_data(data: Mapping[Any, Any], where: str = "holiday data") -> WorkCalendar:
    off: set[date] = set()
    work: set[date] = set()
    years: set[int] = set()
    for year, content in data.items():
        if not isinstance(year, int) or not isinstance(content, Mapping):
            raise ValueError(f"{where}: {year!r} is not a year with festivals")
        years.add(year)
        for festival in content.get("festivals") or []:
            name = festival.get("name", "?")
            block = festival.get("holiday") or {}
            first, last = block.get("from"), block.get("to")
            if not isinstance(first, date) or not isinstance(last, date):
                raise ValueError(f"{where}: {year} {name}: holiday needs from and to dates")
            length = (last - first).days + 1
            if not 1 <= length <= LONGEST_BLOCK_DAYS:
                raise ValueError(f"{where}: {year} {name}: a block of {length} days")
            off.update(first + timedelta(days=i) for i in range(length))
            makeup = list(festival.get("makeup") or [])
            for day in makeup:
                if not isinstance(day, date) or day.weekday() < SATURDAY:
                    # a weekday is a working day anyway: this is a typo in the date
                    raise ValueError(f"{where}: {year} {name}: make-up day {day} is not a weekend")
            work.update(makeup)
    clash = off & work
    if clash:
        raise ValueError(f"{where}: both holiday and make-up day: {sorted(clash)}")
    return WorkCalendar(frozenset(off), frozenset(work), frozenset(years))


@cache
def default_calendar(path: Path = HOLIDAYS) -> WorkCalendar:
    """The calendar of the shipped holiday file, read once per process."""
    return load_calendar(path)


# Conveniences over the shipped calendar, for callers that do not inject one.


def is_working_day(day: date) -> bool:
    return default_calendar().is_working_day(day)


def add_working_days(start: date, n: int) -> date:
    return default_calendar().add_working_days(start, n)


def working_days_between(start: date, end: date) -> int:
    return default_calendar().working_days_between(start, end)
