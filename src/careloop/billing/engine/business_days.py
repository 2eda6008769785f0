"""Business days: Monday to Friday that is not a US federal holiday (§0).

The holidays come from the `holidays` package's US calendar (federal holidays and their
observed days), never from a hard-coded list. Results are cached per date.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

import holidays

_ONE_DAY = timedelta(days=1)


@functools.cache
def _federal_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("US", years=year, categories=("public",)))


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


@functools.cache
def nth_business_day_after(day: date, n: int) -> date:
    """The n-th business day after `day` (n ≥ 1); `day` itself never counts."""
    current = day
    remaining = n
    while remaining:
        current += _ONE_DAY
        if is_business_day(current):
            remaining -= 1
    return current


@functools.lru_cache(maxsize=1 << 14)
def business_days_between(start: date, end: date) -> int:
    """How many business days lie in (start, end]: the day after `start` through `end`."""
    count = 0
    current = start
    while current < end:
        current += _ONE_DAY
        if is_business_day(current):
            count += 1
    return count
