import random
from datetime import date, timedelta

from services.results.calendar import default_calendar
from services.results.deadlines import (
    RECTIFICATION_WORKING_DAYS,
    Deadline,
    Pause,
    rectification_due,
)

CAL = default_calendar()
MON = date(2026, 11, 16)  # an ordinary week: Mon 16 … Fri 20, Mon 23 … Fri 27


def test_plain_deadline_is_the_nth_working_day_after_acceptance() -> None:
    deadline = Deadline(MON, 5)
    assert deadline.due(CAL) == date(2026, 11, 23)
    assert deadline.working_days_left(CAL, MON) == 5
    assert deadline.working_days_left(CAL, date(2026, 11, 23)) == 0
    assert deadline.working_days_left(CAL, date(2026, 11, 25)) == -2


def test_a_supplement_pause_over_a_weekend_extends_the_deadline() -> None:
    # 补正 requested Thu 19 (that day still counts), supplied Tue 24 (paused; the clock runs
    # again on Wed 25): Fri 20, Mon 23, Tue 24 are paused, the weekend was off anyway
    paused = Deadline(MON, 5, (Pause(date(2026, 11, 19), date(2026, 11, 24)),))
    assert paused.due(CAL) == date(2026, 11, 26)
    assert paused.paused_on(date(2026, 11, 23)) and not paused.paused_on(date(2026, 11, 19))
    assert not paused.paused_on(date(2026, 11, 25))
    # Tue 17, Wed 18, Thu 19 consumed before the pause: they do not come back
    assert paused.working_days_left(CAL, date(2026, 11, 21)) == 2
    assert paused.working_days_left(CAL, date(2026, 11, 24)) == 2
    assert paused.working_days_left(CAL, date(2026, 11, 25)) == 1


def test_a_pause_across_a_holiday_week() -> None:
    # accepted Mon 2026-09-28, 3 days; 补正 Tue 29 → supplied Fri 9 Oct (Wed 30, Thu 8, Fri 9
    # paused); Tue 29 consumed; then Sat 10 (make-up) and Mon 12 finish the limit
    deadline = Deadline(date(2026, 9, 28), 3, (Pause(date(2026, 9, 29), date(2026, 10, 9)),))
    assert deadline.due(CAL) == date(2026, 10, 12)


def test_an_open_pause_stops_the_clock() -> None:
    open_pause = Deadline(MON, 5, (Pause(date(2026, 11, 18)),))
    assert open_pause.due(CAL) is None
    assert not open_pause.is_overdue(CAL, date(2027, 1, 1))
    # Tue 17, Wed 18 consumed; the rest waits for the supplements
    assert open_pause.working_days_left(CAL, date(2026, 12, 1)) == 3
    assert not open_pause.warning_due(CAL, date(2026, 12, 1), warn_days=5)
    assert not open_pause.clock_running(CAL, date(2026, 11, 19))


def test_supplements_asked_after_the_deadline_do_not_buy_time() -> None:
    late = Deadline(MON, 5, (Pause(date(2026, 11, 25)),))
    assert late.due(CAL) == date(2026, 11, 23)
    assert late.is_overdue(CAL, date(2026, 11, 30))


def test_warning_exactly_when_one_working_day_is_left() -> None:
    deadline = Deadline(MON, 5)  # due Mon 23
    assert not deadline.warning_due(CAL, date(2026, 11, 19))  # Thu: two left
    assert deadline.warning_due(CAL, date(2026, 11, 20))  # Fri: one left
    assert deadline.warning_due(CAL, date(2026, 11, 19), warn_days=2)
    assert not deadline.warning_due(CAL, date(2026, 11, 18), warn_days=2)
    # a sweep that missed Friday still warns before the deadline passes (sent once per due
    # date by the caller), never after it
    assert deadline.warning_due(CAL, date(2026, 11, 21))
    assert deadline.warning_due(CAL, date(2026, 11, 23))
    assert not deadline.warning_due(CAL, date(2026, 11, 24))


def test_no_warning_while_paused() -> None:
    deadline = Deadline(MON, 5, (Pause(date(2026, 11, 19), date(2026, 11, 24)),))  # due Thu 26
    assert not deadline.warning_due(CAL, date(2026, 11, 24))  # paused: nothing is running
    assert deadline.warning_due(CAL, date(2026, 11, 25))  # one left again


def test_overdue_the_day_after_the_due_day() -> None:
    deadline = Deadline(MON, 5)
    assert not deadline.is_overdue(CAL, date(2026, 11, 23))
    assert deadline.is_overdue(CAL, date(2026, 11, 24))


def test_odd_stored_data_does_not_raise() -> None:
    reversed_pause = Deadline(MON, 5, (Pause(date(2026, 11, 20), date(2026, 11, 18)),))
    assert reversed_pause.due(CAL) == date(2026, 11, 23)  # an empty pause
    assert Deadline(MON, 0).due(CAL) == MON
    assert Deadline(MON, -3).due(CAL) == MON
    overlapping = Deadline(
        MON, 5, (Pause(date(2026, 11, 17), date(2026, 11, 19)), Pause(date(2026, 11, 18), date(2026, 11, 20)))
    )
    assert overlapping.due(CAL) == date(2026, 11, 26)  # Wed 18 … Fri 20 paused once


def test_due_date_uses_up_exactly_the_limit() -> None:
    rng = random.Random(11)
    for _ in range(300):
        accepted = date(2025, 1, 1) + timedelta(days=rng.randrange(700))
        start = accepted + timedelta(days=rng.randrange(0, 20))
        pause = Pause(start, start + timedelta(days=rng.randrange(0, 30)))
        deadline = Deadline(accepted, rng.randrange(1, 30), (pause,))
        due = deadline.due(CAL)
        assert due is not None and CAL.is_working_day(due) and not deadline.paused_on(due)
        assert deadline.working_days_left(CAL, due) == 0
        assert deadline.working_days_left(CAL, due - timedelta(days=1)) == 1


def test_rectification_gets_fifteen_working_days() -> None:
    assert RECTIFICATION_WORKING_DAYS == 15
    assert rectification_due(CAL, date(2026, 11, 24)) == date(2026, 12, 15)
    # across Spring Festival 2026 with its two make-up Saturdays (Feb 14 and 28)
    assert rectification_due(CAL, date(2026, 2, 10)) == date(2026, 3, 9)
