"""Dates and instants of the generated window, precomputed once per run.

Days are counted from the first day of the window (`day 0`, three years before the as-of
date); the as-of date itself is day `Clock.days`. Instants carry the local UTC offset of the
patient's region, with US daylight saving time (second Sunday of March to first Sunday of
November).
"""

from __future__ import annotations

from datetime import date, timedelta

WINDOW_DAYS = 3 * 365
DEFAULT_AS_OF = date(2026, 12, 1)


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


def _offset(hours: int) -> str:
    return f"{'-' if hours < 0 else '+'}{abs(hours):02d}:00"


class Clock:
    __slots__ = (
        "as_of",
        "as_of_ord",
        "start_ord",
        "days",
        "dates",
        "weekday",
        "offsets",
        "_stamps",
        "_times",
    )

    def __init__(self, as_of: date, days: int = WINDOW_DAYS) -> None:
        self.as_of = as_of
        self.as_of_ord = as_of.toordinal()
        self.days = days
        self.start_ord = self.as_of_ord - days
        span = days + 400  # follow-up dates may run a little past the as-of date
        self.dates = [date.fromordinal(self.start_ord + i).isoformat() for i in range(span)]
        self.weekday = [date.fromordinal(self.start_ord + i).weekday() for i in range(span)]
        dst = []
        for i in range(span):
            d = date.fromordinal(self.start_ord + i)
            dst.append(_nth_sunday(d.year, 3, 2) <= d < _nth_sunday(d.year, 11, 1))
        self.offsets = {
            std: [_offset(std + 1) if is_dst else _offset(std) for is_dst in dst]
            for std in (-5, -6, -7, -8)
        }
        self._stamps = [f"{d}T" for d in self.dates]
        self._times = [f"{m // 60:02d}:{m % 60:02d}:00" for m in range(1440)]

    def date(self, day: int) -> str:
        """The date of a window day (any day, also before the window)."""
        if 0 <= day < len(self.dates):
            return self.dates[day]
        return date.fromordinal(self.start_ord + day).isoformat()

    def instant(self, day: int, minute: int, tz: int) -> str:
        """Local date-time with offset, `minute` counted from midnight of `day` (may overflow)."""
        if minute >= 1440:
            day += minute // 1440
            minute %= 1440
        return self._stamps[day] + self._times[minute] + self.offsets[tz][day]

    def weekday_on_or_after(self, day: int) -> int:
        """The day itself when Monday-Friday, else the next Monday."""
        wd = self.weekday[day]
        return day + (7 - wd if wd >= 5 else 0)
