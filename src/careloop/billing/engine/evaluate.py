"""The billing engine's entry point: one patient-month and one rules year in, an Explanation out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from careloop.billing.engine.combine import apply_exclusions, fqhc_g0511
from careloop.billing.engine.context import Context, Outcome
from careloop.billing.engine.model import Explanation, Line, NotBillable, PatientMonth
from careloop.billing.engine.programs import (
    evaluate_apcm,
    evaluate_bhi,
    evaluate_ccm,
    evaluate_pcm,
    evaluate_rpm,
)
from careloop.billing.engine.tcm import evaluate_tcm, tcm_in_month, tcm_reversals
from careloop.billing.rules import Rules, Settings, rules_for_year

_EVALUATORS = {
    "CCM": evaluate_ccm,
    "PCM": evaluate_pcm,
    "BHI": evaluate_bhi,
    "RPM": evaluate_rpm,
    "APCM": evaluate_apcm,
}
_ORDER = ("CCM", "PCM", "BHI", "RPM", "APCM", "TCM")

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
    ctx = Context(pm, rules, base)
    outcomes: list[Outcome] = []
    month = pm.month
    # BILL-010: every program with recorded minutes, consent, or a discharge in the month
    active = set(ctx.minutes)
    for program, consented in pm.consents.items():
        if consented <= month.last_day:
            revoked = pm.revocations.get(program)
            if revoked is None or revoked < consented or revoked >= month.first_day:
                active.add(program)
    if pm.rpm is not None and (pm.rpm.reading_days or pm.rpm.setup_this_month):
        active.add("RPM")
    for program in _ORDER:
        if program == "TCM":
            if tcm_in_month(ctx):
                outcomes.append(evaluate_tcm(ctx))
        elif program in active:
            outcomes.append(_EVALUATORS[program](ctx))
    apply_exclusions(ctx, outcomes)  # §1.9
    g0511, folded = fqhc_g0511(ctx, outcomes)  # §1.10
    lines: list[Line] = []
    not_billable: list[NotBillable] = []
    notes: list[str] = []
    for outcome in outcomes:
        if outcome.lines:
            lines.extend(outcome.lines)
            notes.extend(outcome.notes)
            notes.extend(outcome.next_notes)
            continue
        notes.extend(outcome.notes)
        if (
            outcome.program not in folded
        ):  # BILL-010: every program without a line, with its reasons
            not_billable.append(NotBillable(outcome.program, tuple(outcome.reasons)))
    if g0511 is not None:
        lines.append(g0511)
    reversals = tcm_reversals(ctx) if pm.discharge is not None else ()
    return Explanation(
        month, rules.year, tuple(lines), tuple(not_billable), tuple(notes), reversals
    )
