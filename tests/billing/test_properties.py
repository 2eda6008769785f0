"""Properties of the billing engine (hypothesis), over generated patient-months."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careloop.billing.engine import (
    CarePlan,
    Discharge,
    Month,
    OtherCode,
    Patient,
    PatientMonth,
    RpmMonth,
    TimeEntry,
    evaluate,
)
from careloop.billing.engine.plan import PLANS
from careloop.billing.rules import rules_for_year

PROGRAMS = ("CCM", "PCM", "BHI", "RPM", "APCM")
CODES = ("E11.9", "E11.65", "I10", "I50.9", "N18.4", "J44.9", "Z00.00")
OTHER = ("G0181", "90960", "99091", "99492", "99490", "99424", "99213", "G2252")
MDM = ("straightforward", "low", "moderate", "high")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def patient_months(draw: st.DrawFn) -> PatientMonth:
    month = Month.of(draw(st.sampled_from((2025, 2026))), draw(st.integers(1, 12)))
    first, last = month.first_day, month.last_day
    days = (last - first).days
    day = st.integers(-5, days + 5).map(lambda n: first + timedelta(days=n))
    programs = draw(st.lists(st.sampled_from(PROGRAMS), min_size=1, max_size=3, unique=True))
    consents = {
        p: draw(st.integers(-10, 500).map(lambda n: first - timedelta(days=n)))
        for p in programs
        if draw(st.booleans()) or p == "CCM"
    }
    entries = draw(
        st.lists(
            st.builds(
                TimeEntry,
                st.sampled_from(("clinical_staff", "billing_practitioner")),
                st.sampled_from(programs),
                st.integers(0, 70),
                day,
                st.booleans(),
            ),
            max_size=8,
        )
    )
    discharge = None
    if draw(st.booleans()):
        left = draw(day)
        discharge = Discharge(
            left,
            draw(st.none() | st.integers(0, 5).map(lambda n: left + timedelta(days=n))),
            draw(st.none() | st.integers(0, 16).map(lambda n: left + timedelta(days=n))),
            draw(st.none() | st.integers(0, 10).map(lambda n: left + timedelta(days=n))),
        )
    rpm = None
    if "RPM" in programs:
        rpm = RpmMonth(draw(st.integers(0, 31)), draw(st.booleans()), draw(st.booleans()))
    seen = draw(st.none() | st.integers(-3, 1400).map(lambda n: first - timedelta(days=n)))
    died = draw(st.none() | day)
    return PatientMonth(
        month=month,
        patient=Patient(
            tuple(draw(st.lists(st.sampled_from(CODES), max_size=4))),
            seen,
            draw(st.booleans()),
            died,
        ),
        setting=draw(st.sampled_from(("office", "office", "fqhc", "rhc"))),
        consents=consents,
        care_plan=CarePlan(draw(st.booleans()), draw(st.booleans())),
        mdm=draw(st.sampled_from(MDM)),
        time=tuple(entries),
        other_codes=tuple(
            draw(st.lists(st.builds(OtherCode, st.sampled_from(OTHER), st.booleans()), max_size=2))
        ),
        discharge=discharge,
        rpm=rpm,
    )


@SETTINGS
@given(patient_months(), st.data())
def test_adding_minutes_never_lowers_the_billed_payment(
    pm: PatientMonth, data: st.DataObject
) -> None:
    before = evaluate(pm).amount_cents
    extra = TimeEntry(
        data.draw(st.sampled_from(("clinical_staff", "billing_practitioner"))),
        data.draw(st.sampled_from(PROGRAMS)),
        data.draw(st.integers(1, 60)),
        pm.month.first_day + timedelta(days=data.draw(st.integers(0, 27))),
        data.draw(st.booleans()),
    )
    after = evaluate(replace(pm, time=(*pm.time, extra))).amount_cents
    assert after >= before


def _answer(pm: PatientMonth) -> tuple[frozenset[tuple[str, int]], frozenset[str]]:
    result = evaluate(pm)
    return frozenset((line.code, line.units) for line in result.lines), frozenset(
        n.program for n in result.not_billable
    )


@SETTINGS
@given(patient_months(), st.data())
def test_splitting_an_entry_between_two_people_of_one_role_bills_the_same(
    pm: PatientMonth, data: st.DataObject
) -> None:
    if not pm.time:
        return
    i = data.draw(st.integers(0, len(pm.time) - 1))
    entry = pm.time[i]
    part = data.draw(st.integers(0, entry.minutes))
    split = (replace(entry, minutes=part), replace(entry, minutes=entry.minutes - part))
    assert _answer(replace(pm, time=(*pm.time[:i], *split, *pm.time[i + 1 :]))) == _answer(pm)


@SETTINGS
@given(patient_months(), st.randoms(use_true_random=False))
def test_the_order_of_time_entries_never_matters(pm: PatientMonth, rng) -> None:
    shuffled = list(pm.time)
    rng.shuffle(shuffled)
    assert _answer(replace(pm, time=tuple(shuffled))) == _answer(pm)


@SETTINGS
@given(patient_months())
def test_no_line_without_consent_before_the_consent_date_or_after_death(pm: PatientMonth) -> None:
    result = evaluate(pm)
    died = pm.patient.deceased_on
    if died is not None and died < pm.month.first_day:
        assert not result.lines
    for line in result.lines:
        if line.program in PROGRAMS and not (
            line.program == "RPM"
            and not rules_for_year(pm.month.year).settings.rpm_requires_program_consent
        ):
            consent = pm.consents.get(line.program)
            assert consent is not None and consent <= pm.month.last_day
        for index in line.time_entries:
            entry = pm.time[index]
            program_consent = pm.consents.get(entry.program)
            assert program_consent is not None and entry.on >= program_consent
            assert died is None or entry.on <= died
            assert pm.month.first_day <= entry.on <= pm.month.last_day


@SETTINGS
@given(patient_months())
def test_never_two_mutually_exclusive_codes_in_one_patient_month(pm: PatientMonth) -> None:
    rules = rules_for_year(pm.month.year)
    codes = {line.code for line in evaluate(pm).lines}
    same = {other.code for other in pm.other_codes if other.same_practitioner}
    for exclusion in rules.exclusions:
        if exclusion.allowed:
            continue
        b = exclusion.side_b(rules.settings)
        assert not (codes & exclusion.a and codes & b), exclusion.rule
        assert not (codes & exclusion.a and same & b), exclusion.rule
        assert not (codes & b and same & exclusion.a), exclusion.rule


@SETTINGS
@given(patient_months())
def test_every_program_with_minutes_or_consent_that_bills_nothing_has_a_reason(
    pm: PatientMonth,
) -> None:
    result = evaluate(pm)
    month = pm.month
    expected = {
        e.program
        for e in pm.time
        if month.first_day <= e.on <= month.last_day and e.program in PROGRAMS
    }
    expected |= {p for p, d in pm.consents.items() if d <= month.last_day}
    billed = {line.program for line in result.lines}
    if "G0511" in {line.code for line in result.lines}:
        return  # folded programs bill as G0511 (FQ-002)
    listed = {item.program: item.reasons for item in result.not_billable}
    for program in expected - billed:
        assert listed.get(program), f"{program} bills nothing and has no reason"
    assert all(listed.values())


CONFIG_VARIANTS = (
    {},
    {"complex_ccm_choice": "by_payment"},
    {"practitioner_time_counts_as_staff": False},
    {"practitioner_time_counts_as_staff": False, "complex_ccm_choice": "by_payment"},
    {"max_99437": 1, "max_99489": 1},
    {"require_visit_every_months": 6},
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patient_months(), st.sampled_from(CONFIG_VARIANTS), st.data())
def test_an_answer_never_depends_on_what_was_evaluated_before(
    pm: PatientMonth, config: dict, data: st.DataObject
) -> None:
    """The plan remembers decisions per (rules, settings): option choices by minutes,
    exclusion rows by billed codes (ADR 0003). Months that differ in one time entry, the MDM
    and the care plan's revision, each on a fresh plan, answer as they do one after another
    on a shared plan."""
    extra = st.builds(  # mostly practitioner minutes for CCM/PCM: the choices' inputs
        TimeEntry,
        st.sampled_from(("clinical_staff", "billing_practitioner", "billing_practitioner")),
        st.sampled_from(("CCM", "CCM", "PCM", *PROGRAMS)),
        st.integers(0, 40),
        st.integers(0, 27).map(lambda n: pm.month.first_day + timedelta(days=n)),
    )
    variants = st.tuples(extra, st.sampled_from(MDM), st.booleans())
    pms = [
        replace(
            pm,
            config=config,
            time=(*pm.time, entry),
            mdm=mdm,
            care_plan=CarePlan(pm.care_plan.signed, revised),
        )
        for entry, mdm, revised in data.draw(st.lists(variants, min_size=2, max_size=5))
    ]
    alone = []
    for variant in pms:
        PLANS.clear()
        alone.append(evaluate(variant))
    assert [evaluate(variant) for variant in pms] == alone


def test_a_patient_month_is_evaluated_against_its_own_rules_year() -> None:
    pm = PatientMonth(
        month=Month.of(2025, 11),
        patient=Patient(("E11.9", "I10"), date(2025, 5, 1)),
        consents={"CCM": date(2025, 6, 1)},
        care_plan=CarePlan(True),
        time=(TimeEntry("clinical_staff", "CCM", 20, date(2025, 11, 3)),),
    )
    assert evaluate(pm).rules_year == 2025
    assert evaluate(pm).amount_cents == 6049
