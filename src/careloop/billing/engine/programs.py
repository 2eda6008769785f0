"""The time-based programs and APCM: CCM (BILL-002/003), PCM (BILL-004), BHI (BILL-007),
RPM (BILL-006) and APCM (BILL-008). Each returns an Outcome: lines, or reasons, and notes."""

from __future__ import annotations

from careloop.billing.engine.choice import Choice, ccm_choice, pcm_choice
from careloop.billing.engine.context import (
    NO_MINUTES,
    Context,
    Minutes,
    Outcome,
    plural,
    prerequisites,
    series,
    uncounted_notes,
    visit_note,
)
from careloop.billing.engine.model import Line, Reason, new_line, new_minutes_fact

Option = list[tuple[str, int]]


def _start(ctx: Context, program: str) -> tuple[Outcome, Minutes]:
    reasons = prerequisites(ctx, program)  # BILL-009
    outcome = Outcome(program, reasons)
    minutes = ctx.minutes.get(program, NO_MINUTES)
    if minutes.uncounted:
        outcome.notes.extend(uncounted_notes(program, minutes))
    plan = ctx.plan
    if not plan.every and plan.programs[program].initiating_visit:  # CCM-023 (visit_note)
        seen = ctx.pm.patient.seen_by_billing_practitioner_on
        if seen is not None and seen < ctx.month.year_before:  # visit_note's case, first
            note = visit_note(ctx, program)
            if note is not None and not (reasons and any(r.rule == "CCM-021" for r in reasons)):
                outcome.notes.append(note)
    return outcome, minutes


def _minutes_fact(total: int, minutes: Minutes) -> tuple[str, object]:
    return ("countable minutes", new_minutes_fact((total, minutes.staff, minutes.practitioner)))


def _emit(
    ctx: Context,
    outcome: Outcome,
    option: Option,
    entries: tuple[int, ...],
    basis: tuple[tuple[str, object], ...],
) -> None:
    codes = ctx.rules.codes
    program = outcome.program
    append = outcome.lines.append
    for code, units in option:
        rule = codes[code]
        append(
            new_line(
                (
                    code,
                    units,
                    program,
                    rule.amount_cents * units,
                    (rule.rule,),
                    entries,
                    basis,
                    None,
                )
            )
        )


def _staff_minutes(ctx: Context, minutes: Minutes) -> int:
    """Minutes toward the clinical-staff codes: staff, plus the practitioner's own minutes
    when CCM-064 (`practitioner_time_counts_as_staff`) allows."""
    if ctx.plan.staff_counts_practitioner:
        return minutes.staff + minutes.practitioner
    return minutes.staff


def _staff_entries(ctx: Context, minutes: Minutes) -> tuple[int, ...]:
    """The time entries behind `_staff_minutes` (CCM-064)."""
    if ctx.plan.staff_counts_practitioner and minutes.practitioner_entries:
        return tuple(sorted(minutes.staff_entries + minutes.practitioner_entries))
    return tuple(minutes.staff_entries)


def _finish(ctx: Context, outcome: Outcome, minutes: Minutes, choice: Choice) -> Outcome:
    """Bill the chosen option of a staff/practitioner pair (BILL-002, BILL-004), or say how
    many minutes the staff series lacks (BILL-010)."""
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
        entries, used = tuple(minutes.practitioner_entries), minutes.practitioner
    else:
        entries, used = _staff_entries(ctx, minutes), _staff_minutes(ctx, minutes)
    program = outcome.program
    facts = (
        *ctx.basis(program),
        ("chronic conditions", len(ctx.conditions)),
        _minutes_fact(used, minutes),
    )
    _emit(ctx, outcome, option, entries, facts)
    if choice.next_note is not None:
        outcome.next_notes.append(choice.next_note)
    return outcome


def evaluate_ccm(ctx: Context) -> Outcome:
    """BILL-002, BILL-003: the CCM option of the month's minutes (engine/choice.py)."""
    outcome, minutes = _start(ctx, "CCM")
    pm = ctx.pm
    complex_ok = (
        pm.mdm in ("moderate", "high") and pm.care_plan.substantially_revised
    )  # CCM-003, CCM-054
    # S + P with CCM-064
    choice = ccm_choice(ctx.plan, _staff_minutes(ctx, minutes), minutes.practitioner, complex_ok)
    return _finish(ctx, outcome, minutes, choice)


def evaluate_pcm(ctx: Context) -> Outcome:
    """BILL-004: (a) 99426 + 99427 on S + P, (b) 99424 + 99425 on P; higher payment, tie (a)."""
    outcome, minutes = _start(ctx, "PCM")
    # S + P with CCM-064
    choice = pcm_choice(ctx.plan, _staff_minutes(ctx, minutes), minutes.practitioner)
    return _finish(ctx, outcome, minutes, choice)


def evaluate_bhi(ctx: Context) -> Outcome:
    """BILL-007: 99484 on 20 countable BHI minutes (BHI-010; inpatient minutes count, CCM-062)."""
    outcome, minutes = _start(ctx, "BHI")
    total = _staff_minutes(ctx, minutes)  # CCM-064
    option = series(ctx.plan, "99484", total)
    if option is None:
        outcome.reasons.append(
            Reason(
                "BHI-010",
                f"{plural(20 - total, 'more minute')} of clinical staff time for 99484 ({total} of 20 countable)",
            )
        )
        return outcome
    if outcome.reasons:
        return outcome
    facts = (*ctx.basis("BHI"), _minutes_fact(total, minutes))
    _emit(ctx, outcome, option, _staff_entries(ctx, minutes), facts)
    return outcome


def evaluate_rpm(ctx: Context) -> Outcome:
    """BILL-006: device supply by reading days, management by minutes with an interactive
    contact, set-up once per episode (RPM-010..015)."""
    outcome, minutes = _start(ctx, "RPM")
    codes = ctx.rules.codes
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
            Reason(
                target.rule,
                f"{plural(floor - days, 'more reading day')} for {target.code} ({days} of {floor})",
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
    total = minutes.staff + minutes.practitioner  # staff or practitioner (RPM-013)
    manage = series(ctx.plan, "99457", total)
    short10 = codes.get("99470")  # from rules year 2026 (RPM-015)
    if manage is None and short10 is not None:
        manage = series(ctx.plan, "99470", total)
    if manage is not None and not contact:
        manage_reasons.append(
            Reason("BILL-006", "no interactive contact in the month: RPM management codes need one")
        )
        manage = None
    elif manage is None:
        target = short10 if short10 is not None else codes["99457"]
        need = target.minutes or 0
        manage_reasons.append(
            Reason(
                target.rule,
                f"{plural(need - total, 'more minute')} of RPM management time for {target.code} ({total} of {need})",
            )
        )
        if not contact:
            manage_reasons.append(
                Reason(
                    "BILL-006", "no interactive contact in the month: RPM management codes need one"
                )
            )
    if manage is not None:
        option.extend(manage)
    if not option:
        outcome.reasons.extend(device_reasons + manage_reasons)
        return outcome
    if outcome.reasons:
        return outcome
    for reason in device_reasons + manage_reasons:
        outcome.notes.append(f"RPM: {reason.text} ({reason.rule})")
    facts = (*ctx.basis("RPM"), ("reading days", days), _minutes_fact(total, minutes))
    entries = tuple(sorted(minutes.staff_entries + minutes.practitioner_entries))
    for code, units in option:
        rule = codes[code]
        uses_time = rule.performer == "staff_or_practitioner"
        outcome.lines.append(
            Line(
                code,
                units,
                "RPM",
                rule.amount_cents * units,
                (rule.rule, "BILL-006"),
                entries if uses_time else (),
                facts,
            )
        )
    return outcome


def evaluate_apcm(ctx: Context) -> Outcome:
    """BILL-008: one line of the APCM-001 level; consent, signed plan and a 3-year visit."""
    outcome, _ = _start(ctx, "APCM")
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
    facts = (*ctx.basis("APCM"), ("chronic conditions", count), ("QMB", qmb))
    outcome.lines.append(
        Line(
            rule.code, 1, "APCM", rule.amount_cents, (rule.rule, "APCM-001", "BILL-008"), (), facts
        )
    )
    return outcome
