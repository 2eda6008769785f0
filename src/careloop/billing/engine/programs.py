"""The time-based programs and APCM: CCM (BILL-002/003), PCM (BILL-004), BHI (BILL-007),
RPM (BILL-006) and APCM (BILL-008). Each returns an Outcome: lines, or reasons, and notes."""

from __future__ import annotations

from careloop.billing.engine.choice import Choice, ccm_choice, pcm_choice
from careloop.billing.engine.context import (
    Context,
    Minutes,
    Outcome,
    plural,
    series,
    start_program,
)
from careloop.billing.engine.model import Reason, new_line, new_minutes_fact, new_reason

Option = list[tuple[str, int]]

_NO_CONTACT = Reason(
    "BILL-006", "no interactive contact in the month: RPM management codes need one"
)  # BILL-006


def _emit(
    ctx: Context,
    outcome: Outcome,
    option: Option,
    entries: tuple[int, ...],
    basis: tuple[tuple[str, object], ...],
) -> None:
    line_rules = ctx.plan.line_rules
    program = outcome.program
    append = outcome.lines.append
    for code, units in option:
        amount, rules = line_rules[code]  # the code's payment and rule (plan.py)
        append(new_line((code, units, program, amount * units, rules, entries, basis, None)))


def _staff_entries(ctx: Context, minutes: Minutes) -> tuple[int, ...]:
    """The time entries behind a program's staff minutes: the staff entries, with the
    practitioner's when CCM-064 (`practitioner_time_counts_as_staff`) counts them as staff."""
    if ctx.plan.staff_counts_practitioner and minutes.practitioner_entries:
        return tuple(sorted(minutes.staff_entries + minutes.practitioner_entries))
    return tuple(minutes.staff_entries)


def _finish(ctx: Context, outcome: Outcome, choice: Choice, staff_total: int) -> Outcome:
    """Bill the chosen option of a staff/practitioner pair (BILL-002, BILL-004), or say how
    many minutes the staff series lacks (BILL-010). `staff_total` is the staff minutes
    (with the practitioner's under CCM-064)."""
    if choice.notes:
        outcome.notes.extend(choice.notes)
    option = choice.option
    if option is None:
        assert choice.shortfall is not None
        outcome.reasons.append(choice.shortfall)
        return outcome
    if outcome.reasons:
        return outcome
    if choice.by_practitioner:
        entries, used = tuple(outcome.practitioner_entries), outcome.practitioner
    else:
        entries, used = _staff_entries(ctx, outcome), staff_total
    program = outcome.program
    facts = ctx.basis(program) + (
        ("chronic conditions", len(ctx.conditions)),
        ("countable minutes", new_minutes_fact((used, outcome.staff, outcome.practitioner))),
    )
    _emit(ctx, outcome, option, entries, facts)
    outcome.next_note = choice.next_note
    return outcome


def evaluate_ccm(ctx: Context) -> Outcome:
    """BILL-002, BILL-003: the CCM option of the month's minutes (engine/choice.py)."""
    outcome = start_program(ctx, "CCM")
    pm = ctx.pm
    complex_ok = (
        pm.mdm in ("moderate", "high") and pm.care_plan.substantially_revised
    )  # CCM-003, CCM-054
    plan = ctx.plan
    total = outcome.staff  # S, + P when CCM-064 counts the practitioner's minutes as staff
    if plan.staff_counts_practitioner:
        total += outcome.practitioner
    choice = ccm_choice(plan, total, outcome.practitioner, complex_ok)
    return _finish(ctx, outcome, choice, total)


def evaluate_pcm(ctx: Context) -> Outcome:
    """BILL-004: (a) 99426 + 99427 on S + P, (b) 99424 + 99425 on P; higher payment, tie (a)."""
    outcome = start_program(ctx, "PCM")
    plan = ctx.plan
    total = outcome.staff  # S, + P when CCM-064 counts the practitioner's minutes as staff
    if plan.staff_counts_practitioner:
        total += outcome.practitioner
    choice = pcm_choice(plan, total, outcome.practitioner)
    return _finish(ctx, outcome, choice, total)


def evaluate_bhi(ctx: Context) -> Outcome:
    """BILL-007: 99484 on 20 countable BHI minutes (BHI-010; inpatient minutes count, CCM-062)."""
    outcome = start_program(ctx, "BHI")
    plan = ctx.plan
    total = outcome.staff  # S, + P when CCM-064 counts the practitioner's minutes as staff
    if plan.staff_counts_practitioner:
        total += outcome.practitioner
    option = series(plan, "99484", total)
    if option is None:
        outcome.reasons.append(
            new_reason(
                (
                    "BHI-010",
                    f"{plural(20 - total, 'more minute')} of clinical staff time for 99484 ({total} of 20 countable)",
                )
            )
        )
        return outcome
    if outcome.reasons:
        return outcome
    facts = ctx.basis("BHI") + (
        ("countable minutes", new_minutes_fact((total, outcome.staff, outcome.practitioner))),
    )
    _emit(ctx, outcome, option, _staff_entries(ctx, outcome), facts)
    return outcome


def evaluate_rpm(ctx: Context) -> Outcome:
    """BILL-006: device supply by reading days, management by minutes with an interactive
    contact, set-up once per episode (RPM-010..015)."""
    outcome = start_program(ctx, "RPM")
    codes = ctx.plan.codes
    rpm = ctx.pm.rpm
    days = rpm.reading_days if rpm is not None else 0
    contact = rpm is not None and rpm.interactive_contact
    option: Option = []
    device_reasons: list[Reason] = []
    manage_reasons: list[Reason] = []
    d16 = codes["99454"]
    d2 = codes.get("99445")  # from rules year 2026
    if days >= (d16.reading_days_min or 16):  # RPM-011
        option.append(("99454", 1))
    elif d2 is not None and days >= (d2.reading_days_min or 2):  # RPM-012
        option.append(("99445", 1))
    else:
        target = d2 if d2 is not None else d16
        floor = target.reading_days_min or 0
        device_reasons.append(
            new_reason(
                (
                    target.rule,
                    f"{plural(floor - days, 'more reading day')} for {target.code} ({days} of {floor})",
                )
            )
        )
    setup = codes["99453"]
    if rpm is not None and rpm.setup_this_month:  # RPM-010
        if days >= (setup.reading_days_min or 0):
            option.append(("99453", 1))
        else:
            outcome.notes.append(
                f"RPM: set-up 99453 needs {setup.reading_days_min} reading days in its first period ({days})"
            )
    total = outcome.staff + outcome.practitioner  # staff or practitioner (RPM-013)
    manage = series(ctx.plan, "99457", total)
    short10 = codes.get("99470")  # from rules year 2026 (RPM-015)
    if manage is None and short10 is not None:
        manage = series(ctx.plan, "99470", total)
    if manage is not None and not contact:
        manage_reasons.append(_NO_CONTACT)
        manage = None
    elif manage is None:
        target = short10 if short10 is not None else codes["99457"]
        need = target.minutes or 0
        manage_reasons.append(
            new_reason(
                (
                    target.rule,
                    f"{plural(need - total, 'more minute')} of RPM management time for {target.code} ({total} of {need})",
                )
            )
        )
        if not contact:
            manage_reasons.append(_NO_CONTACT)
    if manage is not None:
        option.extend(manage)
    if not option:
        outcome.reasons.extend(device_reasons + manage_reasons)
        return outcome
    if outcome.reasons:
        return outcome
    for reason in device_reasons + manage_reasons:
        outcome.notes.append(f"RPM: {reason.text} ({reason.rule})")
    facts = ctx.basis("RPM") + (
        ("reading days", days),
        ("countable minutes", new_minutes_fact((total, outcome.staff, outcome.practitioner))),
    )
    entries = tuple(sorted(outcome.staff_entries + outcome.practitioner_entries))
    for code, units in option:
        rule = codes[code]
        uses_time = rule.performer == "staff_or_practitioner"
        outcome.lines.append(
            new_line(
                (
                    code,
                    units,
                    "RPM",
                    rule.amount_cents * units,
                    (rule.rule, "BILL-006"),
                    entries if uses_time else (),
                    facts,
                    None,
                )
            )
        )
    return outcome


def evaluate_apcm(ctx: Context) -> Outcome:
    """BILL-008: one line of the APCM-001 level; consent, signed plan and a 3-year visit."""
    outcome = start_program(ctx, "APCM")
    if outcome.reasons:
        return outcome
    count = len(ctx.conditions)
    qmb = ctx.pm.patient.qmb
    found = None
    for needed, for_qmb, level in ctx.plan.apcm_levels:  # highest level first
        if needed <= count and (qmb or not for_qmb):
            found = level
            break
    assert found is not None, "the rules year has no APCM level for the patient"
    rule = found
    facts = ctx.basis("APCM") + (("chronic conditions", count), ("QMB", qmb))
    outcome.lines.append(
        new_line(
            (
                rule.code,
                1,
                "APCM",
                rule.amount_cents,
                (rule.rule, "APCM-001", "BILL-008"),
                (),
                facts,
                None,
            )
        )
    )
    return outcome
