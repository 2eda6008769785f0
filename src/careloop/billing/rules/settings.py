"""The CONFIG points of medicare-rules.md as one typed, frozen settings object.

The defaults live in each rules year's TOML file (`[config]`); a call can override any
of them by name (a scenario's `config`, later an organization's settings) without
touching the files. Every value is checked here, and an error names the exact key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

PROGRAMS_WITH_VISIT = ("CCM", "PCM", "BHI", "APCM")  # CCM-021
PROGRAMS_WITH_INPATIENT_RULE = ("CCM", "PCM", "RPM", "BHI")  # CCM-062
COMPLEX_CCM_CHOICES = ("complex_when_met", "by_payment")  # BILL-002
RPM_PERIODS = ("calendar_month",)  # §1.7 RPM notes


class SettingError(ValueError):
    """A CONFIG value that is wrong; `path` names the key (`config.max_99437`)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Settings:
    accepted_payers: frozenset[str]  # CCM-002
    practitioner_time_counts_as_staff: bool  # CCM-064
    complex_ccm_choice: str  # BILL-002
    max_99437: int  # CCM-013
    max_99489: int  # CCM-015
    max_99425: int  # PCM-011
    max_99427: int  # PCM-013
    max_99458: int  # RPM-014
    max_g0511: int  # FQ-002, 0 = no cap
    require_visit_every_months: int  # CCM-023, 0 = none
    g0511_last_service_month: str  # FQ-003, YYYY-MM (compares as text)
    fqhc_uses_g0511: bool  # FQ-003
    rpm_requires_program_consent: bool  # CCM-034
    rpm_period: str  # §1.7 RPM notes
    initiating_visit_window_months: Mapping[str, int]  # CCM-021
    inpatient_minutes_count: Mapping[str, bool]  # CCM-062
    apcm_exclusions: frozenset[str]  # EXC-004

    def cap(self, name: str) -> int:
        """A unit cap by setting name (`max_99437`)."""
        value = getattr(self, name)
        assert isinstance(value, int)
        return value

    def with_overrides(self, overrides: Mapping[str, Any], prefix: str = "config") -> Settings:
        """A copy with the named settings replaced; unknown names and bad values raise."""
        if not overrides:
            return self
        changes: dict[str, Any] = {}
        for name, raw in overrides.items():
            coerce = _COERCE.get(name)
            if coerce is None:
                raise SettingError(f"{prefix}.{name}", "unknown CONFIG setting")
            value = coerce(f"{prefix}.{name}", raw)
            if isinstance(value, Mapping):
                value = MappingProxyType({**getattr(self, name), **value})
            changes[name] = value
        return dataclasses.replace(self, **changes)


def settings_from_table(table: Mapping[str, Any], prefix: str) -> Settings:
    """Build the defaults from a rules file's `[config]` table: every setting is required."""
    values: dict[str, Any] = {}
    for name, coerce in _COERCE.items():
        if name not in table:
            raise SettingError(f"{prefix}.{name}", "missing CONFIG setting")
        value = coerce(f"{prefix}.{name}", table[name])
        if isinstance(value, Mapping):
            value = MappingProxyType(dict(value))
        values[name] = value
    for name in table:
        if name not in _COERCE:
            raise SettingError(f"{prefix}.{name}", "unknown CONFIG setting")
    settings = Settings(**values)
    for program in PROGRAMS_WITH_VISIT:
        if program not in settings.initiating_visit_window_months:
            raise SettingError(f"{prefix}.initiating_visit_window_months.{program}", "missing")
    for program in PROGRAMS_WITH_INPATIENT_RULE:
        if program not in settings.inpatient_minutes_count:
            raise SettingError(f"{prefix}.inpatient_minutes_count.{program}", "missing")
    return settings


def expand_codes(path: str, raw: Any) -> frozenset[str]:
    """A list of codes and numeric ranges ("90951-90970") as a set of codes."""
    if not isinstance(raw, list):
        raise SettingError(path, f"expected a list of codes, got {raw!r}")
    codes: set[str] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, str) or not item:
            raise SettingError(f"{path}[{i}]", f"expected a code, got {item!r}")
        low, dash, high = item.partition("-")
        if not dash:
            codes.add(item)
            continue
        if not (low.isdigit() and high.isdigit() and len(low) == len(high) and low <= high):
            raise SettingError(f"{path}[{i}]", f"expected a range like 90951-90970, got {item!r}")
        codes.update(str(n).zfill(len(low)) for n in range(int(low), int(high) + 1))
    return frozenset(codes)


def _bool(path: str, raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise SettingError(path, f"expected true or false, got {raw!r}")
    return raw


def _count(path: str, raw: Any) -> int:
    if raw is None:  # "none": no cap / not required
        return 0
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise SettingError(path, f"must be a whole number ≥ 0, got {raw!r}")
    return int(raw)  # an int already: int() only tells mypy so


def _choice(options: tuple[str, ...]) -> Callable[[str, Any], str]:
    def coerce(path: str, raw: Any) -> str:
        if raw not in options:
            raise SettingError(path, f"expected one of {', '.join(options)}, got {raw!r}")
        return str(raw)

    return coerce


def _month(path: str, raw: Any) -> str:
    ok = (
        isinstance(raw, str)
        and len(raw) == 7
        and raw[4] == "-"
        and raw[:4].isdigit()
        and raw[5:].isdigit()
        and 1 <= int(raw[5:]) <= 12
    )
    if not ok:
        raise SettingError(path, f"expected YYYY-MM, got {raw!r}")
    return str(raw)


def _payers(path: str, raw: Any) -> frozenset[str]:
    if not isinstance(raw, list) or not all(isinstance(p, str) and p for p in raw):
        raise SettingError(path, f"expected a list of payer names, got {raw!r}")
    return frozenset(raw)


def _per_program(
    programs: tuple[str, ...], coerce: Callable[[str, Any], Any]
) -> Callable[[str, Any], Mapping[str, Any]]:
    def per_program(path: str, raw: Any) -> Mapping[str, Any]:
        if not isinstance(raw, Mapping):
            raise SettingError(path, f"expected an object by program ({', '.join(programs)})")
        out: dict[str, Any] = {}
        for program, value in raw.items():
            if program not in programs:
                raise SettingError(f"{path}.{program}", f"expected one of {', '.join(programs)}")
            out[program] = coerce(f"{path}.{program}", value)
        return out

    return per_program


_COERCE: dict[str, Callable[[str, Any], Any]] = {
    "accepted_payers": _payers,
    "practitioner_time_counts_as_staff": _bool,
    "complex_ccm_choice": _choice(COMPLEX_CCM_CHOICES),
    "max_99437": _count,
    "max_99489": _count,
    "max_99425": _count,
    "max_99427": _count,
    "max_99458": _count,
    "max_g0511": _count,
    "require_visit_every_months": _count,
    "g0511_last_service_month": _month,
    "fqhc_uses_g0511": _bool,
    "rpm_requires_program_consent": _bool,
    "rpm_period": _choice(RPM_PERIODS),
    "initiating_visit_window_months": _per_program(PROGRAMS_WITH_VISIT, _count),
    "inpatient_minutes_count": _per_program(PROGRAMS_WITH_INPATIENT_RULE, _bool),
    "apcm_exclusions": expand_codes,
}

SETTING_NAMES = tuple(_COERCE)
