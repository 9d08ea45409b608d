from datetime import date

from services.results.calendar import WorkCalendar, default_calendar
from services.results.deadlines import Deadline, Pause, rectification_due

CAL = default_calendar()


def test_weekends_holidays_and_makeup_days() -> None:
    assert CAL.is_working_day(date(2026, 11, 24))          # a Tuesday
    assert not CAL.is_working_day(date(2026, 11, 28))      # a Saturday
    assert not CAL.is_working_day(date(2026, 10, 5))       # National Day week
    assert CAL.is_working_day(date(2026, 10, 10))          # make-up Saturday (调休)
    assert not CAL.is_working_day(date(2026, 2, 17))       # Spring Festival


def test_add_working_days_skips_weekends() -> None:
    # accepted Friday 2026-11-20: 3 working days are Mon, Tue, Wed
    assert CAL.add_working_days(date(2026, 11, 20), 3) == date(2026, 11, 25)


def test_add_working_days_across_national_day_and_makeup_saturday() -> None:
    # accepted Tue 2026-09-29: Wed 30 (1), Oct 1-7 off, Thu 8 (2), Fri 9 (3), Sat 10 make-up (4)
    assert CAL.add_working_days(date(2026, 9, 29), 4) == date(2026, 10, 10)


def test_working_days_between() -> None:
    assert CAL.working_days_between(date(2026, 11, 20), date(2026, 11, 27)) == 5
    assert CAL.working_days_between(date(2026, 11, 27), date(2026, 11, 20)) == -5
    assert WorkCalendar().working_days_between(date(2026, 1, 1), date(2026, 1, 1)) == 0


def test_a_supplement_pause_over_a_weekend_extends_the_deadline() -> None:
    plain = Deadline(date(2026, 11, 16), 5)               # Monday; due Monday 23
    assert plain.due(CAL) == date(2026, 11, 23)
    # 补正 requested Thu 19, supplied Tue 24: Fri 20, Mon 23, Tue 24 are paused (3 working days)
    paused = Deadline(date(2026, 11, 16), 5, (Pause(date(2026, 11, 19), date(2026, 11, 24)),))
    assert paused.due(CAL) == date(2026, 11, 26)
    assert paused.paused_on(date(2026, 11, 23)) and not paused.paused_on(date(2026, 11, 25))


def test_an_open_pause_stops_the_clock() -> None:
    open_pause = Deadline(date(2026, 11, 16), 5, (Pause(date(2026, 11, 18)),))
    assert open_pause.due(CAL) is None
    assert not open_pause.is_overdue(CAL, date(2027, 1, 1))
    assert open_pause.working_days_left(CAL, date(2026, 12, 1)) is None


def test_warning_exactly_one_working_day_before_and_overdue_after() -> None:
    deadline = Deadline(date(2026, 11, 16), 5)            # due Monday 23
    assert deadline.warning_due(CAL, date(2026, 11, 20))  # Friday: one working day left
    assert not deadline.warning_due(CAL, date(2026, 11, 21))  # Saturday: no warning on a day off
    assert not deadline.warning_due(CAL, date(2026, 11, 19))
    assert deadline.warning_due(CAL, date(2026, 11, 19), warn_days=2)
    assert not deadline.is_overdue(CAL, date(2026, 11, 23))
    assert deadline.is_overdue(CAL, date(2026, 11, 24))


def test_rectification_gets_fifteen_working_days() -> None:
    assert rectification_due(CAL, date(2026, 11, 24)) == date(2026, 12, 15)
