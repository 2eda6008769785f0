"""What the claims readers share: the unit of work, field errors, and value cleaners.

A `Unit` is what is stored whole or not at all: one beneficiary (Patient and its Coverage),
one claim (all the lines of one claim id), one lab result. A reader turns a file into units;
a unit with errors is reported and never written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from careloop.interop.fhir.mappers.common import Row


class FieldError(Exception):
    """One bad value: the column it is in, the value as read, and what is wrong."""

    def __init__(self, column: str, value: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.value = value
        self.message = message


@dataclass(slots=True)
class Unit:
    """Rows stored together. `label` is the report type (`Claim (carrier)`, `Patient`, ...)."""

    file: str
    line: int
    label: str
    key: str
    rows: list[Row] = field(default_factory=list)
    errors: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    warnings: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    lines: int = 1  # physical records it was built from
    phase: int = 1  # 0: beneficiaries (patients first), 1: claims and results
    history: list[list[str]] = field(default_factory=list)  # identifiers for the Patient


@dataclass(slots=True)
class Problem:
    """A file-level finding: an error (nothing of the file stored) or a warning."""

    where: dict[str, Any]
    message: str
    error: bool = True
    skipped: int = 0  # records not imported because of it
    label: str = ""


def content_hash(fields: dict[str, Any]) -> str:
    data = orjson.dumps(fields, default=str, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def money(value: str, column: str) -> Decimal | None:
    v = value.strip()
    if not v:
        return None
    try:
        amount = Decimal(v)
    except InvalidOperation:
        raise FieldError(column, value, "not an amount: expected a decimal number") from None
    if not amount.is_finite() or abs(amount) >= Decimal("1e10"):
        raise FieldError(column, value, "amount out of range")
    return amount.quantize(Decimal("0.01"))


def number(value: str, column: str) -> float | None:
    v = value.strip()
    if not v:
        return None
    try:
        return float(Decimal(v))
    except InvalidOperation:
        raise FieldError(column, value, "not a number") from None


def icd(value: str) -> str:
    """ICD-10 codes are stored as claims sources carry them: upper case, no dot (`E119`).

    The FHIR path stores what its source carries (Blue Button also writes them without a dot);
    analytics normalizes both (`chronic_conditions.normalize_icd10`). Decision 0007.
    """
    return "".join(value.split()).replace(".", "").upper()


def unique(codes: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for c in codes:
        if c and c not in seen:
            seen.add(c)
            out.append(c)
    return out
