"""FHIR primitive parsing and code checks used by every mapper.

Errors raise `MappingError(path, message)`; the importer turns them into report entries
that name the file, the line or entry, the resource and the element.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from careloop.core import codesystems as cs


class MappingError(Exception):
    """A resource that cannot be stored: `path` is the FHIRPath-like element, e.g. `period.start`."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


_DATE_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


def parse_date(value: Any, path: str) -> date | None:
    """A FHIR `date` or `dateTime`, reduced to its calendar date (partial dates: first day)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise MappingError(path, f"expected a date string, got {type(value).__name__}")
    head = value[:10]
    try:
        if len(value) >= 10:
            if len(value) > 10:
                # validate the time part too, so "2020-01-01Tgarbage" is not half-accepted
                parse_datetime(value, path)
            return date(int(head[0:4]), int(head[5:7]), int(head[8:10]))
        if not _DATE_RE.match(value):
            raise ValueError
        if len(value) == 7:
            return date(int(value[0:4]), int(value[5:7]), 1)
        return date(int(value[0:4]), 1, 1)
    except (ValueError, IndexError):
        raise MappingError(path, f"unparseable date {value!r}") from None


def parse_datetime(value: Any, path: str) -> datetime | None:
    """A FHIR `dateTime` or `instant` as an aware UTC datetime (dates: midnight UTC)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise MappingError(path, f"expected a dateTime string, got {type(value).__name__}")
    if len(value) <= 10:
        d = parse_date(value, path)
        assert d is not None
        return datetime(d.year, d.month, d.day, tzinfo=UTC)
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise MappingError(path, f"unparseable dateTime {value!r}") from None
    if value[10] != "T":
        raise MappingError(path, f"unparseable dateTime {value!r}")
    if dt.tzinfo is None:
        raise MappingError(path, f"dateTime with a time must carry a time zone: {value!r}")
    return dt.astimezone(UTC)


def parse_decimal(value: Any, path: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MappingError(path, f"unparseable quantity value {value!r}: expected a number")
    return float(value)


def period_dates(period: dict[str, Any] | None, path: str) -> tuple[date | None, date | None]:
    if not period:
        return None, None
    return parse_date(period.get("start"), f"{path}.start"), parse_date(
        period.get("end"), f"{path}.end"
    )


# --- codes -----------------------------------------------------------------------------------

_ICD10CM_RE = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.?[0-9A-TV-Z]{1,4})?$")
_DIGITS_RE = re.compile(r"^\d+$")
_CPT_RE = re.compile(r"^(\d{4}[0-9FTU]|[A-V]\d{4})$")

# Verhoeff tables (SNOMED CT identifiers end in a Verhoeff check digit).
_V_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_V_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]


def verhoeff_ok(digits: str) -> bool:
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _V_D[c][_V_P[i % 8][ord(ch) - 48]]
    return c == 0


def _loinc_ok(code: str) -> bool:
    # LOINC: 1-7 digits, a hyphen, a mod-10 check digit (LOINC Users' Guide, appendix)
    head, sep, check = code.partition("-")
    if not sep or not head.isdigit() or len(head) > 7 or len(check) != 1 or not check.isdigit():
        return False
    digits = head
    odd = "".join(digits[i] for i in range(len(digits) - 1, -1, -2))
    even = "".join(digits[i] for i in range(len(digits) - 2, -1, -2))
    total = sum(int(c) for c in str(int(odd) * 2)) + sum(int(c) for c in even)
    return (10 - total % 10) % 10 == int(check)


def _snomed_ok(code: str) -> bool:
    return 6 <= len(code) <= 18 and code.isdigit() and code[0] != "0" and verhoeff_ok(code)


_CHECKS = {
    cs.ICD10CM: ("ICD-10-CM", lambda c: bool(_ICD10CM_RE.match(c))),
    cs.ICD10: ("ICD-10", lambda c: bool(_ICD10CM_RE.match(c))),
    cs.SNOMED: ("SNOMED CT", _snomed_ok),
    cs.LOINC: ("LOINC", _loinc_ok),
    cs.RXNORM: ("RxNorm", lambda c: bool(_DIGITS_RE.match(c)) and len(c) <= 8),
    cs.CVX: ("CVX", lambda c: bool(_DIGITS_RE.match(c)) and len(c) <= 3),
    cs.CPT: ("CPT", lambda c: bool(_CPT_RE.match(c))),
    cs.HCPCS: ("HCPCS", lambda c: bool(_CPT_RE.match(c))),
    cs.HCPCS_ALT: ("HCPCS", lambda c: bool(_CPT_RE.match(c))),
}

KNOWN_SYSTEMS = frozenset(_CHECKS) | {
    cs.ICD10PCS,
    cs.UCUM,
    "http://terminology.hl7.org/CodeSystem/data-absent-reason",
    "https://bluebutton.cms.gov/resources/codesystem/hcpcs",
    "http://hl7.org/fhir/sid/ndc",
}


@lru_cache(maxsize=200_000)
def check_code(system: str, code: str) -> str | None:
    """A warning text when `code` is malformed for `system` or the system is unknown, else None.

    Cached: the same few thousand (system, code) pairs make up almost every import.
    """
    check = _CHECKS.get(system)
    if check is None:
        if system in KNOWN_SYSTEMS or system.startswith(
            ("https://bluebutton.cms.gov/", cs.CARELOOP)
        ):
            return None
        return f"code system {system!r} is not one careloop knows; code {code!r} stored as it came"
    name, ok = check
    if ok(code):
        return None
    return f"code {code!r} is not a well-formed {name} code; stored as it came"
