"""What every program's evaluation shares: countable minutes (BILL-001) and prerequisites (BILL-009)."""

from __future__ import annotations

from datetime import date

from careloop.billing.engine.conditions import chronic_conditions
from careloop.billing.engine.model import Line, Month, PatientMonth, Reason, first_day_minus_months
from careloop.billing.rules import Rules, Settings


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def money(cents: int) -> str:
    return f"${cents // 100}.{cents % 100:02d}"


class Minutes:
    """One program's time in the month: countable staff and practitioner minutes (BILL-001)."""

    __slots__ = (
        "staff",
        "practitioner",
        "staff_entries",
        "practitioner_entries",
        "recorded",
        "uncounted",
    )

    def __init__(self) -> None:
        self.staff = 0
        self.practitioner = 0
        self.staff_entries: list[int] = []
        self.practitioner_entries: list[int] = []
        self.recorded = 0  # minutes dated in the month, countable or not
        self.uncounted: dict[str, int] = {}  # cause -> minutes


class Outcome:
    """A program's result before the same-month exclusions: lines, or reasons; and notes."""

    __slots__ = ("program", "lines", "reasons", "notes", "next_notes")

    def __init__(self, program: str) -> None:
        self.program = program
        self.lines: list[Line] = []
        self.reasons: list[Reason] = []
        self.notes: list[str] = []
        self.next_notes: list[str] = []  # worklist hints, kept only while the program bills


class Context:
    """One evaluation: the patient-month, the rules year and the settings in force."""

    __slots__ = ("pm", "rules", "settings", "month", "minutes", "_conditions")

    def __init__(self, pm: PatientMonth, rules: Rules, settings: Settings) -> None:
        self.pm = pm
        self.rules = rules
        self.settings = settings
        self.month: Month = pm.month
        self.minutes = _count_minutes(pm, settings)
        self._conditions: frozenset[str] | None = None

    @property
    def conditions(self) -> frozenset[str]:
        """Distinct chronic conditions of §4 among the patient's codes (CCM-001)."""
        if self._conditions is None:
            self._conditions = chronic_conditions(self.pm.patient.chronic_condition_codes)
        return self._conditions

    def program_minutes(self, program: str) -> Minutes:
        found = self.minutes.get(program)
        return found if found is not None else _NO_MINUTES

    def consent_on(self, program: str) -> date | None:
        return self.pm.consents.get(program)

    def basis(self, program: str) -> list[tuple[str, object]]:
        """The facts a program's lines rest on (consent, visit, care plan), unformatted."""
        pm = self.pm
        rule = self.rules.programs[program]
        out: list[tuple[str, object]] = [(f"{program} consent", pm.consents.get(program))]
        if rule.initiating_visit:
            out.append(
                ("visit with the billing practitioner", pm.patient.seen_by_billing_practitioner_on)
            )
        if rule.signed_care_plan:
            out.append(("care plan signed", pm.care_plan.signed))
        return out


_NO_MINUTES = Minutes()


def _count_minutes(pm: PatientMonth, settings: Settings) -> dict[str, Minutes]:
    """BILL-001: countable minutes are dated inside the month, on or after the program's
    consent date (CCM-030, CCM-065), not during an inpatient/SNF stay where CCM-062 excludes
    them, and not after death (ALL-001). Each entry belongs to one program (CCM-063)."""
    out: dict[str, Minutes] = {}
    if not pm.time:
        return out
    first = pm.month.first_day
    last = pm.month.last_day
    consents = pm.consents
    inpatient_counts = settings.inpatient_minutes_count
    died = pm.patient.deceased_on
    rpm_consent = settings.rpm_requires_program_consent
    for index, entry in enumerate(pm.time):
        day = entry.on
        if day < first or day > last:  # CCM-060: minutes never roll over
            continue
        program = entry.program
        bucket = out.get(program)
        if bucket is None:
            bucket = out[program] = Minutes()
        minutes = entry.minutes
        bucket.recorded += minutes
        cause = None
        consent = consents.get(program)
        if program == "RPM" and not rpm_consent:
            consent = first  # CCM-034: RPM consent is a CONFIG point
        if consent is None:
            cause = "without consent"
        elif day < consent:
            cause = "before the consent date"  # CCM-030
        elif entry.during_inpatient_stay and not inpatient_counts.get(program, False):
            cause = "during an inpatient or SNF stay"  # CCM-062 (BHI counts by default)
        elif died is not None and day > died:
            cause = "after the patient's death"  # ALL-001
        if cause is not None:
            bucket.uncounted[cause] = bucket.uncounted.get(cause, 0) + minutes
        elif entry.role == "billing_practitioner":
            bucket.practitioner += minutes
            bucket.practitioner_entries.append(index)
        else:
            bucket.staff += minutes
            bucket.staff_entries.append(index)
    return out


def uncounted_notes(program: str, minutes: Minutes) -> list[str]:
    rules = {
        "without consent": "CCM-030",
        "before the consent date": "CCM-030",
        "during an inpatient or SNF stay": "CCM-062",
        "after the patient's death": "ALL-001",
    }
    return [
        f"{program}: {plural(n, 'minute')} {cause} do not count ({rules[cause]})"
        for cause, n in minutes.uncounted.items()
    ]


def _span(months: int) -> str:
    if months > 12 and months % 12 == 0:
        return f"{months // 12} years"
    return f"{months} months"


def prerequisites(ctx: Context, program: str) -> list[Reason]:
    """BILL-009: payer, life, consent, initiating visit, care plan and chronic conditions."""
    pm = ctx.pm
    settings = ctx.settings
    month = ctx.month
    patient = pm.patient
    rule = ctx.rules.programs[program]
    reasons: list[Reason] = []
    if patient.payer not in settings.accepted_payers:  # CCM-002
        accepted = ", ".join(sorted(settings.accepted_payers))
        reasons.append(
            Reason(
                "CCM-002",
                f"payer {patient.payer} is not an accepted payer ({accepted}): bill only with Medicare Part B coverage in the month",
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
    if rule.needs_consent(settings):  # CCM-034
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
        revoked = pm.revocations.get(program)
        if (
            consent is not None
            and revoked is not None
            and revoked >= consent
            and revoked < month.first_day
        ):
            # CCM-033: a revocation takes effect at the end of the month in which it is recorded
            reasons.append(
                Reason(
                    "CCM-033",
                    f"consent revoked on {revoked.isoformat()}, effective at the end of that month: record a new consent to resume",
                )
            )
    seen = patient.seen_by_billing_practitioner_on
    if rule.initiating_visit:
        # CCM-021: tested once, against the program's start (its consent date)
        window = settings.initiating_visit_window_months.get(program, 12)
        start = consent if consent is not None and consent <= month.last_day else month.first_day
        earliest = first_day_minus_months(start, window)
        if seen is None or seen < earliest or seen > month.last_day:
            last = seen.isoformat() if seen is not None else "never"
            reasons.append(
                Reason(
                    "CCM-021",
                    f"no initiating visit in {_span(window)} before {program} started on {start.isoformat()} (last visit: {last}): schedule an E/M visit or AWV with the billing practitioner",
                )
            )
        every = settings.require_visit_every_months
        if every and (seen is None or seen < month.minus_months(every - 1)):  # CCM-023
            reasons.append(
                Reason(
                    "CCM-023",
                    f"no visit with the billing practitioner in the last {every} months: schedule an E/M visit or AWV",
                )
            )
    if rule.signed_care_plan and not pm.care_plan.signed:  # CCM-053
        reasons.append(
            Reason(
                "CCM-053",
                "care plan not signed: the billing practitioner signs the comprehensive care plan by the last day of the month",
            )
        )
    needed = rule.min_chronic_conditions
    if needed:
        have = len(ctx.conditions)
        if have < needed:  # CCM-001 (two or more), PCM-001 (one)
            rule_id = "CCM-001" if program == "CCM" else "PCM-001"
            names = ", ".join(sorted(ctx.conditions)) or "none"
            reasons.append(
                Reason(
                    rule_id,
                    f"{program} needs {needed} or more distinct chronic conditions, {have} on record ({names}): document the patient's chronic conditions with ICD-10-CM codes",
                )
            )
    return reasons


def visit_note(ctx: Context, program: str) -> str | None:
    """CCM-023: without a visit requirement, warn when the last visit is over 12 months old."""
    seen = ctx.pm.patient.seen_by_billing_practitioner_on
    if ctx.settings.require_visit_every_months or not ctx.rules.programs[program].initiating_visit:
        return None
    if seen is not None and seen < ctx.month.year_before:
        return f"{program}: the last visit with the billing practitioner ({seen.isoformat()}) is over 12 months old; a visit is not required (CCM-023)"
    return None


def series(ctx: Context, base: str, minutes: int) -> list[tuple[str, int]] | None:
    """A base code and its add-on for `minutes` (CCM-061: full minutes only), or None."""
    rules_codes = ctx.rules.codes
    base_rule = rules_codes[base]
    threshold = base_rule.minutes or 0
    if minutes < threshold:
        return None
    out = [(base, 1)]
    addon = ctx.rules.addon_for.get(base)
    if addon is not None:
        addon_rule = rules_codes[addon]
        step = addon_rule.minutes or 1
        units = (minutes - threshold) // step
        cap = addon_rule.cap(ctx.settings)
        if cap and units > cap:
            units = cap
        if units:
            out.append((addon, units))
    return out


def payment(ctx: Context, option: list[tuple[str, int]]) -> int:
    codes = ctx.rules.codes
    return sum(codes[code].amount_cents * units for code, units in option)
