"""What every program's evaluation shares: countable minutes (BILL-001) and prerequisites (BILL-009)."""

from __future__ import annotations

from datetime import date

from careloop.billing.engine.conditions import chronic_conditions
from careloop.billing.engine.model import Line, Month, PatientMonth, Reason
from careloop.billing.engine.plan import Plan
from careloop.billing.rules import Rules, Settings
from careloop.core.months import month_index


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def money(cents: int) -> str:
    return f"${cents // 100}.{cents % 100:02d}"


_NEVER = date.max


class Minutes:
    """One program's time in the month: countable staff and practitioner minutes (BILL-001)."""

    __slots__ = (
        "staff",
        "practitioner",
        "staff_entries",
        "practitioner_entries",
        "uncounted",
        "consent",
        "since",
    )

    def __init__(self) -> None:
        self.staff = 0
        self.practitioner = 0
        self.staff_entries: list[int] = []
        self.practitioner_entries: list[int] = []
        self.uncounted: dict[str, int] = {}  # cause -> minutes
        self.consent: date | None = None  # the first countable day (CCM-030, CCM-034)
        self.since: date = _NEVER  # the consent date, or never: one comparison per entry


class Outcome:
    """A program's result before the same-month exclusions: lines, or reasons; and notes."""

    __slots__ = ("program", "lines", "reasons", "notes", "next_notes")

    def __init__(self, program: str, reasons: list[Reason] | None = None) -> None:
        self.program = program
        self.lines: list[Line] = []
        self.reasons: list[Reason] = reasons if reasons is not None else []
        self.notes: list[str] = []
        self.next_notes: list[str] = []  # worklist hints, kept only while the program bills


class Context:
    """One evaluation: the patient-month, the rules year and the settings in force, with
    the (rules, settings) plan precomputed once (engine/plan.py)."""

    __slots__ = ("pm", "rules", "settings", "plan", "month", "minutes", "conditions", "seen_index")

    def __init__(self, pm: PatientMonth, plan: Plan) -> None:
        self.pm = pm
        self.plan = plan
        self.rules: Rules = plan.rules
        self.settings: Settings = plan.settings
        self.month: Month = pm.month
        self.minutes = _count_minutes(pm, plan) if pm.time else _NONE
        patient = pm.patient
        # Distinct chronic conditions of §4 among the patient's codes (CCM-001)
        self.conditions: frozenset[str] = chronic_conditions(patient.chronic_condition_codes)
        seen = patient.seen_by_billing_practitioner_on
        # the last visit's month (CCM-021, CCM-023); -1 without a visit (never compared)
        self.seen_index = month_index(seen) if seen is not None else -1

    def program_minutes(self, program: str) -> Minutes:
        found = self.minutes.get(program)
        return found if found is not None else NO_MINUTES

    def consent_on(self, program: str) -> date | None:
        return self.pm.consents.get(program)

    def basis(self, program: str) -> list[tuple[str, object]]:
        """The facts a program's lines rest on (consent, visit, care plan), unformatted."""
        pm = self.pm
        rule = self.plan.programs[program]
        out: list[tuple[str, object]] = [(rule.consent_fact, pm.consents.get(program))]
        if rule.initiating_visit:
            out.append(
                ("visit with the billing practitioner", pm.patient.seen_by_billing_practitioner_on)
            )
        if rule.signed_care_plan:
            out.append(("care plan signed", pm.care_plan.signed))
        return out


NO_MINUTES = Minutes()
_NONE: dict[str, Minutes] = {}  # never written to: a month without time entries

_WITHOUT_CONSENT = "without consent"
_BEFORE_CONSENT = "before the consent date"
_INPATIENT = "during an inpatient or SNF stay"
_AFTER_DEATH = "after the patient's death"


def _count_minutes(pm: PatientMonth, plan: Plan) -> dict[str, Minutes]:
    """BILL-001: countable minutes are dated inside the month, on or after the program's
    consent date (CCM-030, CCM-065), not during an inpatient/SNF stay where CCM-062 excludes
    them, and not after death (ALL-001). Each entry belongs to one program (CCM-063)."""
    out: dict[str, Minutes] = {}
    month = pm.month
    first = month.first_day
    last = month.last_day
    consents = pm.consents
    inpatient_counts = plan.inpatient_counts
    died = pm.patient.deceased_on
    # the last countable day: the month's last, or the day of death (ALL-001)
    end = last if died is None or died >= last else died
    rpm_free = plan.rpm_free
    for index, entry in enumerate(pm.time):
        day = entry.on
        if day < first or day > last:  # CCM-060: minutes never roll over
            continue
        program = entry.program
        bucket = out.get(program)
        if bucket is None:
            bucket = out[program] = Minutes()
            if rpm_free and program == "RPM":
                consent: date | None = first  # CCM-034: RPM consent is a CONFIG point
            else:
                consent = consents.get(program)
            if consent is not None:
                bucket.consent = bucket.since = consent
        if bucket.since <= day <= end and (
            not entry.during_inpatient_stay or program in inpatient_counts
        ):
            if entry.role == "billing_practitioner":
                bucket.practitioner += entry.minutes
                bucket.practitioner_entries.append(index)
            else:
                bucket.staff += entry.minutes
                bucket.staff_entries.append(index)
            continue
        consent = bucket.consent
        if consent is None:
            cause = _WITHOUT_CONSENT
        elif day < consent:
            cause = _BEFORE_CONSENT  # CCM-030
        elif entry.during_inpatient_stay and program not in inpatient_counts:
            cause = _INPATIENT  # CCM-062 (BHI counts by default)
        else:
            cause = _AFTER_DEATH  # ALL-001
        uncounted = bucket.uncounted
        uncounted[cause] = uncounted.get(cause, 0) + entry.minutes
    return out


_CAUSE_RULES = {
    _WITHOUT_CONSENT: "CCM-030",
    _BEFORE_CONSENT: "CCM-030",
    _INPATIENT: "CCM-062",
    _AFTER_DEATH: "ALL-001",
}


def uncounted_notes(program: str, minutes: Minutes) -> list[str]:
    return [
        f"{program}: {plural(n, 'minute')} {cause} do not count ({_CAUSE_RULES[cause]})"
        for cause, n in minutes.uncounted.items()
    ]


def _span(months: int) -> str:
    if months > 12 and months % 12 == 0:
        return f"{months // 12} years"
    return f"{months} months"


def prerequisites(ctx: Context, program: str) -> list[Reason]:
    """BILL-009: payer, life, consent, initiating visit, care plan and chronic conditions."""
    pm = ctx.pm
    plan = ctx.plan
    month = ctx.month
    patient = pm.patient
    rule = plan.programs[program]
    reasons: list[Reason] = []
    if patient.payer not in plan.accepted_payers:  # CCM-002
        reasons.append(
            Reason(
                "CCM-002",
                f"payer {patient.payer} is not an accepted payer ({plan.accepted_text}): bill only with Medicare Part B coverage in the month",
            )
        )
    died = patient.deceased_on
    if died is not None and died < month.first_day:  # ALL-001
        reasons.append(
            Reason(
                "ALL-001",
                f"patient died on {died.isoformat()}, before the month: no services after death",
            )
        )
    consent = pm.consents.get(program)
    if rule.needs_consent:  # CCM-034
        if consent is None:
            reasons.append(
                Reason(
                    "CCM-030",
                    f"consent missing: record the patient's {program} consent (verbal or written) before services; time before it does not count",
                )
            )
        elif consent > month.last_day:
            reasons.append(
                Reason(
                    "CCM-030",
                    f"consent dated {consent.isoformat()} is after the month: no time in {month.key} counts",
                )
            )
        if consent is not None and pm.revocations:
            revoked = pm.revocations.get(program)
            if revoked is not None and revoked >= consent and revoked < month.first_day:
                # CCM-033: a revocation takes effect at the end of the month in which it is recorded
                reasons.append(
                    Reason(
                        "CCM-033",
                        f"consent revoked on {revoked.isoformat()}, effective at the end of that month: record a new consent to resume",
                    )
                )
    if rule.initiating_visit:
        seen = patient.seen_by_billing_practitioner_on
        # CCM-021: tested once, against the program's start (its consent date): the visit is
        # in the `window` months before the start's month, or later
        window = rule.window
        if consent is not None and consent <= month.last_day:
            start, start_index = consent, month_index(consent)
        else:
            start, start_index = month.first_day, month.index
        if seen is None or seen > month.last_day or ctx.seen_index < start_index - window:
            last = seen.isoformat() if seen is not None else "never"
            reasons.append(
                Reason(
                    "CCM-021",
                    f"no initiating visit in {_span(window)} before {program} started on {start.isoformat()} (last visit: {last}): schedule an E/M visit or AWV with the billing practitioner",
                )
            )
        every = plan.every
        if every and (  # CCM-023: a visit in this month or the `every - 1` before it
            seen is None or ctx.seen_index < month.index - plan.every_back
        ):
            reasons.append(
                Reason(
                    "CCM-023",
                    f"no visit with the billing practitioner in the last {every} months: schedule an E/M visit or AWV",
                )
            )
    if rule.signed_care_plan and not pm.care_plan.signed:  # CCM-053
        reasons.append(_UNSIGNED)
    needed = rule.min_conditions
    if needed:
        conditions = ctx.conditions
        have = len(conditions)
        if have < needed:  # CCM-001 (two or more), PCM-001 (one)
            names = ", ".join(sorted(conditions)) or "none"
            reasons.append(
                Reason(
                    rule.conditions_rule,
                    f"{program} needs {needed} or more distinct chronic conditions, {have} on record ({names}): document the patient's chronic conditions with ICD-10-CM codes",
                )
            )
    return reasons


_UNSIGNED = Reason(
    "CCM-053",
    "care plan not signed: the billing practitioner signs the comprehensive care plan by the last day of the month",
)


def visit_note(ctx: Context, program: str) -> str | None:
    """CCM-023: without a visit requirement, warn when the last visit is over 12 months old."""
    plan = ctx.plan
    if plan.every or not plan.programs[program].initiating_visit:
        return None
    seen = ctx.pm.patient.seen_by_billing_practitioner_on
    if seen is not None and seen < ctx.month.year_before:
        return f"{program}: the last visit with the billing practitioner ({seen.isoformat()}) is over 12 months old; a visit is not required (CCM-023)"
    return None


def series(plan: Plan, base: str, minutes: int) -> list[tuple[str, int]] | None:
    """A base code and its add-on for `minutes` (CCM-061: full minutes only), or None."""
    threshold, _, addon, step, cap, _ = plan.series[base]
    if minutes < threshold:
        return None
    if not addon:
        return [(base, 1)]
    units = (minutes - threshold) // step
    if cap and units > cap:
        units = cap
    if units:
        return [(base, 1), (addon, units)]
    return [(base, 1)]


def payment(plan: Plan, option: list[tuple[str, int]]) -> int:
    """The national payment of an option in the rules year (PAY-002)."""
    amounts = plan.amounts
    total = 0
    for code, units in option:
        total += amounts[code] * units
    return total
