"""The yearly rules files: every amount sourced and equal to RVU x CF, the loader names the
bad key, an unknown year is an error, and the engine imports nothing from Django."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources

import pytest

from careloop.billing.rules import (
    RulesError,
    UnknownRulesYear,
    available_years,
    load_rules_text,
    rules_for_year,
)

SPEC_AMOUNTS = {
    2025: {"99490": 6049, "99439": 4593, "99491": 8216, "99437": 5758, "99487": 13165, "99489": 7052, "99424": 8087, "99425": 5887, "99426": 6178, "99427": 5046, "99495": 20120, "99496": 27268, "99453": 1973, "99454": 4302, "99457": 4787, "99458": 3849, "99484": 5305, "G0556": 1520, "G0557": 4884, "G0558": 10707, "G0511": 5467},
    2026: {"99490": 6613, "99439": 5044, "99491": 8918, "99437": 6313, "99487": 14429, "99489": 7816, "99424": 8751, "99425": 6146, "99426": 6780, "99427": 5411, "99495": 22011, "99496": 29860, "99453": 2171, "99454": 5211, "99445": 5211, "99457": 5177, "99458": 4142, "99470": 2605, "99484": 5745, "G0556": 1637, "G0557": 5378, "G0558": 11724},
}  # fmt: skip


def _text(year: int) -> str:
    return resources.files("careloop.billing.rules").joinpath(f"{year}.toml").read_text()


def test_the_rules_years_are_2025_and_2026() -> None:
    assert available_years() == (2025, 2026)


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_amount_is_the_spec_amount_with_a_source(year: int) -> None:
    rules = rules_for_year(year)
    assert {code: rule.amount_cents for code, rule in rules.codes.items()} == SPEC_AMOUNTS[year]
    assert all(rule.source for rule in rules.codes.values())
    assert rules.payment_source
    assert rules_for_year(year) is rules  # loaded once


def test_defaults_of_the_config_points() -> None:
    s = rules_for_year(2026).settings
    assert s.practitioner_time_counts_as_staff and s.complex_ccm_choice == "complex_when_met"
    assert (s.max_99437, s.max_99489, s.max_99425, s.max_99427, s.max_99458) == (2, 10, 2, 2, 3)
    assert dict(s.initiating_visit_window_months) == {"CCM": 12, "PCM": 12, "BHI": 12, "APCM": 36}
    assert dict(s.inpatient_minutes_count) == {
        "CCM": False,
        "PCM": False,
        "RPM": False,
        "BHI": True,
    }
    assert s.g0511_last_service_month == "2025-09" and s.rpm_requires_program_consent
    assert (
        s.require_visit_every_months == 0
        and "G2252" in s.apcm_exclusions
        and "90951" not in s.apcm_exclusions
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'amount = "66.13"',
            'amount = "66.14"',
            "2026.toml: codes.99490.amount: 66.14 is not rvu 1.98 x conversion factor 33.4009 = 66.13",
        ),
        (
            'max_units = "max_99437"',
            'max_units = "max_9943"',
            "2026.toml: codes.99437.max_units: 'max_9943' is not a unit-cap CONFIG setting",
        ),
        (
            "max_99458 = 3",
            "max_99458 = -3",
            "2026.toml: config.max_99458: must be a whole number ≥ 0, got -3",
        ),
        (
            "max_99458 = 3",
            "max_99458 = 3\nmax_99999 = 1",
            "2026.toml: config.max_99999: unknown CONFIG setting",
        ),
        (
            'performer = "device"',
            'performer = "robot"',
            "2026.toml: codes.99454.performer: expected one of clinical_staff, billing_practitioner, staff_or_practitioner, practice, device, got 'robot'",
        ),
        (
            '[codes.99491]\nrule = "CCM-012"\nprogram = "CCM"',
            '[codes.99491]\nrule = "CCM-012"\nprogram = "PCM"',
            "2026.toml: codes.99491.program: 99491 is billed on CCM lines, got 'PCM'",
        ),
        (
            '[codes.99458]\nrule = "RPM-014"\nprogram = "RPM"',
            '[codes.99458]\nrule = "RPM-014"\nprogram = "CCM"',
            "2026.toml: codes.99458.program: an add-on bills on the lines of its base code 99457 (RPM), got 'CCM'",
        ),
        (
            "year = 2026",
            "year = 2027",
            "2026.toml: year: is 2027, but the file is the rules of 2026",
        ),
        (
            'b = ["90951-90970"]',
            'b = ["90970-90951"]',
            "2026.toml: exclusions[5].b[0]: expected a range like 90951-90970, got '90970-90951'",
        ),
    ],
)
def test_the_loader_names_the_bad_key(old: str, new: str, message: str) -> None:
    text = _text(2026)
    assert old in text
    with pytest.raises(RulesError) as caught:
        load_rules_text(text.replace(old, new, 1), "2026.toml", expect_year=2026)
    assert str(caught.value) == message


def test_an_unknown_year_is_an_error_not_a_fallback() -> None:
    with pytest.raises(UnknownRulesYear, match="no billing rules for year 2024"):
        rules_for_year(2024)


def test_the_engine_and_rules_import_nothing_from_django() -> None:
    code = (
        "import sys, careloop.billing.engine, careloop.billing.engine.explain, careloop.billing.rules;"
        "from careloop.billing.engine.explain import explain;"
        "import json; explain(json.load(open(sys.argv[1]))['scenario']);"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    from billing_vectors import SHARED

    done = subprocess.run(
        [sys.executable, "-c", code, str(SHARED / "mix-01.json")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_published_schema_names_every_field_and_setting() -> None:
    import json
    from pathlib import Path

    from careloop.billing.engine import scenario
    from careloop.billing.rules.settings import SETTING_NAMES

    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "docs" / "billing-scenario.schema.json").read_text()
    )
    assert set(schema["properties"]) == set(scenario._TOP)
    assert set(schema["properties"]["config"]["properties"]) == set(SETTING_NAMES)
