"""Putting a month's programs together: same-month exclusions (§1.9) and FQHC/RHC G0511 (§1.10)."""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from careloop.billing.engine.context import Context, Outcome, plural
from careloop.billing.engine.model import Line, Reason, new_reason

# FQ-001: the RPM part of G0511 is RPM management; device and set-up codes are folded into it.
_RPM_MANAGEMENT_PERFORMER = "staff_or_practitioner"
_NO_CODES: frozenset[str] = frozenset()


def _drop(outcome: Outcome, codes: frozenset[str], reason: Reason) -> None:
    kept: list[Line] = []
    dropped: list[str] = []
    for line in outcome.lines:
        if line.code in codes:
            dropped.append(line.code)
        else:
            kept.append(line)
    if not dropped:
        return
    outcome.lines = kept
    if kept:
        outcome.notes.append(
            f"{outcome.program}: {', '.join(dropped)} not billed: {reason.text} ({reason.rule})"
        )
    else:
        outcome.reasons.append(reason)


def _billing(outcomes: list[Outcome], codes: list[str]) -> list[Outcome]:
    """The outcomes with lines; their codes are appended to `codes`. (Loops, not
    comprehensions: each comprehension is a function call, ADR 0003.)"""
    billed: list[Outcome] = []
    for outcome in outcomes:
        if outcome.lines:
            billed.append(outcome)
            for line in outcome.lines:
                codes.append(line.code)
    return billed


def apply_exclusions(ctx: Context, outcomes: list[Outcome]) -> None:
    """§1.9: against codes already billed by the same practitioner, and between this month's
    programs (the higher-paying program keeps its lines). EXC-001/002 (CCM-070) never fire
    between this engine's own lines: BILL-002 bills one option only."""
    billed_codes: list[str] = []
    billed = _billing(outcomes, billed_codes)
    if not billed:
        return
    other_codes = ctx.pm.other_codes
    # only same-practitioner codes trigger the exclusions
    others: set[str] | frozenset[str] = _NO_CODES
    if other_codes:
        others = set()
        for other in other_codes:
            if other.same_practitioner:
                others.add(other.code)
    plan = ctx.plan
    first_codes = frozenset(billed_codes)
    codes: AbstractSet[str] = first_codes
    candidates: Sequence[int]
    if not others:
        if len(billed) < 2:
            return
        # Between this month's programs only: the rows with a billed code on both sides
        # (drops only remove codes, so no other row can start to apply).
        candidates = plan.rows_between(first_codes)
    else:
        # The enforced rows (EXC-009..011 are allowed combinations, left out by the plan)
        # that touch a billed code, in the file's order; drops only remove codes, so no
        # other row can start to apply.
        by_code = plan.exclusions_by_code
        touched: set[int] = set()
        for code in first_codes:
            found = by_code.get(code)
            if found is not None:
                touched.update(found)
        candidates = sorted(touched)
    if not candidates:
        return
    exclusions = plan.exclusions
    for index in candidates:
        rule, what, a, b = exclusions[index]
        has_a, has_b = not a.isdisjoint(codes), not b.isdisjoint(codes)
        if others and (has_a or has_b):
            for side, against in ((a, others & b), (b, others & a)):
                if against and not side.isdisjoint(codes):
                    reason = Reason(
                        rule,
                        f"{', '.join(sorted(against))} already billed by the same practitioner this month ({what})",
                    )
                    for outcome in billed:
                        _drop(outcome, side, reason)
        elif has_a and has_b and len(billed) > 1:
            _between_programs(billed, rule, what, a, b)
        else:
            continue
        billed_codes = []
        billed = _billing(billed, billed_codes)
        if not billed:
            return
        codes = set(billed_codes)


def _between_programs(
    billed: list[Outcome], rule: str, what: str, a: frozenset[str], b: frozenset[str]
) -> None:
    """Two of this month's programs excluded together: the higher-paying one keeps its lines."""
    holders_a: list[Outcome] = []
    holders_b: list[Outcome] = []
    for outcome in billed:
        in_a = in_b = False
        for line in outcome.lines:
            if line.code in a:
                in_a = True
            if line.code in b:
                in_b = True
        if in_a:
            holders_a.append(outcome)
        if in_b:
            holders_b.append(outcome)
    for first in holders_a:
        for second in holders_b:
            if first is second or not first.lines or not second.lines:
                continue
            pay_first = _payment(first.lines)
            pay_second = _payment(second.lines)
            keep, lose, side = (first, second, b) if pay_first >= pay_second else (second, first, a)
            kept: list[str] = []
            for line in keep.lines:
                kept.append(line.code)
            text = f"{keep.program} ({', '.join(kept)}) by the same practitioner this month pays more ({what})"
            _drop(lose, side, new_reason((rule, text)))


def _payment(lines: list[Line]) -> int:
    total = 0
    for line in lines:
        total += line.amount_cents
    return total


def fqhc_g0511(ctx: Context, outcomes: list[Outcome]) -> tuple[Line | None, set[str]]:
    """FQ-001..003: an FQHC/RHC month up to the cut-over bills G0511, one unit per general
    care-management service that meets its base code's threshold; the lines it replaces are
    not billed. TCM (FQ-004) and APCM keep their own codes."""
    pm = ctx.pm
    settings = ctx.plan.settings
    g0511 = ctx.plan.codes.get("G0511")
    if (
        pm.setting == "office"
        or g0511 is None  # not payable in the rules year (CY2026)
        or not settings.fqhc_uses_g0511
        or ctx.month.key > settings.g0511_last_service_month  # FQ-003
    ):
        return None, set()
    codes = ctx.plan.codes
    units = 0
    folded: set[str] = set()
    entries: set[int] = set()
    facts: list[tuple[str, object]] = []
    cap = g0511.cap(settings)  # FQ-002: 0 = no cap
    for outcome in outcomes:
        if outcome.program not in g0511.services or not outcome.lines:
            continue
        lines = outcome.lines
        if outcome.program == "RPM":
            lines = [
                line for line in lines if codes[line.code].performer == _RPM_MANAGEMENT_PERFORMER
            ]
        if not lines:
            outcome.lines = []
            outcome.reasons.append(
                Reason(
                    "FQ-001",
                    f"an {pm.setting.upper()} bills RPM as G0511, which needs RPM management (20 minutes with an interactive contact); device codes are not billed separately",
                )
            )
            continue
        if cap and units >= cap:
            outcome.lines = []
            outcome.reasons.append(
                Reason("FQ-002", f"G0511 is capped at {plural(cap, 'unit')} a month (max_g0511)")
            )
            continue
        units += 1
        base = lines[0].code
        facts.append((f"{outcome.program} meets the threshold of", base))
        for line in lines:
            entries.update(line.time_entries)
        folded_codes = ", ".join([line.code for line in outcome.lines])
        outcome.notes.append(
            f"{outcome.program}: billed as G0511 by an {pm.setting.upper()} ({folded_codes} not billed, FQ-002)"
        )
        outcome.lines = []
        folded.add(outcome.program)
    if not units:
        return None, folded
    line = Line(
        "G0511",
        units,
        "FQHC",
        g0511.amount_cents * units,
        ("FQ-001", "FQ-002", "FQ-003"),
        tuple(sorted(entries)),
        tuple(facts),
    )
    return line, folded
