"""Statutory deadlines (承诺时限) in working days, paused while 补正 materials are awaited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.results.calendar import WorkCalendar

RECTIFICATION_WORKING_DAYS = 15
WARN_WORKING_DAYS = 1


@dataclass(frozen=True)
class Pause:
    """补正: from the day supplements were requested to the day they arrived (None: still open).
    Working days after `start` up to and including `end` do not count."""

    start: date
    end: date | None = None


@dataclass(frozen=True)
class Deadline:
    accepted_on: date
    limit_working_days: int
    pauses: tuple[Pause, ...] = ()

    def paused_on(self, day: date) -> bool:
        return any(p.start < day and (p.end is None or day <= p.end) for p in self.pauses)

    def due(self, calendar: WorkCalendar) -> date | None:
        """The due date; None while a pause is open (the clock is stopped)."""
        if any(p.end is None for p in self.pauses):
            return None
        extra = sum(calendar.working_days_between(p.start, p.end) for p in self.pauses
                    if p.end is not None)
        return calendar.add_working_days(self.accepted_on, self.limit_working_days + extra)

    def working_days_left(self, calendar: WorkCalendar, today: date) -> int | None:
        due = self.due(calendar)
        return None if due is None else calendar.working_days_between(today, due)

    def warning_due(self, calendar: WorkCalendar, today: date,
                    warn_days: int = WARN_WORKING_DAYS) -> bool:
        """True on the working day when exactly `warn_days` working days are left."""
        left = self.working_days_left(calendar, today)
        return left == warn_days and calendar.is_working_day(today)

    def is_overdue(self, calendar: WorkCalendar, today: date) -> bool:
        due = self.due(calendar)
        return due is not None and today > due


def rectification_due(calendar: WorkCalendar, opened_on: date) -> date:
    return calendar.add_working_days(opened_on, RECTIFICATION_WORKING_DAYS)
