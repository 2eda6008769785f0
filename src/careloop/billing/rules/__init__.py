"""Billing rules as yearly data: `rules/<year>.toml`, loaded once, validated, cached.

`rules_for_year(2026)` returns a frozen `Rules`. A file that is wrong raises `RulesError`
naming the file and the exact key (`2026.toml: codes.99437.max_units: ...`); a year
without a file raises `UnknownRulesYear` (never a silent fallback to another year).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from importlib import resources
from types import MappingProxyType
from typing import Any

from careloop.billing.rules.settings import (
    SETTING_NAMES,
    SettingError,
    Settings,
    expand_codes,
    settings_from_table,
)

__all__ = [
    "CodeRule",
    "Exclusion",
    "ProgramRule",
    "Rules",
    "RulesError",
    "Settings",
    "SettingError",
    "TcmRule",
    "UnknownRulesYear",
    "available_years",
    "load_rules_text",
    "rules_for_year",
]

PROGRAMS = ("CCM", "PCM", "BHI", "RPM", "APCM", "TCM")
CODE_PROGRAMS = (*PROGRAMS, "FQHC")
# The base codes the billing engine bills by name, and the program whose lines carry them
# (engine/choice.py: BILL-002..004; engine/programs.py: BILL-006, BILL-007). An add-on bills
# on its base code's lines, APCM levels and TCM codes are chosen by their `program`. The
# loader checks each such code's `program`, so every line's code is of its line's program:
# the engine's §1.9 pre-check between programs (engine/plan.py, ADR 0003) rests on that.
BILLED_BY: Mapping[str, str] = MappingProxyType(
    {
        "99487": "CCM",
        "99490": "CCM",
        "99491": "CCM",
        "99424": "PCM",
        "99426": "PCM",
        "99484": "BHI",
        "99445": "RPM",
        "99453": "RPM",
        "99454": "RPM",
        "99457": "RPM",
        "99470": "RPM",
    }
)
PERFORMERS = (
    "clinical_staff",
    "billing_practitioner",
    "staff_or_practitioner",
    "practice",
    "device",
)
MDM_LEVELS = ("straightforward", "low", "moderate", "high")


class RulesError(ValueError):
    """A rules file that is wrong; the message names the file and the key."""


class UnknownRulesYear(LookupError):
    """No rules file for the year."""

    def __init__(self, year: int, available: tuple[int, ...]) -> None:
        have = ", ".join(str(y) for y in available) or "none"
        super().__init__(f"no billing rules for year {year} (rules years available: {have})")
        self.year = year


@dataclass(frozen=True, slots=True)
class CodeRule:
    code: str
    rule: str
    program: str
    what: str
    performer: str
    max_units: int  # 0 with max_units_setting set: read the cap from Settings
    max_units_setting: str | None
    rvu: Decimal
    amount_cents: int
    source: str
    minutes: int | None = None
    addon_to: str | None = None
    reading_days_min: int | None = None
    reading_days_max: int | None = None
    max_days_after_discharge: int | None = None
    mdm: frozenset[str] = frozenset()
    min_chronic_conditions: int | None = None
    qmb: bool = False
    services: tuple[str, ...] = ()

    def cap(self, settings: Settings) -> int:
        """Units a month; 0 means no cap (only where the setting says so, FQ-002)."""
        if self.max_units_setting is None:
            return self.max_units
        return settings.cap(self.max_units_setting)


@dataclass(frozen=True, slots=True)
class ProgramRule:
    program: str
    consent: bool | str  # a bool, or the name of a boolean CONFIG setting (CCM-034)
    initiating_visit: bool  # CCM-021
    signed_care_plan: bool  # CCM-053
    min_chronic_conditions: int  # CCM-001, PCM-001

    def needs_consent(self, settings: Settings) -> bool:
        if isinstance(self.consent, bool):
            return self.consent
        value = getattr(settings, self.consent)
        assert isinstance(value, bool)
        return value


@dataclass(frozen=True, slots=True)
class TcmRule:
    contact_business_days: int  # BILL-005 (1)
    period_days: int  # BILL-005 (4)
    discharged_from: frozenset[str]  # TCM-001
    discharged_to: frozenset[str]  # TCM-001


@dataclass(frozen=True, slots=True)
class Exclusion:
    rule: str
    what: str
    a: frozenset[str]
    b: frozenset[str]
    b_setting: str | None
    allowed: bool

    def side_b(self, settings: Settings) -> frozenset[str]:
        if self.b_setting is None:
            return self.b
        value = getattr(settings, self.b_setting)
        assert isinstance(value, frozenset)
        return value


@dataclass(frozen=True, slots=True)
class Rules:
    year: int
    conversion_factor: Decimal
    payment_source: str
    settings: Settings
    codes: Mapping[str, CodeRule]
    programs: Mapping[str, ProgramRule]
    tcm: TcmRule
    exclusions: tuple[Exclusion, ...]
    addon_for: Mapping[str, str]  # base code -> its add-on code (99490 -> 99439)

    def amount_cents(self, code: str) -> int:
        """The national non-facility payment of one unit, in cents (§2)."""
        return self.codes[code].amount_cents


def available_years() -> tuple[int, ...]:
    folder = resources.files(__name__)
    years = []
    for entry in folder.iterdir():
        stem, dot, ext = entry.name.partition(".")
        if dot and ext == "toml" and stem.isdigit():
            years.append(int(stem))
    return tuple(sorted(years))


@functools.cache
def rules_for_year(year: int) -> Rules:
    """The rules of one year, parsed and validated once per process."""
    entry = resources.files(__name__).joinpath(f"{year}.toml")
    if not entry.is_file():
        raise UnknownRulesYear(year, available_years())
    return load_rules_text(entry.read_text(encoding="utf-8"), f"{year}.toml", expect_year=year)


def load_rules_text(text: str, filename: str, expect_year: int | None = None) -> Rules:
    """Parse and validate one rules file's text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{filename}: not valid TOML: {exc}") from exc
    try:
        return _build(data, expect_year)
    except SettingError as exc:
        raise RulesError(f"{filename}: {exc}") from exc


# --- validation -------------------------------------------------------------------------

_TOP = {"year", "payment", "config", "programs", "tcm", "codes", "exclusions"}
_CODE_KEYS = {
    "rule",
    "program",
    "what",
    "performer",
    "minutes",
    "addon_to",
    "max_units",
    "rvu",
    "amount",
    "source",
    "reading_days_min",
    "reading_days_max",
    "max_days_after_discharge",
    "mdm",
    "min_chronic_conditions",
    "qmb",
    "services",
}
_REQUIRED_CODE_KEYS = (
    "rule",
    "program",
    "what",
    "performer",
    "max_units",
    "rvu",
    "amount",
    "source",
)


def _table(data: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise SettingError(f"{path}{key}", "missing table" if value is None else "expected a table")
    return value


def _keys(table: Mapping[str, Any], allowed: set[str], path: str) -> None:
    for key in table:
        if key not in allowed:
            raise SettingError(f"{path}.{key}", "unknown key")


def _str(table: Mapping[str, Any], key: str, path: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise SettingError(f"{path}.{key}", f"expected a non-empty string, got {value!r}")
    return value


def _int(table: Mapping[str, Any], key: str, path: str, default: int | None = None) -> int | None:
    value = table.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SettingError(f"{path}.{key}", f"must be a whole number ≥ 0, got {value!r}")
    return int(value)  # an int already: int() only tells mypy so


def _decimal(table: Mapping[str, Any], key: str, path: str) -> Decimal:
    value = table.get(key)
    if not isinstance(value, str):
        raise SettingError(f"{path}.{key}", f"expected a decimal as a string, got {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise SettingError(f"{path}.{key}", f"not a decimal: {value!r}") from None
    if not number.is_finite() or number < 0:
        raise SettingError(f"{path}.{key}", f"not a payment figure: {value!r}")
    return number


def _str_list(
    table: Mapping[str, Any], key: str, path: str, options: tuple[str, ...]
) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise SettingError(f"{path}.{key}", f"expected a list, got {value!r}")
    for i, item in enumerate(value):
        if item not in options:
            raise SettingError(
                f"{path}.{key}[{i}]", f"expected one of {', '.join(options)}, got {item!r}"
            )
    return tuple(value)


def _build(data: Mapping[str, Any], expect_year: int | None) -> Rules:
    for key in data:
        if key not in _TOP:
            raise SettingError(key, "unknown key")
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int):
        raise SettingError("year", f"expected the rules year as a number, got {year!r}")
    if expect_year is not None and year != expect_year:
        raise SettingError("year", f"is {year}, but the file is the rules of {expect_year}")
    payment = _table(data, "payment", "")
    _keys(payment, {"conversion_factor", "source"}, "payment")
    cf = _decimal(payment, "conversion_factor", "payment")
    settings = settings_from_table(_table(data, "config", ""), "config")
    codes = {
        code: _code(code, table, cf, settings) for code, table in _table(data, "codes", "").items()
    }
    for code, rule in codes.items():
        if rule.addon_to is not None and rule.addon_to not in codes:
            raise SettingError(
                f"codes.{code}.addon_to", f"{rule.addon_to!r} is not a code of this file"
            )
        billed_by = BILLED_BY.get(code)
        if billed_by is not None and rule.program != billed_by:
            raise SettingError(
                f"codes.{code}.program",
                f"{code} is billed on {billed_by} lines, got {rule.program!r}",
            )
        base = codes[rule.addon_to] if rule.addon_to is not None else None
        if base is not None and rule.program != base.program:
            raise SettingError(
                f"codes.{code}.program",
                f"an add-on bills on the lines of its base code {base.code} ({base.program}), got {rule.program!r}",
            )
    programs = {
        name: _program(name, table, settings)
        for name, table in _table(data, "programs", "").items()
    }
    for name in PROGRAMS:
        if name not in programs:
            raise SettingError(f"programs.{name}", "missing table")
    tcm = _table(data, "tcm", "")
    _keys(tcm, {"contact_business_days", "period_days", "discharged_from", "discharged_to"}, "tcm")
    for key in ("discharged_from", "discharged_to"):
        if not isinstance(tcm.get(key), list) or not tcm[key]:
            raise SettingError(f"tcm.{key}", "expected a non-empty list of settings")
    tcm_rule = TcmRule(
        contact_business_days=_int(tcm, "contact_business_days", "tcm") or 0,
        period_days=_int(tcm, "period_days", "tcm") or 0,
        discharged_from=frozenset(tcm["discharged_from"]),
        discharged_to=frozenset(tcm["discharged_to"]),
    )
    exclusions = data.get("exclusions")
    if not isinstance(exclusions, list):
        raise SettingError("exclusions", "expected an array of tables [[exclusions]]")
    return Rules(
        year=year,
        conversion_factor=cf,
        payment_source=_str(payment, "source", "payment"),
        settings=settings,
        codes=MappingProxyType(codes),
        programs=MappingProxyType(programs),
        tcm=tcm_rule,
        exclusions=tuple(_exclusion(i, table) for i, table in enumerate(exclusions)),
        addon_for=MappingProxyType({r.addon_to: c for c, r in codes.items() if r.addon_to}),
    )


def _code(code: str, table: Any, cf: Decimal, settings: Settings) -> CodeRule:
    path = f"codes.{code}"
    if not isinstance(table, Mapping):
        raise SettingError(path, "expected a table")
    _keys(table, _CODE_KEYS, path)
    for key in _REQUIRED_CODE_KEYS:
        if key not in table:
            raise SettingError(f"{path}.{key}", "missing")
    program = _str(table, "program", path)
    if program not in CODE_PROGRAMS:
        raise SettingError(
            f"{path}.program", f"expected one of {', '.join(CODE_PROGRAMS)}, got {program!r}"
        )
    performer = _str(table, "performer", path)
    if performer not in PERFORMERS:
        raise SettingError(
            f"{path}.performer", f"expected one of {', '.join(PERFORMERS)}, got {performer!r}"
        )
    raw_cap = table["max_units"]
    cap_setting: str | None = None
    if isinstance(raw_cap, str):
        if raw_cap not in SETTING_NAMES or not raw_cap.startswith("max_"):
            raise SettingError(f"{path}.max_units", f"{raw_cap!r} is not a unit-cap CONFIG setting")
        cap_setting, cap = raw_cap, 0
    else:
        cap = _int(table, "max_units", path) or 0
        if cap < 1:
            raise SettingError(
                f"{path}.max_units", f"must be ≥ 1 or a CONFIG setting, got {raw_cap!r}"
            )
    rvu = _decimal(table, "rvu", path)
    amount = _decimal(table, "amount", path)
    expected = (rvu * cf).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount != expected:  # §2: amount = total non-facility RVU x conversion factor
        raise SettingError(
            f"{path}.amount", f"{amount} is not rvu {rvu} x conversion factor {cf} = {expected}"
        )
    qmb = table.get("qmb", False)
    if not isinstance(qmb, bool):
        raise SettingError(f"{path}.qmb", f"expected true or false, got {qmb!r}")
    addon_to = table.get("addon_to")
    if addon_to is not None and not isinstance(addon_to, str):
        raise SettingError(f"{path}.addon_to", f"expected a code, got {addon_to!r}")
    return CodeRule(
        code=code,
        rule=_str(table, "rule", path),
        program=program,
        what=_str(table, "what", path),
        performer=performer,
        max_units=cap,
        max_units_setting=cap_setting,
        rvu=rvu,
        amount_cents=int(amount * 100),
        source=_str(table, "source", path),
        minutes=_int(table, "minutes", path),
        addon_to=addon_to,
        reading_days_min=_int(table, "reading_days_min", path),
        reading_days_max=_int(table, "reading_days_max", path),
        max_days_after_discharge=_int(table, "max_days_after_discharge", path),
        mdm=frozenset(_str_list(table, "mdm", path, MDM_LEVELS)),
        min_chronic_conditions=_int(table, "min_chronic_conditions", path),
        qmb=qmb,
        services=_str_list(table, "services", path, PROGRAMS),
    )


def _program(name: str, table: Any, settings: Settings) -> ProgramRule:
    path = f"programs.{name}"
    if name not in PROGRAMS:
        raise SettingError(path, f"unknown program (expected one of {', '.join(PROGRAMS)})")
    if not isinstance(table, Mapping):
        raise SettingError(path, "expected a table")
    _keys(
        table, {"consent", "initiating_visit", "signed_care_plan", "min_chronic_conditions"}, path
    )
    consent = table.get("consent")
    if isinstance(consent, str):
        if not isinstance(getattr(settings, consent, None), bool):
            raise SettingError(f"{path}.consent", f"{consent!r} is not a boolean CONFIG setting")
    elif not isinstance(consent, bool):
        raise SettingError(
            f"{path}.consent", f"expected true, false or a setting name, got {consent!r}"
        )
    flags = {}
    for key in ("initiating_visit", "signed_care_plan"):
        value = table.get(key)
        if not isinstance(value, bool):
            raise SettingError(f"{path}.{key}", f"expected true or false, got {value!r}")
        flags[key] = value
    return ProgramRule(
        program=name,
        consent=consent,
        initiating_visit=flags["initiating_visit"],
        signed_care_plan=flags["signed_care_plan"],
        min_chronic_conditions=_int(table, "min_chronic_conditions", path) or 0,
    )


def _exclusion(index: int, table: Any) -> Exclusion:
    path = f"exclusions[{index}]"
    if not isinstance(table, Mapping):
        raise SettingError(path, "expected a table")
    _keys(table, {"rule", "what", "a", "b", "b_setting", "allowed"}, path)
    b_setting = table.get("b_setting")
    if b_setting is not None and b_setting != "apcm_exclusions":
        raise SettingError(f"{path}.b_setting", f"{b_setting!r} is not a code-list CONFIG setting")
    if (b_setting is None) == ("b" not in table):
        raise SettingError(f"{path}.b", "give exactly one of b and b_setting")
    allowed = table.get("allowed", False)
    if not isinstance(allowed, bool):
        raise SettingError(f"{path}.allowed", f"expected true or false, got {allowed!r}")
    return Exclusion(
        rule=_str(table, "rule", path),
        what=_str(table, "what", path),
        a=expand_codes(f"{path}.a", table.get("a")),
        b=expand_codes(f"{path}.b", table["b"]) if "b" in table else frozenset(),
        b_setting=b_setting,
        allowed=allowed,
    )
