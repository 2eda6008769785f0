"""The billing engine's data: one patient-month in, an explanation out (frozen dataclasses).

Field names follow the scenario schema of `careloop billing explain`
(docs/billing-scenario.schema.json); the dates of service are `datetime.date`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from careloop.core.months import (
    first_day_minus_months,
    last_day_of_month,
    month_index,
    month_key,
)

Program = Literal["CCM", "PCM", "BHI", "RPM", "APCM", "TCM"]
Role = Literal["clinical_staff", "billing_practitioner"]
Setting = Literal["office", "fqhc", "rhc"]
Mdm = Literal["straightforward", "low", "moderate", "high"]

PROGRAMS: tuple[Program, ...] = ("CCM", "PCM", "BHI", "RPM", "APCM", "TCM")
ROLES: tuple[Role, ...] = ("clinical_staff", "billing_practitioner")
SETTINGS: tuple[Setting, ...] = ("office", "fqhc", "rhc")
MDM_LEVELS: tuple[Mdm, ...] = ("straightforward", "low", "moderate", "high")
DISCHARGED_FROM = (
    "inpatient",
    "inpatient_psychiatric",
    "ltch",
    "irf",
    "observation",
    "snf",
    "partial_hospitalization",
    "emergency_department",
    "other",
)
DISCHARGED_TO = (
    "home",
    "domiciliary",
    "rest_home",
    "assisted_living",
    "snf",
    "hospital",
    "hospice",
    "other",
)

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Month:
    """A service month: a calendar month, 1st to last day (§0)."""

    year: int
    month: int
    first_day: date
    last_day: date
    key: str  # "YYYY-MM", which orders as text
    year_before: date  # first day of the month 11 months earlier: the 12 months ending with it
    # core.months.month_index of the month (not shown, not compared: it follows from the rest)
    index: int = field(repr=False, compare=False)

    @staticmethod
    @functools.cache
    def of(year: int, month: int) -> Month:
        first = date(year, month, 1)
        return Month(
            year,
            month,
            first,
            last_day_of_month(year, month),
            month_key(year, month),
            first_day_minus_months(first, 11),
            month_index(first),
        )

    def minus_months(self, n: int) -> date:
        """The first day of the month n months before this one."""
        return first_day_minus_months(self.first_day, n)

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True, slots=True)
class Patient:
    chronic_condition_codes: tuple[str, ...] = ()  # ICD-10-CM, dots optional
    seen_by_billing_practitioner_on: date | None = None  # the last qualifying visit (CCM-021)
    qmb: bool = False  # APCM-001
    deceased_on: date | None = None  # ALL-001
    payer: str = "medicare_ffs"  # CCM-002


@dataclass(frozen=True, slots=True)
class CarePlan:
    signed: bool = False  # CCM-053
    substantially_revised: bool = False  # CCM-054, in the month


@dataclass(frozen=True, slots=True)
class TimeEntry:
    role: Role
    program: Program
    minutes: int
    on: date
    during_inpatient_stay: bool = False  # CCM-062


@dataclass(frozen=True, slots=True)
class OtherCode:
    """A code already billed for the patient in the month, by anyone (§1.9)."""

    code: str
    same_practitioner: bool


@dataclass(frozen=True, slots=True)
class Discharge:
    discharged_on: date
    interactive_contact_on: date | None = None
    face_to_face_on: date | None = None
    med_rec_on: date | None = None
    discharged_from: str = "inpatient"  # TCM-001
    discharged_to: str = "home"  # TCM-001


@dataclass(frozen=True, slots=True)
class RpmMonth:
    reading_days: int = 0
    interactive_contact: bool = False
    setup_this_month: bool = False


@dataclass(frozen=True, slots=True)
class PatientMonth:
    """Everything the engine needs to bill one patient in one service month."""

    month: Month
    patient: Patient
    setting: Setting = "office"
    consents: Mapping[str, date] = field(default_factory=lambda: _EMPTY)  # program -> date
    revocations: Mapping[str, date] = field(default_factory=lambda: _EMPTY)  # CCM-033
    care_plan: CarePlan = CarePlan()
    mdm: Mdm = "low"
    time: tuple[TimeEntry, ...] = ()
    other_codes: tuple[OtherCode, ...] = ()
    discharge: Discharge | None = None
    rpm: RpmMonth | None = None
    config: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)  # CONFIG overrides


# --- results ----------------------------------------------------------------------------


# The per-line records are NamedTuples: immutable like frozen dataclasses, and about three
# times cheaper to create, which matters at 50,000 patient-months a second (ADR 0003).


class Line(NamedTuple):
    """One claim line: a code, its units, and what it rests on."""

    code: str
    units: int
    program: str
    amount_cents: int  # national payment of the rules year x units (§2; not the charge)
    rules: tuple[str, ...]
    time_entries: tuple[int, ...] = ()  # indexes into PatientMonth.time
    basis: tuple[tuple[str, object], ...] = ()  # (fact, value): consent date, minutes, ...
    date_of_service: date | None = None  # TCM: the face-to-face visit (BILL-005)

    @property
    def facts(self) -> tuple[str, ...]:
        """The facts the line rests on, as text ("CCM consent 2025-12-01")."""
        out = []
        for name, value in self.basis:
            if value is True:
                out.append(name)
            elif value is False or value is None:
                out.append(f"{name}: no")
            else:
                out.append(f"{name} {value}")
        return tuple(out)


class MinutesFact(NamedTuple):
    """Countable minutes behind a line, formatted only when shown."""

    total: int
    staff: int
    practitioner: int

    def __str__(self) -> str:
        return (
            f"{self.total} ({self.staff} clinical staff, {self.practitioner} billing practitioner)"
        )


class Reason(NamedTuple):
    """Why a program bills nothing, saying what would make it billable."""

    rule: str
    text: str


class NotBillable(NamedTuple):
    program: str
    reasons: tuple[Reason, ...]


# Hot-path constructors: `tuple.__new__` on the record class skips the NamedTuple's Python
# `__new__` frame (same objects: `new_line((...))` == `Line(...)`; every field is given).
new_line = functools.partial(tuple.__new__, Line)
new_reason = functools.partial(tuple.__new__, Reason)
new_not_billable = functools.partial(tuple.__new__, NotBillable)
new_minutes_fact = functools.partial(tuple.__new__, MinutesFact)


@dataclass(frozen=True, slots=True)
class Explanation:
    month: Month
    rules_year: int
    lines: tuple[Line, ...]
    not_billable: tuple[NotBillable, ...]
    notes: tuple[str, ...]
    reversals: tuple[str, ...] = ()  # codes already billed that must be reversed (BILL-005)

    @property
    def amount_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


_new_object = object.__new__


class _ExplanationSlots:
    """The slot layout of `Explanation` without its frozen `__setattr__`: an explanation is
    filled here with plain slot stores, then becomes an `Explanation` by `__class__`
    assignment, which Python allows only between classes of the same layout (same
    slots; checked at every assignment)."""

    __slots__ = Explanation.__slots__

    month: Month
    rules_year: int
    lines: tuple[Line, ...]
    not_billable: tuple[NotBillable, ...]
    notes: tuple[str, ...]
    reversals: tuple[str, ...]


def new_explanation(
    month: Month,
    rules_year: int,
    lines: tuple[Line, ...],
    not_billable: tuple[NotBillable, ...],
    notes: tuple[str, ...],
    reversals: tuple[str, ...],
) -> Explanation:
    """`Explanation(...)` without the frozen dataclass's per-field `object.__setattr__`
    calls (the same frozen object; about 40% cheaper than setting the slots through their
    descriptors)."""
    out: _ExplanationSlots = _new_object(_ExplanationSlots)
    out.month = month
    out.rules_year = rules_year
    out.lines = lines
    out.not_billable = not_billable
    out.notes = notes
    out.reversals = reversals
    out.__class__ = Explanation  # type: ignore[assignment]
    return out  # type: ignore[return-value]
