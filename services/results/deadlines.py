"""Statutory deadlines (承诺时限) in working days, with the clock stopped during 补正.

The clock: every working day after acceptance consumes one day of the limit, except the
working days inside a pause. A pause runs from the day supplements were requested
(SUPPLEMENT_REQUESTED) to the day they were supplied; like acceptance, the day it starts
still counts and the day it ends does not (the clock runs again the next day), so a pause
covers the working days in (start, end]. Days consumed before a pause never come back;
the paused working days push the due date out by as many working days.

The due date is the working day on which the limit is used up. While a pause is open the
clock is stopped and there is no due date, unless the limit was already used up before the
pause began (then the case stays overdue: asking for supplements late does not buy time).

Nothing here raises on odd stored data (an empty or reversed pause, a zero limit): one bad
row must not stop the deadline sweep for every other case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from services.results.calendar import WorkCalendar

RECTIFICATION_WORKING_DAYS = 15  # every bad rating is rectified within 15 working days
WARN_WORKING_DAYS = 1


@dataclass(frozen=True)
class Pause:
    """补正: from the day supplements were requested to the day they arrived (None: still
    open). Working days after `start` up to and including `end` do not count."""

    start: date
    end: date | None = None

    @property
    def is_open(self) -> bool:
        return self.end is None

    def covers(self, day: date) -> bool:
        return self.start < day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Deadline:
    accepted_on: date
    limit_working_days: int
    pauses: tuple[Pause, ...] = ()

    def paused_on(self, day: date) -> bool:
        return any(p.covers(day) for p in self.pauses)

    def consumed(self, calendar: WorkCalendar, today: date) -> int:
        """Working days of the limit used up by the end of `today` (past the limit too)."""
        if today <= self.accepted_on:
            return 0
        if not self.pauses:
            return calendar.working_days_between(self.accepted_on, today)
        used, day = 0, self.accepted_on
        while day < today:
            day += timedelta(days=1)
            if calendar.is_working_day(day) and not self.paused_on(day):
                used += 1
        return used

    def due(self, calendar: WorkCalendar) -> date | None:
        """The day the limit is used up; None while an open pause stops the clock first."""
        limit = max(self.limit_working_days, 0)
        if not self.pauses:
            return calendar.add_working_days(self.accepted_on, limit)
        used, day = 0, self.accepted_on
        # bounded: closed pauses end, and an open one returns as soon as the walk reaches it
        while used < limit:
            day += timedelta(days=1)
            if not calendar.is_working_day(day):
                continue
            if any(p.is_open and p.covers(day) for p in self.pauses):
                return None
            if not self.paused_on(day):
                used += 1
        return day

    def working_days_left(self, calendar: WorkCalendar, today: date) -> int:
        """Working days of the limit still unused after `today`; 0 on the due day, negative
        once overdue. Defined during a pause too: what the applicant gets back on supplying."""
        return max(self.limit_working_days, 0) - self.consumed(calendar, today)

    def clock_running(self, calendar: WorkCalendar, today: date) -> bool:
        return not self.paused_on(today) and self.due(calendar) is not None

    def warning_due(self, calendar: WorkCalendar, today: date, warn_days: int = WARN_WORKING_DAYS) -> bool:
        """True from the day only `warn_days` working days are left until the due day.

        The window starts exactly when `warn_days` are left and stays open through the due
        day, so a sweep that missed that day (a restart, a weekend) still warns late rather
        than never; the caller sends one warning per due date (deadline_watch.notice_once).
        """
        if not self.clock_running(calendar, today):
            return False
        return 0 <= self.working_days_left(calendar, today) <= warn_days

    def is_overdue(self, calendar: WorkCalendar, today: date) -> bool:
        due = self.due(calendar)
        return due is not None and today > due


def rectification_due(calendar: WorkCalendar, opened_on: date) -> date:
    """整改: 15 working days from the day the rectification is opened (that day not counted)."""
    return calendar.add_working_days(opened_on, RECTIFICATION_WORKING_DAYS)
