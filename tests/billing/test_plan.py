"""The precomputed (rules, settings) plan and the hot-path constructors give what the rules
files and the plain constructors give (ADR 0003, Performance)."""

from __future__ import annotations

from datetime import date

import pytest

from careloop.billing.engine.model import (
    Explanation,
    Line,
    MinutesFact,
    Month,
    NotBillable,
    Reason,
    new_explanation,
    new_line,
    new_minutes_fact,
    new_not_billable,
)
from careloop.billing.engine.plan import plan_for
from careloop.billing.rules import rules_for_year

YEARS = (2025, 2026)


def test_record_constructors_build_the_same_records() -> None:
    line = new_line(("99490", 1, "CCM", 6613, ("CCM-010",), (0, 1), (("x", True),), None))
    assert type(line) is Line
    assert line == Line("99490", 1, "CCM", 6613, ("CCM-010",), (0, 1), (("x", True),))
    fact = new_minutes_fact((25, 20, 5))
    assert type(fact) is MinutesFact and str(fact) == str(MinutesFact(25, 20, 5))
    item = new_not_billable(("CCM", (Reason("CCM-010", "t"),)))
    assert type(item) is NotBillable and item == NotBillable("CCM", (Reason("CCM-010", "t"),))
    month = Month.of(2026, 3)
    args = (month, 2026, (line,), (item,), ("note",), ("99495",))
    built = new_explanation(*args)
    assert type(built) is Explanation
    assert built == Explanation(*args) and hash(built) == hash(Explanation(*args))
    with pytest.raises(AttributeError):
        built.notes = ()  # type: ignore[misc]  # still frozen


@pytest.mark.parametrize("year", YEARS)
def test_apcm_levels_match_the_codes(year: int) -> None:
    """BILL-008: the plan's first matching level is the highest-ranked level of the file."""
    rules = rules_for_year(year)
    plan = plan_for(rules, rules.settings)
    for count in range(7):
        for qmb in (False, True):
            best = None
            for rule in rules.codes.values():
                needed = rule.min_chronic_conditions or 0
                if rule.program != "APCM" or needed > count or (rule.qmb and not qmb):
                    continue
                if best is None or (needed, rule.qmb) > best[0]:
                    best = ((needed, rule.qmb), rule)
            found = next(
                level
                for needed, for_qmb, level in plan.apcm_levels
                if needed <= count and (qmb or not for_qmb)
            )
            assert best is not None and found is best[1], (count, qmb)


@pytest.mark.parametrize("year", YEARS)
def test_plan_follows_the_settings(year: int) -> None:
    rules = rules_for_year(year)
    base = plan_for(rules, rules.settings)
    assert plan_for(rules, rules.settings) is base  # built once per pair
    settings = rules.settings.with_overrides(
        {"max_99437": 1, "rpm_requires_program_consent": False, "apcm_exclusions": ["99490"]}
    )
    plan = plan_for(rules, settings)
    assert plan is not base
    assert plan.series["99491"][4] == 1  # CCM-013's cap from the setting
    assert plan.rpm_free and not plan.programs["RPM"].needs_consent  # CCM-034
    exc004 = [row for row in plan.exclusions if row[0] == "EXC-004"]
    assert exc004 and exc004[0][3] == frozenset({"99490"})  # EXC-004's side from the setting
    assert all(
        not e.allowed or e.rule not in {r[0] for r in plan.exclusions} for e in rules.exclusions
    )
    for code, rule in rules.codes.items():
        assert plan.series[code][0] == (rule.minutes or 0)
        assert plan.amounts[code] == rule.amount_cents


def test_business_days_cache_answers_like_the_calendar() -> None:
    from careloop.billing.engine.business_days import business_days_between, is_business_day

    start = date(2025, 12, 22)
    for span in range(0, 20):
        end = date.fromordinal(start.toordinal() + span)
        expected = sum(
            is_business_day(date.fromordinal(start.toordinal() + k)) for k in range(1, span + 1)
        )
        assert business_days_between(start, end) == expected
