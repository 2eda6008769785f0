"""careloop.core.months: the one set of month helpers, against the calendar itself."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careloop.core.months import (
    first_day,
    first_day_minus_months,
    first_day_of_index,
    first_day_plus_months,
    last_day,
    last_day_of_month,
    month_index,
    month_key,
    months_before,
    months_between,
    years_before,
)

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))


def _step_months(day: date, n: int) -> date:
    """The first day n months away, by walking the calendar one month at a time."""
    current = day.replace(day=1)
    for _ in range(abs(n)):
        if n > 0:
            current = (current + timedelta(days=31)).replace(day=1)
        else:
            current = (current - timedelta(days=1)).replace(day=1)
    return current


@pytest.mark.parametrize(
    ("year", "month", "last"),
    [(2025, 1, 31), (2025, 2, 28), (2024, 2, 29), (2100, 2, 28), (2000, 2, 29), (2026, 4, 30)],
)
def test_last_day_of_month(year: int, month: int, last: int) -> None:
    assert last_day_of_month(year, month) == date(year, month, last)
    assert last_day(date(year, month, 1)) == date(year, month, last)


def test_month_arithmetic_wraps_the_year() -> None:
    assert first_day_minus_months(date(2026, 1, 15), 1) == date(2025, 12, 1)
    assert first_day_minus_months(date(2026, 3, 31), 12) == date(2025, 3, 1)
    assert first_day_minus_months(date(2026, 11, 30), 11) == date(2025, 12, 1)
    assert first_day_plus_months(date(2025, 12, 31), 2) == date(2026, 2, 1)
    assert months_between(date(2025, 1, 31), date(2025, 2, 1)) == 1
    assert months_between(date(2025, 3, 1), date(2025, 3, 31)) == 0
    assert months_between(date(2026, 2, 1), date(2025, 2, 28)) == -12
    assert month_key(2026, 3) == "2026-03"


def test_years_before_keeps_the_day_or_takes_28_february() -> None:
    assert years_before(date(2026, 12, 1), 3) == date(2023, 12, 1)
    assert years_before(date(2024, 2, 29), 1) == date(2023, 2, 28)
    assert years_before(date(2024, 2, 29), 4) == date(2020, 2, 29)


@given(days)
def test_first_and_last_day_bound_the_month(day: date) -> None:
    first, last = first_day(day), last_day(day)
    assert first <= day <= last
    assert first.day == 1 and (first.year, first.month) == (day.year, day.month)
    assert (last + timedelta(days=1)).day == 1
    assert first_day_of_index(month_index(day)) == first


@given(days, st.integers(-40, 40))
def test_shifting_by_months_walks_the_calendar(day: date, n: int) -> None:
    assert first_day_plus_months(day, n) == _step_months(day, n)
    assert first_day_minus_months(day, n) == _step_months(day, -n)
    assert months_between(day, first_day_plus_months(day, n)) == n


@given(days, days, st.integers(0, 40))
def test_a_day_before_the_window_start_is_a_month_index_comparison(
    seen: date, start: date, window: int
) -> None:
    """The billing engine compares month indexes instead of building the window's first day
    (CCM-021, CCM-023); both forms must agree."""
    assert (seen < first_day_minus_months(start, window)) == (
        month_index(seen) < month_index(start) - window
    )
    assert (seen < first_day_minus_months(start, window)) == (months_between(seen, start) > window)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 30), 6, date(2026, 5, 30)),
        (date(2026, 8, 31), 6, date(2026, 2, 28)),  # clipped to February's last day
        (date(2024, 8, 31), 6, date(2024, 2, 29)),  # a leap year's
        (date(2026, 1, 15), 13, date(2024, 12, 15)),
        (date(2026, 3, 31), 0, date(2026, 3, 31)),
    ],
)
def test_months_before_keeps_the_day_or_clips_to_the_month_end(day, months, expected):
    assert months_before(day, months) == expected
