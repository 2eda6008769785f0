"""A rules year under one set of settings, precomputed once for the hot path (ADR 0003).

`plan_for(rules, settings)` resolves everything that depends only on the rules year and the
CONFIG settings in force: each program's prerequisites (BILL-009), each code series'
threshold, add-on step, unit cap and payment (BILL-002..008), the exclusion rows that are
enforced with their settings-dependent sides (§1.9), the APCM levels (BILL-008), the TCM
codes (BILL-005) and G0511's applicability (§1.10). Nothing in a plan depends on a patient.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from careloop.billing.engine.model import Reason
from careloop.billing.rules import CodeRule, Rules, Settings

if TYPE_CHECKING:
    from careloop.billing.engine.choice import Choice


# (threshold, base amount, add-on code or "", add-on step, add-on cap (0 = none), add-on amount)
SeriesPlan = tuple[int, int, str, int, int, int]
# (rule, what, side a, side b)
ExclusionPlan = tuple[str, str, frozenset[str], frozenset[str]]
_MAX_CODE_SETS = 4096


class ProgramPlan:
    """One program's prerequisites under the settings (BILL-009)."""

    __slots__ = (
        "program",
        "needs_consent",
        "initiating_visit",
        "window",
        "signed_care_plan",
        "min_conditions",
        "conditions_rule",
        "consent_fact",
    )

    def __init__(self, rules: Rules, settings: Settings, program: str) -> None:
        rule = rules.programs[program]
        self.program = program
        self.needs_consent = rule.needs_consent(settings)  # CCM-034
        self.initiating_visit = rule.initiating_visit  # CCM-021
        self.window = settings.initiating_visit_window_months.get(program, 12)
        self.signed_care_plan = rule.signed_care_plan  # CCM-053
        self.min_conditions = rule.min_chronic_conditions  # CCM-001, PCM-001
        self.conditions_rule = "CCM-001" if program == "CCM" else "PCM-001"
        self.consent_fact = f"{program} consent"


class Plan:
    """Everything about a (rules, settings) pair that the engine would otherwise recompute."""

    __slots__ = (
        "rules",
        "settings",
        "year",
        "codes",
        "amounts",
        "line_rules",
        "programs",
        "accepted_payers",
        "accepted_text",
        "staff_counts_practitioner",
        "complex_when_met",
        "every",
        "every_back",
        "visit_due",
        "inpatient_counts",
        "rpm_free",
        "series",
        "exclusions",
        "exclusions_by_code",
        "between",
        "program_pairs",
        "choices",
        "apcm_levels",
        "tcm_options",
        "tcm_widest",
        "tcm_mdm",
        "g0511",
        "g0511_cap",
        "g0511_services",
        "g0511_last",
    )

    def __init__(self, rules: Rules, settings: Settings) -> None:
        self.rules = rules
        self.settings = settings
        self.year = rules.year
        codes = rules.codes
        self.codes = codes
        self.amounts = {code: rule.amount_cents for code, rule in codes.items()}
        # a time-based line's payment per unit and rule IDs (BILL-002..007)
        self.line_rules = {code: (rule.amount_cents, (rule.rule,)) for code, rule in codes.items()}
        self.programs = {name: ProgramPlan(rules, settings, name) for name in rules.programs}
        self.accepted_payers = settings.accepted_payers
        self.accepted_text = ", ".join(sorted(settings.accepted_payers))
        self.staff_counts_practitioner = settings.practitioner_time_counts_as_staff  # CCM-064
        self.complex_when_met = settings.complex_ccm_choice == "complex_when_met"  # BILL-002
        self.every = settings.require_visit_every_months  # CCM-023
        self.every_back = self.every - 1
        self.visit_due = Reason(
            "CCM-023",
            f"no visit with the billing practitioner in the last {self.every} months: schedule an E/M visit or AWV",
        )
        self.inpatient_counts = frozenset(
            program for program, counts in settings.inpatient_minutes_count.items() if counts
        )  # CCM-062
        self.rpm_free = not settings.rpm_requires_program_consent  # CCM-034
        series: dict[str, SeriesPlan] = {}
        for code, rule in codes.items():
            addon = rules.addon_for.get(code)
            if addon is None:
                series[code] = (rule.minutes or 0, rule.amount_cents, "", 1, 0, 0)
            else:
                addon_rule = codes[addon]
                series[code] = (
                    rule.minutes or 0,
                    rule.amount_cents,
                    addon,
                    addon_rule.minutes or 1,
                    addon_rule.cap(settings),
                    addon_rule.amount_cents,
                )
        self.series = series
        exclusions: list[ExclusionPlan] = []
        by_code: dict[str, list[int]] = {}
        for exclusion in rules.exclusions:
            if exclusion.allowed:  # EXC-009, EXC-010, EXC-011: allowed combinations
                continue
            b = exclusion.side_b(settings)
            for code in exclusion.a | b:
                by_code.setdefault(code, []).append(len(exclusions))
            exclusions.append((exclusion.rule, exclusion.what, exclusion.a, b))
        self.exclusions = tuple(exclusions)
        self.exclusions_by_code = {code: tuple(found) for code, found in by_code.items()}
        self.between: dict[frozenset[str], tuple[int, ...]] = {}  # see rows_between
        # §1.9 between two of a month's programs: the (program, program) pairs, both orders,
        # with a code of each on the two sides of an enforced row. Sound because every line
        # a program bills carries a code of that program (checked by the rules loader,
        # `billing.rules.BILLED_BY`); codes of no program here are only ever other codes.
        pairs: set[tuple[str, str]] = set()
        for _, _, a, b in exclusions:
            on_a = {codes[code].program for code in a if code in codes}
            on_b = {codes[code].program for code in b if code in codes}
            pairs.update((p, q) for p in on_a for q in on_b if p != q)
            pairs.update((q, p) for p in on_a for q in on_b if p != q)
        self.program_pairs = frozenset(pairs)
        self.choices: dict[tuple[str, int, int, bool], Choice] = {}  # engine/choice.py
        # BILL-008: the highest level whose criteria are met; ties keep the file's order
        # (sort(reverse=True) is stable)
        levels = [rule for rule in codes.values() if rule.program == "APCM"]
        levels.sort(key=lambda rule: (rule.min_chronic_conditions or 0, rule.qmb), reverse=True)
        self.apcm_levels: tuple[tuple[int, bool, CodeRule], ...] = tuple(
            (rule.min_chronic_conditions or 0, rule.qmb, rule) for rule in levels
        )
        tcm = sorted(
            (rule for rule in codes.values() if rule.program == "TCM"),
            key=lambda rule: -rule.amount_cents,
        )
        self.tcm_options = tuple(tcm)
        self.tcm_widest = max((rule.max_days_after_discharge or 0 for rule in tcm), default=0)
        self.tcm_mdm = frozenset(m for rule in tcm for m in rule.mdm)
        g0511 = codes.get("G0511")
        if g0511 is None or not settings.fqhc_uses_g0511:  # not payable / FQ-003
            self.g0511: CodeRule | None = None
        else:
            self.g0511 = g0511
        self.g0511_cap = g0511.cap(settings) if g0511 is not None else 0  # FQ-002
        self.g0511_services = frozenset(g0511.services) if g0511 is not None else frozenset()
        self.g0511_last = settings.g0511_last_service_month  # FQ-003

    def rows_between(self, codes: frozenset[str]) -> tuple[int, ...]:
        """The enforced exclusion rows with a code of `codes` on both sides, in the file's
        order (§1.9 between two of a month's programs); remembered per code set (few)."""
        found = self.between.get(codes)
        if found is None:
            found = tuple(
                index
                for index, (_, _, a, b) in enumerate(self.exclusions)
                if not a.isdisjoint(codes) and not b.isdisjoint(codes)
            )
            if len(self.between) >= _MAX_CODE_SETS:
                self.between.clear()
            self.between[codes] = found
        return found


PLANS: dict[tuple[int, int], Plan] = {}
_MAX_PLANS = 256


def plan_for(rules: Rules, settings: Settings) -> Plan:
    """The plan of a rules year under the settings, built once per distinct pair."""
    key = (id(rules), id(settings))
    plan = PLANS.get(key)
    if plan is None or plan.rules is not rules or plan.settings is not settings:
        if len(PLANS) >= _MAX_PLANS:
            PLANS.clear()
        plan = PLANS[key] = Plan(rules, settings)
    return plan
