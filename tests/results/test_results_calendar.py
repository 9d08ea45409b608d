import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from services.results import calendar
from services.results.calendar import WorkCalendar, calendar_from_data, default_calendar

CAL = default_calendar()


def test_weekends_are_off_and_weekdays_on() -> None:
    assert CAL.is_working_day(date(2026, 11, 24))  # Tuesday
    assert not CAL.is_working_day(date(2026, 11, 28))  # Saturday
    assert not CAL.is_working_day(date(2026, 11, 29))  # Sunday


def test_holiday_weeks_are_off() -> None:
    national_day = [date(2026, 10, d) for d in range(1, 8)]
    assert not any(CAL.is_working_day(d) for d in national_day)
    spring_festival = [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]
    assert not any(CAL.is_working_day(d) for d in spring_festival)
    assert not CAL.is_working_day(date(2025, 1, 1)) and CAL.is_working_day(date(2025, 1, 2))
    assert not CAL.is_working_day(date(2026, 9, 25))  # Mid-Autumn, a Friday


def test_makeup_weekend_days_are_on() -> None:
    assert CAL.is_working_day(date(2026, 10, 10))  # Saturday after National Day
    assert CAL.is_working_day(date(2026, 9, 20))  # Sunday before it
    assert CAL.is_working_day(date(2026, 2, 14))  # Saturday before Spring Festival
    assert CAL.is_working_day(date(2025, 1, 26))  # Sunday, 2025
    assert not CAL.is_working_day(date(2026, 10, 11))  # the Sunday after: off as usual


def test_data_covers_both_years_with_the_official_counts() -> None:
    assert CAL.years == {2025, 2026}
    assert CAL.covers(date(2026, 12, 31)) and not CAL.covers(date(2027, 1, 1))
    per_year = {y: sum(1 for d in CAL.holidays if d.year == y) for y in (2025, 2026)}
    assert per_year == {2025: 1 + 8 + 3 + 5 + 3 + 8, 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7}
    assert len(CAL.makeup_days) == 5 + 6
    assert all(d.weekday() >= 5 for d in CAL.makeup_days)


def test_add_working_days_skips_weekends_and_does_not_count_the_first_day() -> None:
    # accepted Friday 2026-11-20: 3 working days are Mon, Tue, Wed
    assert CAL.add_working_days(date(2026, 11, 20), 3) == date(2026, 11, 25)
    assert CAL.add_working_days(date(2026, 11, 20), 0) == date(2026, 11, 20)
    assert calendar.add_working_days(date(2026, 11, 21), 1) == date(2026, 11, 23)  # from Sat
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 11, 20), -1)


def test_add_working_days_across_a_holiday_week_and_a_makeup_saturday() -> None:
    # accepted Tue 2026-09-29: Wed 30 (1), Oct 1-7 off, Thu 8 (2), Fri 9 (3), Sat 10 make-up (4)
    assert CAL.add_working_days(date(2026, 9, 29), 4) == date(2026, 10, 10)
    assert CAL.add_working_days(date(2026, 9, 29), 5) == date(2026, 10, 12)
    # Spring Festival 2025: Mon 27 Jan (1), 28 Jan-4 Feb off, Wed 5 Feb (2)
    assert CAL.add_working_days(date(2025, 1, 26), 2) == date(2025, 2, 5)


def test_working_days_between() -> None:
    assert CAL.working_days_between(date(2026, 11, 20), date(2026, 11, 27)) == 5
    assert CAL.working_days_between(date(2026, 11, 27), date(2026, 11, 20)) == -5
    assert CAL.working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3
    assert calendar.working_days_between(date(2026, 1, 1), date(2026, 1, 1)) == 0
    assert calendar.is_working_day(date(2026, 1, 4))  # make-up Sunday


def test_counting_agrees_with_a_day_by_day_walk_and_inverts_add() -> None:
    rng = random.Random(7)
    for _ in range(400):
        start = date(2024, 12, 1) + timedelta(days=rng.randrange(800))
        end = start + timedelta(days=rng.randrange(-40, 120))
        lo, hi = min(start, end), max(start, end)
        walked = sum(1 for i in range(1, (hi - lo).days + 1) if CAL.is_working_day(lo + timedelta(days=i)))
        assert CAL.working_days_between(start, end) == (walked if end >= start else -walked)
        n = rng.randrange(0, 30)
        assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == n


def test_an_empty_calendar_is_weekends_only() -> None:
    plain = WorkCalendar()
    assert plain.working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 7
    assert not plain.covers(date(2026, 1, 1))


@pytest.mark.parametrize(
    ("festival", "error"),
    [
        ({"name": "x", "holiday": {"from": date(2026, 5, 5), "to": date(2026, 5, 1)}}, "block of"),
        ({"name": "x", "holiday": {"from": date(2026, 1, 1), "to": date(2026, 1, 30)}}, "block of"),
        ({"name": "x"}, "holiday needs from and to"),
        (
            {
                "name": "x",
                "holiday": {"from": date(2026, 5, 1), "to": date(2026, 5, 5)},
                "makeup": [date(2026, 5, 6)],
            },
            "is not a weekend",
        ),
        (
            {
                "name": "x",
                "holiday": {"from": date(2026, 5, 1), "to": date(2026, 5, 5)},
                "makeup": [date(2026, 5, 2)],
            },
            "both holiday and make-up",
        ),
    ],
)
def test_a_wrong_holiday_file_is_refused(festival: dict[str, object], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        calendar_from_data({2026: {"festivals": [festival]}})


def test_yaml_keys_are_not_read_as_booleans(tmp_path: Path) -> None:
    # YAML 1.1 reads a bare `off:` key as False; the file format avoids such words
    path = tmp_path / "h.yaml"
    path.write_text(
        "2030:\n  festivals:\n    - name: t\n      holiday: {from: 2030-01-01, to: 2030-01-01}\n",
        encoding="utf-8",
    )
    assert not calendar.load_calendar(path).is_working_day(date(2030, 1, 1))
