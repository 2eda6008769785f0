"""A scenario (the JSON input of `careloop billing explain`, docs/billing-scenario.schema.json)
read into a PatientMonth, with every problem named by its place:

    time[3].minutes: must be a whole number ≥ 0, got -5
    unknown field "minuts" in time[0]
    month: expected YYYY-MM, got "2026-3"
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, TypeVar, cast

from careloop.billing.engine.model import (
    DISCHARGED_FROM,
    DISCHARGED_TO,
    MDM_LEVELS,
    PROGRAMS,
    ROLES,
    SETTINGS,
    CarePlan,
    Discharge,
    Month,
    OtherCode,
    Patient,
    PatientMonth,
    RpmMonth,
    TimeEntry,
)
from careloop.billing.rules.settings import SettingError, Settings

T = TypeVar("T")


class ScenarioError(ValueError):
    """A scenario that cannot be billed as given; `problems` lists each place and problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


class _Reader:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, problem: str) -> None:
        self.problems.append(f"{path}: {problem}")

    def fields(
        self, obj: Any, path: str, allowed: tuple[str, ...], required: tuple[str, ...]
    ) -> Mapping[str, Any] | None:
        if not isinstance(obj, Mapping):
            self.fail(path or "scenario", f"expected an object, got {_show(obj)}")
            return None
        where = f" in {path}" if path else ""
        for key in obj:
            if key not in allowed:
                self.problems.append(f'unknown field "{key}"{where}')
        for key in required:
            if key not in obj:
                self.problems.append(f'missing field "{key}"{where}')
        return obj

    def day(self, value: Any, path: str, nullable: bool = False) -> date | None:
        if value is None and nullable:
            return None
        if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(
            path, f"expected a date YYYY-MM-DD{' or null' if nullable else ''}, got {_show(value)}"
        )
        return None

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, got {_show(value)}")
            return False
        return value

    def count(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(path, f"must be a whole number ≥ 0, got {_show(value)}")
            return 0
        return int(value)  # an int already: int() only tells mypy so

    def choice(self, value: Any, path: str, options: tuple[T, ...]) -> T:
        if value not in options:
            self.fail(
                path, f"expected one of {', '.join(str(o) for o in options)}, got {_show(value)}"
            )
            return options[0]
        return cast(T, value)

    def text(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"expected a non-empty string, got {_show(value)}")
            return ""
        return value.strip()

    def items(self, value: Any, path: str, read: Callable[[Any, str], T | None]) -> tuple[T, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {_show(value)}")
            return ()
        out = []
        for i, item in enumerate(value):
            got = read(item, f"{path}[{i}]")
            if got is not None:
                out.append(got)
        return tuple(out)

    def dates_by_program(self, value: Any, path: str) -> Mapping[str, date]:
        if value is None:
            return MappingProxyType({})
        if not isinstance(value, Mapping):
            self.fail(path, f"expected an object of dates by program, got {_show(value)}")
            return MappingProxyType({})
        out: dict[str, date] = {}
        for program, raw in value.items():
            if program not in PROGRAMS:
                self.fail(
                    f"{path}.{program}", f"unknown program (expected one of {', '.join(PROGRAMS)})"
                )
                continue
            day = self.day(raw, f"{path}.{program}")
            if day is not None:
                out[program] = day
        return MappingProxyType(out)


def _month(reader: _Reader, value: Any) -> Month | None:
    if (
        isinstance(value, str)
        and len(value) == 7
        and value[4] == "-"
        and value[:4].isdigit()
        and value[5:].isdigit()
    ):
        number = int(value[5:])
        if 1 <= number <= 12 and int(value[:4]) >= 2:
            return Month.of(int(value[:4]), number)
    reader.fail("month", f"expected YYYY-MM, got {_show(value)}")
    return None


def _patient(reader: _Reader, value: Any) -> Patient:
    allowed = (
        "chronic_condition_codes",
        "seen_by_billing_practitioner_on",
        "qmb",
        "deceased_on",
        "payer",
    )
    obj = reader.fields(
        value, "patient", allowed, ("chronic_condition_codes", "seen_by_billing_practitioner_on")
    )
    if obj is None:
        return Patient()
    codes = reader.items(
        obj.get("chronic_condition_codes"), "patient.chronic_condition_codes", reader.text
    )
    return Patient(
        chronic_condition_codes=codes,
        seen_by_billing_practitioner_on=reader.day(
            obj.get("seen_by_billing_practitioner_on"),
            "patient.seen_by_billing_practitioner_on",
            nullable=True,
        ),
        qmb=reader.boolean(obj.get("qmb", False), "patient.qmb"),
        deceased_on=reader.day(obj.get("deceased_on"), "patient.deceased_on", nullable=True),
        payer=reader.text(obj.get("payer", "medicare_ffs"), "patient.payer"),
    )


def _time_entry(reader: _Reader, value: Any, path: str) -> TimeEntry | None:
    allowed = ("role", "program", "minutes", "date", "during_inpatient_stay")
    obj = reader.fields(value, path, allowed, ("role", "program", "minutes", "date"))
    if obj is None:
        return None
    before = len(reader.problems)
    role = reader.choice(obj.get("role"), f"{path}.role", ROLES)
    program = reader.choice(obj.get("program"), f"{path}.program", PROGRAMS)
    minutes = reader.count(obj.get("minutes"), f"{path}.minutes")
    day = reader.day(obj.get("date"), f"{path}.date")
    inpatient = reader.boolean(
        obj.get("during_inpatient_stay", False), f"{path}.during_inpatient_stay"
    )
    if day is None or len(reader.problems) > before:
        return None
    return TimeEntry(role, program, minutes, day, inpatient)


def _other_code(reader: _Reader, value: Any, path: str) -> OtherCode | None:
    obj = reader.fields(value, path, ("code", "same_practitioner"), ("code", "same_practitioner"))
    if obj is None:
        return None
    return OtherCode(
        reader.text(obj.get("code"), f"{path}.code").upper(),
        reader.boolean(obj.get("same_practitioner"), f"{path}.same_practitioner"),
    )


def _discharge(reader: _Reader, value: Any) -> Discharge | None:
    if value is None:
        return None
    allowed = ("date", "interactive_contact_on", "face_to_face_on", "med_rec_on", "from", "to")
    obj = reader.fields(value, "discharge", allowed, ("date",))
    if obj is None:
        return None
    left = reader.day(obj.get("date"), "discharge.date")
    result = Discharge(
        discharged_on=left or date.min,
        interactive_contact_on=reader.day(
            obj.get("interactive_contact_on"), "discharge.interactive_contact_on", nullable=True
        ),
        face_to_face_on=reader.day(
            obj.get("face_to_face_on"), "discharge.face_to_face_on", nullable=True
        ),
        med_rec_on=reader.day(obj.get("med_rec_on"), "discharge.med_rec_on", nullable=True),
        discharged_from=reader.choice(
            obj.get("from", "inpatient"), "discharge.from", DISCHARGED_FROM
        ),
        discharged_to=reader.choice(obj.get("to", "home"), "discharge.to", DISCHARGED_TO),
    )
    return result if left is not None else None


def _rpm(reader: _Reader, value: Any) -> RpmMonth | None:
    if value is None:
        return None
    obj = reader.fields(
        value,
        "rpm",
        ("reading_days", "interactive_contact", "setup_this_month"),
        ("reading_days", "interactive_contact"),
    )
    if obj is None:
        return None
    days = reader.count(obj.get("reading_days"), "rpm.reading_days")
    if days > 31:
        reader.fail("rpm.reading_days", f"a month has at most 31 days, got {days}")
    return RpmMonth(
        reading_days=days,
        interactive_contact=reader.boolean(
            obj.get("interactive_contact"), "rpm.interactive_contact"
        ),
        setup_this_month=reader.boolean(obj.get("setup_this_month", False), "rpm.setup_this_month"),
    )


def _config(reader: _Reader, value: Any, defaults: Settings | None) -> Mapping[str, Any]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        reader.fail("config", f"expected an object of CONFIG settings, got {_show(value)}")
        return MappingProxyType({})
    if defaults is not None:
        for name, raw in value.items():
            try:  # the names and values are checked now, against the setting's type
                defaults.with_overrides({name: raw})
            except SettingError as exc:
                reader.problems.append(str(exc))
    return MappingProxyType(dict(value))


_TOP = (
    "month",
    "setting",
    "patient",
    "consents",
    "revocations",
    "care_plan",
    "mdm",
    "time",
    "other_codes",
    "discharge",
    "rpm",
    "config",
)


def parse_scenario(data: Any, settings: Settings | None = None) -> PatientMonth:
    """Read a scenario (parsed JSON) into a PatientMonth; raise ScenarioError listing every
    problem. `settings` (the rules year's defaults) lets `config` be checked here too."""
    reader = _Reader()
    obj = reader.fields(data, "", _TOP, ("month", "patient"))
    if obj is None:
        raise ScenarioError(reader.problems)
    month = _month(reader, obj.get("month"))
    care_plan = CarePlan()
    plan = obj.get("care_plan")
    if plan is not None:
        fields = reader.fields(plan, "care_plan", ("signed", "substantially_revised"), ("signed",))
        if fields is not None:
            care_plan = CarePlan(
                signed=reader.boolean(fields.get("signed"), "care_plan.signed"),
                substantially_revised=reader.boolean(
                    fields.get("substantially_revised", False), "care_plan.substantially_revised"
                ),
            )
    result = PatientMonth(
        month=month or Month.of(2000, 1),  # a placeholder: the error is raised below
        patient=_patient(reader, obj.get("patient")),
        setting=reader.choice(obj.get("setting", "office"), "setting", SETTINGS),
        consents=reader.dates_by_program(obj.get("consents"), "consents"),
        revocations=reader.dates_by_program(obj.get("revocations"), "revocations"),
        care_plan=care_plan,
        mdm=reader.choice(obj.get("mdm", "low"), "mdm", MDM_LEVELS),
        time=reader.items(obj.get("time"), "time", lambda v, p: _time_entry(reader, v, p)),
        other_codes=reader.items(
            obj.get("other_codes"), "other_codes", lambda v, p: _other_code(reader, v, p)
        ),
        discharge=_discharge(reader, obj.get("discharge")),
        rpm=_rpm(reader, obj.get("rpm")),
        config=_config(reader, obj.get("config"), settings),
    )
    if reader.problems:
        raise ScenarioError(reader.problems)
    return result


def month_of(data: Any) -> Month:
    """Only the scenario's month (to choose the rules year before the full read)."""
    reader = _Reader()
    value = data.get("month") if isinstance(data, Mapping) else None
    month = _month(reader, value)
    if month is None:
        raise ScenarioError(reader.problems)
    return month
