"""Calendar months: the one set of month helpers (architecture §2, rule 7).

A service month is a calendar month, first to last day (medicare-rules.md §0). Month
arithmetic goes through a month *index* (months since January of year 0: ``year * 12 +
month - 1``), so "n months before" and "how many months between" are integer sums and
comparisons, with no ``date`` built on the way (the billing engine's hot path, ADR 0003).
Pure: no Django.
"""

from __future__ import annotations

import calendar
from datetime import date


def month_index(day: date) -> int:
    """The month of `day` as a number: consecutive months differ by one."""
    return day.year * 12 + day.month - 1


def first_day_of_index(index: int) -> date:
    """The first day of the month numbered `index` (see `month_index`)."""
    return date(index // 12, index % 12 + 1, 1)


def first_day(day: date) -> date:
    """The first day of `day`'s month."""
    return date(day.year, day.month, 1)


def last_day_of_month(year: int, month: int) -> date:
    """The last day of a calendar month (28, 29, 30 or 31)."""
    return date(year, month, calendar.monthrange(year, month)[1])


def last_day(day: date) -> date:
    """The last day of `day`'s month."""
    return last_day_of_month(day.year, day.month)


def first_day_plus_months(day: date, n: int) -> date:
    """The first day of the month `n` months after `day`'s (n < 0: before)."""
    return first_day_of_index(month_index(day) + n)


def first_day_minus_months(day: date, n: int) -> date:
    """The first day of the month `n` months before `day`'s (e.g. CCM-021's window start)."""
    return first_day_of_index(month_index(day) - n)


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from `earlier`'s month to `later`'s (negative when reversed):
    31 January to 1 February is 1, 1 to 31 March is 0."""
    return month_index(later) - month_index(earlier)


def month_key(year: int, month: int) -> str:
    """The month as "YYYY-MM", which orders as text."""
    return f"{year:04d}-{month:02d}"


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def months_before(day: date, months: int) -> date:
    """The same day of the month ``months`` earlier, clipped to that month's last day."""
    index = month_index(day) - months
    last = last_day(first_day_of_index(index)).day
    return first_day_of_index(index).replace(day=min(day.day, last))
