"""Dates as the claims sources write them.

RIF (CCW): `DD-MON-YYYY` (`17-MAR-1981`; the Synthea RIF files write `01-Mar-2015`, so the
month is case-insensitive) and `YYYYMMDD` in a few columns (`COVSTART`). Tuva and CCLF:
ISO `YYYY-MM-DD`. Every parser raises `FieldError` naming the column and the value.
"""

from __future__ import annotations

from datetime import date

from .common import FieldError

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
    )
}


def _make(column: str, value: str, y: int, m: int, d: int, shape: str) -> date:
    try:
        return date(y, m, d)
    except ValueError as exc:
        raise FieldError(column, value, f"not a valid date ({exc}); expected {shape}") from None


def rif_date(value: str, column: str) -> date | None:
    """`17-MAR-1981` → date(1981, 3, 17); blank → None."""
    v = value.strip()
    if not v:
        return None
    parts = v.split("-")
    if len(parts) == 3 and parts[0].isdigit() and parts[2].isdigit() and len(parts[2]) == 4:
        month = _MONTHS.get(parts[1].upper())
        if month is not None:
            return _make(column, value, int(parts[2]), month, int(parts[0]), "DD-MON-YYYY")
    raise FieldError(column, value, "not a date: expected DD-MON-YYYY, e.g. 17-MAR-1981")


def iso_date(value: str, column: str) -> date | None:
    """`2018-12-31` (a time part after a space or `T` is ignored) → date; blank → None."""
    v = value.strip()
    if not v:
        return None
    head = v[:10]
    rest = v[10:]
    if (
        len(head) == 10
        and head[4] == "-"
        and head[7] == "-"
        and head[:4].isdigit()
        and head[5:7].isdigit()
        and head[8:].isdigit()
        and (not rest or rest[0] in " T")
    ):
        return _make(column, value, int(head[:4]), int(head[5:7]), int(head[8:]), "YYYY-MM-DD")
    raise FieldError(column, value, "not a date: expected YYYY-MM-DD")
