"""The option choice of CCM (BILL-002, BILL-003) and PCM (BILL-004) for a month's minutes.

Which codes a staff/practitioner pair of series bills, the notes about the choice, the
shortfall reason when nothing meets a threshold (BILL-010) and the minutes to the next
add-on unit depend only on the plan (rules year and settings) and three numbers: the
minutes toward the clinical-staff codes, the practitioner's own minutes and whether
complex CCM's criteria are met. So they are decided once per plan and such triple and
remembered (ADR 0003); the patient-month adds only its entries and facts.
"""

from __future__ import annotations

from careloop.billing.engine.context import money, payment, plural, series
from careloop.billing.engine.model import Reason
from careloop.billing.engine.plan import Plan

Option = list[tuple[str, int]]


class Choice:
    """A decided option choice (read-only once made; shared by the months of its key)."""

    __slots__ = ("notes", "option", "by_practitioner", "shortfall", "next_note")

    def __init__(
        self,
        notes: tuple[str, ...],
        option: Option | None,
        by_practitioner: bool,
        shortfall: Reason | None,
        next_note: str | None,
    ) -> None:
        # about the choice (BILL-002, BILL-003), shown whatever else fails
        self.notes = notes
        self.option = option  # the codes and units billed, or None (then `shortfall`)
        # the option rests on the practitioner's minutes only (option b)
        self.by_practitioner = by_practitioner
        self.shortfall = shortfall  # BILL-010: how many minutes the staff series lacks
        self.next_note = next_note  # a worklist hint: minutes to the next add-on unit


_MAX_CHOICES = 1 << 16


def ccm_choice(plan: Plan, total: int, prac: int, complex_ok: bool) -> Choice:
    """BILL-002: (c) complex, (a) clinical staff, (b) billing practitioner."""
    key = ("CCM", total, prac, complex_ok)
    found = plan.choices.get(key)
    if found is None:
        found = _remember(plan, key, _decide_ccm(plan, total, prac, complex_ok))
    return found


def pcm_choice(plan: Plan, total: int, prac: int) -> Choice:
    """BILL-004: (a) 99426 + 99427 on S + P, (b) 99424 + 99425 on P."""
    key = ("PCM", total, prac, False)
    found = plan.choices.get(key)
    if found is None:
        found = _remember(plan, key, _decide_pcm(plan, total, prac))
    return found


def _remember(plan: Plan, key: tuple[str, int, int, bool], choice: Choice) -> Choice:
    if len(plan.choices) >= _MAX_CHOICES:
        plan.choices.clear()
    plan.choices[key] = choice
    return choice


def _describe(option: Option) -> str:
    return " + ".join(code if units == 1 else f"{units} x {code}" for code, units in option)


def _decide_ccm(plan: Plan, total: int, prac: int, complex_ok: bool) -> Choice:
    notes: list[str] = []
    complex_option = series(plan, "99487", total) if complex_ok else None  # CCM-014, CCM-015
    staff_option = series(plan, "99490", total)  # (a) CCM-010, CCM-011
    prac_option = series(plan, "99491", prac)  # (b) CCM-012, CCM-013
    if complex_ok and complex_option is None:  # BILL-003
        needed = plan.series["99487"][0] - total
        notes.append(f"CCM: {plural(needed, 'more minute')} for complex CCM (99487)")
    chosen: Option | None
    if complex_option is not None and plan.complex_when_met:
        chosen = complex_option  # BILL-002 default: complex when its criteria are met
    else:
        # BILL-002: the higher national payment wins; ties (c), then (a), then (b)
        chosen = None
        best = -1
        for option in (complex_option, staff_option, prac_option):
            if option is not None:
                pay = payment(plan, option)
                if pay > best:
                    chosen, best = option, pay
    if complex_option is not None and staff_option is not None:
        complex_pay, staff_pay = payment(plan, complex_option), payment(plan, staff_option)
        if staff_pay > complex_pay:
            notes.append(
                f"CCM: {total} minutes pay more as {_describe(staff_option)} ({money(staff_pay)}) than as complex {_describe(complex_option)} ({money(complex_pay)}) in {plan.year}"
                f"; complex_ccm_choice = {plan.settings.complex_ccm_choice} (BILL-002)"
            )
    return _choice(
        plan, tuple(notes), chosen, prac_option, total, prac, ("CCM", "99490", "99491", "CCM-010")
    )


def _decide_pcm(plan: Plan, total: int, prac: int) -> Choice:
    staff_option = series(plan, "99426", total)  # PCM-012, PCM-013
    prac_option = series(plan, "99424", prac)  # PCM-010, PCM-011
    chosen = staff_option
    if prac_option is not None and (
        chosen is None or payment(plan, prac_option) > payment(plan, chosen)
    ):
        chosen = prac_option
    return _choice(plan, (), chosen, prac_option, total, prac, ("PCM", "99426", "99424", "PCM-012"))


def _choice(
    plan: Plan,
    notes: tuple[str, ...],
    chosen: Option | None,
    prac_option: Option | None,
    total: int,
    prac: int,
    codes: tuple[str, str, str, str],
) -> Choice:
    """The chosen option with its worklist hint, or the shortfall (BILL-010)."""
    program, staff_base, prac_base, rule = codes
    if chosen is None:
        need = plan.series[staff_base][0]
        text = f"{plural(need - total, 'more minute')} of clinical staff time for {staff_base} ({total} of {need} countable)"
        if not plan.staff_counts_practitioner and prac:
            need_prac = plan.series[prac_base][0]
            text += f", or {plural(need_prac - prac, 'more minute')} of billing practitioner time for {prac_base}"
        return Choice(notes, None, False, Reason(rule, text), None)
    by_practitioner = chosen is prac_option
    used = prac if by_practitioner else total
    return Choice(notes, chosen, by_practitioner, None, _next_addon(plan, program, chosen, used))


def _next_addon(plan: Plan, program: str, option: Option, total: int) -> str | None:
    """A worklist note: minutes to the next add-on unit, while under the cap."""
    threshold, _, addon, step, cap, _ = plan.series[option[0][0]]
    if not addon:
        return None
    units = option[1][1] if len(option) > 1 else 0
    if cap and units >= cap:
        return None
    needed = threshold + step * (units + 1) - total
    return f"{program}: {plural(needed, 'more minute')} for another {addon}"
