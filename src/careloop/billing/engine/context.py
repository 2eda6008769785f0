"""What every program's evaluation shares: countable minutes (BILL-001) and prerequisites (BILL-009)."""

from __future__ import annotations

from datetime import date

from careloop.billing.engine.conditions import chronic_conditions
from careloop.billing.engine.model import Line, Month, PatientMonth, Reason, new_reason
from careloop.billing.engine.plan import Plan
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
    """One program's time in the month: countable staff and practitioner minutes (BILL-001).
    Only as the tally part of an Outcome (below): a program's time is counted into its
    Outcome, so one object per program and month is built (ADR 0003)."""

    __slots__ = (
        "staff",
        "practitioner",
        "staff_entries",
        "practitioner_entries",
        "uncounted",
        "consent",
        "since",
    )

    staff: int
    practitioner: int
    staff_entries: list[int]
    practitioner_entries: list[int]
    uncounted: dict[str, int] | None  # cause -> minutes, when any
    consent: date | None  # the first countable day (CCM-030, CCM-034)
    # The first countable day: the consent date (or never), not before the month (CCM-060)
    since: date


class Outcome(Minutes):
    """A program's month: its countable minutes (Minutes), then its result before the
    same-month exclusions: lines, or reasons; and notes."""

    __slots__ = ("program", "lines", "reasons", "notes", "next_note")

    program: str
    lines: list[Line]
    reasons: list[Reason]
    notes: list[str]
    next_note: str | None  # a worklist hint, kept only while the program bills


_new_object = object.__new__


def new_outcome(program: str) -> Outcome:
    """A program's empty Outcome: no minutes yet, no result. (A function, not a class call:
    the evaluation makes about two a month, ADR 0003.)"""
    outcome: Outcome = _new_object(Outcome)
    outcome.staff = 0
    outcome.practitioner = 0
    outcome.staff_entries = []
    outcome.practitioner_entries = []
    outcome.uncounted = None
    outcome.consent = None
    outcome.since = _NEVER
    outcome.program = program
    outcome.lines = []
    outcome.reasons = []
    outcome.notes = []
    outcome.next_note = None
    return outcome


class Context:
    """One evaluation: the patient-month and the (rules, settings) plan in force (the rules
    year and settings are `plan.rules` / `plan.settings`; engine/plan.py), with what every
    program's prerequisites share, decided once per month (BILL-009). Made by
    `new_context`."""

    __slots__ = (
        "pm",
        "plan",
        "month",
        "minutes",
        "conditions",
        "seen",
        "seen_index",
        "visit_age",
        "patient_reasons",
        "visit_due",
        "old_visit",
        "unsigned",
    )

    pm: PatientMonth
    plan: Plan
    month: Month
    minutes: dict[str, Outcome]  # program -> its countable minutes (BILL-001)
    conditions: frozenset[str]  # distinct chronic conditions of §4 (CCM-001)
    seen: date | None  # the last visit with the billing practitioner (CCM-021)
    seen_index: int  # its month index; -1 without a visit (never compared)
    visit_age: int | None  # months from the visit's month to this one; None: none by month end
    patient_reasons: tuple[Reason, ...]  # CCM-002, ALL-001: the same for every program
    visit_due: Reason | None  # CCM-023, for the programs with an initiating visit
    old_visit: bool  # CCM-023 without a visit requirement: the visit is over 12 months old
    unsigned: bool  # CCM-053

    def basis(self, program: str) -> tuple[tuple[str, object], ...]:
        """The facts a program's lines rest on (consent, visit, care plan), unformatted."""
        pm = self.pm
        rule = self.plan.programs[program]
        consent = (rule.consent_fact, pm.consents.get(program))
        if rule.initiating_visit:
            visit = ("visit with the billing practitioner", self.seen)
            if rule.signed_care_plan:
                return (consent, visit, ("care plan signed", pm.care_plan.signed))
            return (consent, visit)
        if rule.signed_care_plan:
            return (consent, ("care plan signed", pm.care_plan.signed))
        return (consent,)


def new_context(pm: PatientMonth, plan: Plan) -> Context:
    """A month's Context (slot stores on `object.__new__`: a plain function call is
    cheaper than a class call's `__init__`, ADR 0003)."""
    ctx: Context = _new_object(Context)
    ctx.pm = pm
    ctx.plan = plan
    month = ctx.month = pm.month
    ctx.minutes = _count_minutes(pm, plan) if pm.time else _NONE
    patient = pm.patient
    # Distinct chronic conditions of §4 among the patient's codes (CCM-001)
    ctx.conditions = chronic_conditions(patient.chronic_condition_codes)
    seen = ctx.seen = patient.seen_by_billing_practitioner_on
    # the last visit's month (CCM-021, CCM-023); -1 without a visit (never compared)
    seen_index = ctx.seen_index = month_index(seen) if seen is not None else -1
    # months from the last visit's month to this one; None without a visit by the month's end
    ctx.visit_age = (
        month.index - seen_index if seen is not None and seen <= month.last_day else None
    )
    # CCM-002 and ALL-001 read the same for every program
    died = patient.deceased_on
    if patient.payer in plan.accepted_payers and (died is None or died >= month.first_day):
        ctx.patient_reasons = ()
    else:
        ctx.patient_reasons = _patient_reasons(ctx)
    every = plan.every
    # CCM-023: a visit in this month or the `every - 1` before it (programs with a visit)
    ctx.visit_due = (
        plan.visit_due
        if every and (seen is None or seen_index < month.index - plan.every_back)
        else None
    )
    # CCM-023 without a visit requirement: a note when the last visit is over 12 months old
    ctx.old_visit = not every and seen is not None and seen < month.year_before
    ctx.unsigned = not pm.care_plan.signed  # CCM-053
    return ctx


_NONE: dict[str, Outcome] = {}  # never written to: a month without time entries

_WITHOUT_CONSENT = "without consent"
_BEFORE_CONSENT = "before the consent date"
_INPATIENT = "during an inpatient or SNF stay"
_AFTER_DEATH = "after the patient's death"


def _count_minutes(pm: PatientMonth, plan: Plan) -> dict[str, Outcome]:
    """BILL-001: countable minutes are dated inside the month, on or after the program's
    consent date (CCM-030, CCM-065), not during an inpatient/SNF stay where CCM-062 excludes
    them, and not after death (ALL-001). Each entry belongs to one program (CCM-063)."""
    out: dict[str, Outcome] = {}
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
        program = entry.program
        bucket = out.get(program)
        if bucket is None:
            if day < first or day > last:  # CCM-060: minutes never roll over
                continue
            bucket = out[program] = new_outcome(program)
            if rpm_free and program == "RPM":
                consent: date | None = first  # CCM-034: RPM consent is a CONFIG point
            else:
                consent = consents.get(program)
            if consent is not None:
                bucket.consent = consent
                bucket.since = consent if consent > first else first
        # one comparison chain: in the month, on or after the consent, to the last countable day
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
        if day < first or day > last:  # CCM-060
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
        if uncounted is None:
            uncounted = bucket.uncounted = {}
        uncounted[cause] = uncounted.get(cause, 0) + entry.minutes
    return out


_CAUSE_RULES = {
    _WITHOUT_CONSENT: "CCM-030",
    _BEFORE_CONSENT: "CCM-030",
    _INPATIENT: "CCM-062",
    _AFTER_DEATH: "ALL-001",
}


def uncounted_notes(program: str, uncounted: dict[str, int]) -> list[str]:
    notes: list[str] = []
    for cause, n in uncounted.items():  # a loop: a comprehension is a call of its own
        notes.append(
            f"{program}: {plural(n, 'minute')} {cause} do not count ({_CAUSE_RULES[cause]})"
        )
    return notes


def _span(months: int) -> str:
    if months > 12 and months % 12 == 0:
        return f"{months // 12} years"
    return f"{months} months"


def _patient_reasons(ctx: Context) -> tuple[Reason, ...]:
    """CCM-002 (payer) and ALL-001 (death before the month): the same for every program."""
    plan = ctx.plan
    patient = ctx.pm.patient
    reasons: list[Reason] = []
    if patient.payer not in plan.accepted_payers:  # CCM-002
        reasons.append(
            Reason(
                "CCM-002",
                f"payer {patient.payer} is not an accepted payer ({plan.accepted_text}): bill only with Medicare Part B coverage in the month",
            )
        )
    died = patient.deceased_on
    if died is not None and died < ctx.month.first_day:  # ALL-001
        reasons.append(
            Reason(
                "ALL-001",
                f"patient died on {died.isoformat()}, before the month: no services after death",
            )
        )
    return tuple(reasons)


def start_program(ctx: Context, program: str) -> Outcome:
    """A program's Outcome, with its countable minutes, the BILL-009 prerequisites that fail
    (payer, life, consent, initiating visit, care plan, chronic conditions) and the notes
    every program shares (uncounted minutes, an old visit)."""
    pm = ctx.pm
    month = ctx.month
    rule = ctx.plan.programs[program]
    outcome = ctx.minutes.get(program)
    if outcome is None:  # no time entries in the month
        outcome = new_outcome(program)
    reasons = outcome.reasons
    if ctx.patient_reasons:
        reasons.extend(ctx.patient_reasons)  # CCM-002, ALL-001
    consent = pm.consents.get(program)
    if rule.needs_consent:  # CCM-034
        if consent is None:
            reasons.append(
                new_reason(
                    (
                        "CCM-030",
                        f"consent missing: record the patient's {program} consent (verbal or written) before services; time before it does not count",
                    )
                )
            )
        elif consent > month.last_day:
            reasons.append(
                new_reason(
                    (
                        "CCM-030",
                        f"consent dated {consent.isoformat()} is after the month: no time in {month.key} counts",
                    )
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
    no_visit = False
    if rule.initiating_visit:
        # CCM-021: tested once, against the program's start (its consent date, else this
        # month): the visit is in the `window` months before the start's month, or later. A
        # visit within `window` months of this month is within it of any earlier start.
        window = rule.window
        age = ctx.visit_age
        if age is None:
            no_visit = True
        elif age > window:
            no_visit = (
                consent is None
                or consent > month.last_day
                or ctx.seen_index < month_index(consent) - window
            )
        if no_visit:
            start = (
                consent if consent is not None and consent <= month.last_day else month.first_day
            )
            seen = ctx.seen
            last = seen.isoformat() if seen is not None else "never"
            reasons.append(
                new_reason(
                    (
                        "CCM-021",
                        f"no initiating visit in {_span(window)} before {program} started on {start.isoformat()} (last visit: {last}): schedule an E/M visit or AWV with the billing practitioner",
                    )
                )
            )
        if ctx.visit_due is not None:  # CCM-023
            reasons.append(ctx.visit_due)
    if rule.signed_care_plan and ctx.unsigned:  # CCM-053
        reasons.append(_UNSIGNED)
    needed = rule.min_conditions
    if needed and len(ctx.conditions) < needed:  # CCM-001 (two or more), PCM-001 (one)
        reasons.append(_too_few_conditions(ctx, program, rule.conditions_rule, needed))
    if outcome.uncounted:
        outcome.notes.extend(uncounted_notes(program, outcome.uncounted))
    if ctx.old_visit and rule.initiating_visit and not no_visit:  # CCM-023, unless CCM-021
        seen = ctx.seen
        assert seen is not None
        outcome.notes.append(
            f"{program}: the last visit with the billing practitioner ({seen.isoformat()}) is over 12 months old; a visit is not required (CCM-023)"
        )
    return outcome


def _too_few_conditions(ctx: Context, program: str, rule: str, needed: int) -> Reason:
    conditions = ctx.conditions
    names = ", ".join(sorted(conditions)) or "none"
    return new_reason(
        (
            rule,
            f"{program} needs {needed} or more distinct chronic conditions, {len(conditions)} on record ({names}): document the patient's chronic conditions with ICD-10-CM codes",
        )
    )


_UNSIGNED = Reason(
    "CCM-053",
    "care plan not signed: the billing practitioner signs the comprehensive care plan by the last day of the month",
)


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
