"""Transitional care management (BILL-005, TCM-001, TCM-010, TCM-011, FQ-004)."""

from __future__ import annotations

from datetime import timedelta

from careloop.billing.engine.business_days import business_days_between, nth_business_day_after
from careloop.billing.engine.context import Context, Outcome, new_outcome, ordinal, plural
from careloop.billing.engine.model import Line, Reason


def tcm_in_month(ctx: Context) -> bool:
    """TCM is considered when the discharge or the face-to-face visit falls in the month."""
    discharge = ctx.pm.discharge
    if discharge is None:
        return False
    month = ctx.month
    seen = discharge.face_to_face_on
    return (month.first_day <= discharge.discharged_on <= month.last_day) or (
        seen is not None and month.first_day <= seen <= month.last_day
    )


def evaluate_tcm(ctx: Context) -> Outcome:
    outcome = new_outcome("TCM")
    discharge = ctx.pm.discharge
    assert discharge is not None
    rules = ctx.plan.rules
    tcm = rules.tcm
    reasons = outcome.reasons
    patient = ctx.pm.patient
    month = ctx.month
    left = discharge.discharged_on
    if patient.payer not in ctx.plan.accepted_payers:  # CCM-002
        reasons.append(
            Reason(
                "CCM-002",
                f"payer {patient.payer} is not an accepted payer: bill only with Medicare Part B coverage",
            )
        )
    # TCM-001: from an inpatient, observation, SNF or partial-hospitalization stay to the community
    if discharge.discharged_from not in tcm.discharged_from:
        reasons.append(
            Reason(
                "TCM-001",
                f"discharge from {discharge.discharged_from} does not qualify: TCM follows an inpatient, observation, SNF or partial-hospitalization stay",
            )
        )
    if discharge.discharged_to not in tcm.discharged_to:
        reasons.append(
            Reason(
                "TCM-001",
                f"discharge to {discharge.discharged_to} is not to the community: TCM needs a discharge home, to a domiciliary, rest home or assisted living",
            )
        )
    # BILL-005 (1): interactive contact by the 2nd business day after discharge
    deadline = nth_business_day_after(left, tcm.contact_business_days)
    contact = discharge.interactive_contact_on
    if contact is None:
        reasons.append(
            Reason(
                "BILL-005",
                f"no interactive contact within {tcm.contact_business_days} business days after discharge (by {deadline.isoformat()}): contact the patient by phone, electronically or in person, or document two attempts",
            )
        )
    elif contact < left:
        reasons.append(
            Reason(
                "BILL-005",
                f"interactive contact on {contact.isoformat()} is before the discharge on {left.isoformat()}",
            )
        )
    elif contact > deadline:
        late = business_days_between(left, contact)
        reasons.append(
            Reason(
                "BILL-005",
                f"interactive contact was {plural(late, 'business day')} after discharge; it is due by the {ordinal(tcm.contact_business_days)} business day ({deadline.isoformat()})",
            )
        )
    # BILL-005 (3): the face-to-face visit, with the MDM, decides the code
    seen = discharge.face_to_face_on
    code = None
    if seen is None:
        reasons.append(
            Reason(
                "BILL-005",
                f"no face-to-face visit yet: see the patient by {(left + timedelta(days=7)).isoformat()} (high MDM, 99496) or {(left + timedelta(days=14)).isoformat()} (99495)",
            )
        )
    else:
        days = (seen - left).days
        if days < 1:
            reasons.append(
                Reason("BILL-005", "the face-to-face visit must be on a day after the discharge")
            )
        else:
            plan = ctx.plan
            # TCM-011 (7 days, high MDM), then TCM-010 (14 days): by payment, highest first
            for rule in plan.tcm_options:
                if days <= (rule.max_days_after_discharge or 0) and ctx.pm.mdm in rule.mdm:
                    code = rule
                    break
            if code is None:
                widest = plan.tcm_widest
                if ctx.pm.mdm not in plan.tcm_mdm:
                    reasons.append(
                        Reason("TCM-010", f"MDM is {ctx.pm.mdm}: TCM needs moderate or high MDM")
                    )
                if days > widest:
                    reasons.append(
                        Reason(
                            "TCM-010",
                            f"face-to-face visit on day {days} after discharge is outside {widest} days",
                        )
                    )
        if not (month.first_day <= seen <= month.last_day):
            reasons.append(
                Reason(
                    "BILL-005",
                    f"the face-to-face visit on {seen.isoformat()} is not in {month.key}: TCM is billed in the visit's month",
                )
            )
    # BILL-005 (2): medication reconciliation on or before the face-to-face visit
    med_rec = discharge.med_rec_on
    if med_rec is None:
        reasons.append(
            Reason(
                "BILL-005",
                "medication reconciliation missing: reconcile medications on or before the face-to-face visit",
            )
        )
    elif seen is not None and med_rec > seen:
        reasons.append(
            Reason(
                "BILL-005",
                f"medication reconciliation on {med_rec.isoformat()} is after the face-to-face visit on {seen.isoformat()}",
            )
        )
    # BILL-005 (4), ALL-001: alive through the 30-day period (the discharge date + 29 days)
    died = patient.deceased_on
    if died is not None and left <= died <= left + timedelta(days=tcm.period_days - 1):
        reasons.append(
            Reason(
                "BILL-005",
                f"patient died on {died.isoformat()}, within the 30-day TCM period; bill the visit as an E/M",
            )
        )
    elif died is not None and died < left:
        reasons.append(
            Reason("ALL-001", f"patient died on {died.isoformat()}, before the discharge")
        )
    if reasons or code is None:
        return outcome
    assert seen is not None
    facts: tuple[tuple[str, object], ...] = (
        ("discharge", left),
        ("discharged from", discharge.discharged_from),
        ("discharged to", discharge.discharged_to),
        ("interactive contact", contact),
        ("medication reconciliation", med_rec),
        ("face-to-face visit", seen),
        ("days after discharge", (seen - left).days),
        ("MDM", ctx.pm.mdm),
    )
    outcome.lines.append(
        Line(
            code.code,
            1,
            "TCM",
            code.amount_cents,
            (code.rule, "BILL-005", "FQ-004"),
            (),
            facts,
            seen,
        )
    )
    return outcome


def tcm_reversals(ctx: Context) -> tuple[str, ...]:
    """BILL-005 (4): a TCM line already billed is flagged for reversal after a death in the period."""
    discharge = ctx.pm.discharge
    died = ctx.pm.patient.deceased_on
    if discharge is None or died is None:
        return ()
    if not (
        discharge.discharged_on
        <= died
        <= discharge.discharged_on + timedelta(days=ctx.plan.rules.tcm.period_days - 1)
    ):
        return ()
    return tuple(
        other.code
        for other in ctx.pm.other_codes
        if other.code in ctx.plan.codes and ctx.plan.codes[other.code].program == "TCM"
    )
