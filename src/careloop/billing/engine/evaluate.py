"""The billing engine's entry point: one patient-month and one rules year in, an Explanation out."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from careloop.billing.engine.combine import apply_exclusions, fqhc_g0511
from careloop.billing.engine.context import Outcome, new_context
from careloop.billing.engine.model import (
    Explanation,
    Line,
    NotBillable,
    PatientMonth,
    new_explanation,
    new_not_billable,
)
from careloop.billing.engine.plan import PLANS, plan_for
from careloop.billing.engine.programs import (
    evaluate_apcm,
    evaluate_bhi,
    evaluate_ccm,
    evaluate_pcm,
    evaluate_rpm,
)
from careloop.billing.engine.tcm import evaluate_tcm, tcm_in_month, tcm_reversals
from careloop.billing.rules import Rules, Settings, rules_for_year

_NOTHING_FOLDED: frozenset[str] = frozenset()

_settings_cache: dict[tuple[int, int, tuple[tuple[str, Any], ...]], Settings] = {}


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(sorted(_freeze(v) for v in value))
    return value


def _settings(rules: Rules, base: Settings, overrides: Mapping[str, Any]) -> Settings:
    """Settings with a call's CONFIG overrides, resolved once per distinct override set."""
    key: tuple[int, int, tuple[tuple[str, Any], ...]] = (
        rules.year,
        id(base),
        tuple(overrides.items()),
    )
    try:
        found = _settings_cache.get(key)
    except TypeError:  # per-program values (objects) are not hashable as given
        key = (rules.year, id(base), _freeze(overrides))
        found = _settings_cache.get(key)
    if found is None:
        found = _settings_cache[key] = base.with_overrides(overrides)
    return found


def evaluate(
    pm: PatientMonth, rules: Rules | None = None, settings: Settings | None = None
) -> Explanation:
    """Bill one patient-month.

    `rules` defaults to the rules year of the service month (an unknown year raises
    `UnknownRulesYear`); `settings` (an organization's) defaults to the year's CONFIG
    defaults; the patient-month's own `config` overrides apply on top.
    """
    if rules is None:
        rules = rules_for_year(pm.month.year)
    base = settings if settings is not None else rules.settings
    if pm.config:
        base = _settings(rules, base, pm.config)
    plan = PLANS.get((id(rules), id(base)))
    if plan is None or plan.rules is not rules or plan.settings is not base:
        plan = plan_for(rules, base)
    ctx = new_context(pm, plan)
    outcomes: list[Outcome] = []
    month = pm.month
    # BILL-010: every program with recorded minutes, consent, or a discharge in the month
    minutes = ctx.minutes
    active = set(minutes) if minutes else set()
    revocations = pm.revocations
    for program, consented in pm.consents.items():
        if consented <= month.last_day:
            if revocations:
                revoked = revocations.get(program)
                if revoked is not None and consented <= revoked < month.first_day:
                    continue
            active.add(program)
    rpm = pm.rpm
    if rpm is not None and (rpm.reading_days or rpm.setup_this_month):
        active.add("RPM")
    # the programs in the order of the explanation; TCM (BILL-005) comes last
    if "CCM" in active:
        outcomes.append(evaluate_ccm(ctx))
    if "PCM" in active:
        outcomes.append(evaluate_pcm(ctx))
    if "BHI" in active:
        outcomes.append(evaluate_bhi(ctx))
    if "RPM" in active:
        outcomes.append(evaluate_rpm(ctx))
    if "APCM" in active:
        outcomes.append(evaluate_apcm(ctx))
    if pm.discharge is not None and tcm_in_month(ctx):
        outcomes.append(evaluate_tcm(ctx))
    if pm.other_codes:
        apply_exclusions(ctx, outcomes)  # §1.9
    elif len(outcomes) > 1:
        # §1.9 between this month's programs: only when two programs that bill have codes on
        # the two sides of an enforced row (plan.program_pairs)
        pairs = plan.program_pairs
        billing: list[str] = []
        between = False
        for outcome in outcomes:
            if outcome.lines:
                program = outcome.program
                for earlier in billing:
                    if (earlier, program) in pairs:
                        between = True
                billing.append(program)
        if between:
            apply_exclusions(ctx, outcomes)
    folded: AbstractSet[str]
    if pm.setting != "office" and plan.g0511 is not None:
        g0511, folded = fqhc_g0511(ctx, outcomes)  # §1.10
    else:
        g0511, folded = None, _NOTHING_FOLDED
    lines: list[Line] = []
    not_billable: list[NotBillable] = []
    notes: list[str] = []
    for outcome in outcomes:
        if outcome.lines:
            lines.extend(outcome.lines)
            if outcome.notes:
                notes.extend(outcome.notes)
            if outcome.next_note is not None:
                notes.append(outcome.next_note)
            continue
        if outcome.notes:
            notes.extend(outcome.notes)
        if (
            outcome.program not in folded
        ):  # BILL-010: every program without a line, with its reasons
            not_billable.append(new_not_billable((outcome.program, tuple(outcome.reasons))))
    if g0511 is not None:
        lines.append(g0511)
    reversals = tcm_reversals(ctx) if pm.discharge is not None else ()
    return new_explanation(
        month, rules.year, tuple(lines), tuple(not_billable), tuple(notes), reversals
    )
