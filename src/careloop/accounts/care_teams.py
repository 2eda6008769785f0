"""Care-team assignment: who is a patient's primary care manager, case manager and billing
practitioner, and from when to when (SEC-002; medicare-rules §0, CCM-041, WRK-002).

A program administrator's action, audited in its transaction (architecture §2 rule 3). The
checks say precisely what is wrong, keyed by the form field that is wrong, so the screen can
show each message next to its field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from careloop.audit.services import snapshot

from . import policies
from .models import CareTeamAssignment, CareTeamRole, Credential, Role, StaffType
from .services import create_audited, require_member_admin, update_audited

# Which membership role a care-team role needs (SEC-002; medicare-rules §0).
CARE_TEAM_ROLE_NEEDS = {
    CareTeamRole.PRIMARY_CARE_MANAGER: {Role.CARE_MANAGER, Role.CASE_MANAGER},
    CareTeamRole.CASE_MANAGER: {Role.CASE_MANAGER},
    CareTeamRole.BILLING_PRACTITIONER: {Role.BILLING_PRACTITIONER},
}
# medicare-rules §0: a billing practitioner is a physician, NP, PA, CNS or CNM ...
PRACTITIONER_TYPES = frozenset(
    {StaffType.PHYSICIAN, StaffType.NP, StaffType.PA, StaffType.CNS, StaffType.CNM}
)
# ... and a patient has one designated care manager (CCM-041) and one billing practitioner
# (WRK-002) at a time; case managers may be several.
ONE_AT_A_TIME = frozenset({CareTeamRole.PRIMARY_CARE_MANAGER, CareTeamRole.BILLING_PRACTITIONER})


def _name(person: Any) -> str:
    return str(person.get_full_name() or person.get_username())


def _current_licence(person: Any, on: dt.date) -> bool:
    return (
        Credential.objects.filter(user=person, kind=Credential.Kind.LICENSE)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))
        .exists()
    )


def fit_problems(person: Any, organization: Any, role: str, start: dt.date) -> list[str]:
    """Why `person` cannot hold care-team `role` in `organization` from `start` (empty: fits).

    - every role needs a fitting active membership (a care manager cannot be the billing
      practitioner);
    - a billing practitioner needs the NPI they bill under on that membership, and a
      practitioner staff type when one is recorded (§0);
    - a case manager needs a licence (RN, LCSW, ...) that is current on the start date.
    """
    needs = CARE_TEAM_ROLE_NEEDS[CareTeamRole(role)]
    label = CareTeamRole(role).label.lower()
    active = policies.memberships(person)
    fitting = [m for m in active if m.organization_id == organization.pk and m.role in needs]
    if not fitting:
        wanted = " or ".join(sorted(Role(r).label.lower() for r in needs))
        return [f"{_name(person)} has no active {wanted} membership in {organization}."]
    problems = []
    if role == CareTeamRole.BILLING_PRACTITIONER:
        if not any(m.npi for m in fitting):
            problems.append(
                f"{_name(person)} has no NPI on their billing practitioner membership; "
                "record the NPI on the members page first."
            )
        profile = getattr(person, "staff_profile", None)
        if profile is not None and profile.staff_type not in PRACTITIONER_TYPES:
            problems.append(
                f"A billing practitioner is a physician, NP, PA, CNS or CNM; {_name(person)} "
                f"is recorded as {profile.get_staff_type_display()}."
            )
    if role == CareTeamRole.CASE_MANAGER and not _current_licence(person, start):
        problems.append(
            f"A {label} needs a professional licence current on {start.isoformat()}; "
            f"{_name(person)} has none (add it on the credentials page)."
        )
    return problems


def _overlapping(patient: Any, role: str, start: dt.date, end: dt.date | None) -> Any:
    rows = CareTeamAssignment.objects.filter(patient=patient, role=role)
    rows = rows.filter(Q(end__isnull=True) | Q(end__gte=start))
    if end is not None:
        rows = rows.filter(start__lte=end)
    return rows.select_related("user").order_by("start", "pk")


def _period(a: CareTeamAssignment) -> str:
    return f"from {a.start.isoformat()}" + (f" to {a.end.isoformat()}" if a.end else "")


def assign_care_team(
    *,
    acting_user: Any,
    patient: Any,
    user: Any,
    role: str,
    start: dt.date,
    end: dt.date | None = None,
) -> CareTeamAssignment:
    """Put `user` on `patient`'s care team as `role` from `start` (to `end`, inclusive)."""
    with transaction.atomic():
        organization = patient.organization
        require_member_admin(acting_user, organization)
        if role not in CareTeamRole.values:
            raise ValidationError({"role": f"Unknown care-team role {role!r}."})
        errors: dict[str, list[str]] = {}
        if end is not None and end < start:
            errors["end"] = [f"The end date must be on or after the start ({start.isoformat()})."]
        problems = fit_problems(user, organization, role, start)
        if problems:
            errors["user"] = problems
        # one patient's assignments change one at a time: the overlap check below holds
        type(patient).objects.select_for_update().filter(pk=patient.pk).first()
        label = CareTeamRole(role).label.lower()
        for other in _overlapping(patient, role, start, end):
            if other.user_id == user.pk:
                errors.setdefault("user", []).append(
                    f"{_name(user)} is already this patient's {label} {_period(other)}."
                )
            elif role in ONE_AT_A_TIME:
                errors.setdefault("start", []).append(
                    f"{_name(other.user)} is this patient's {label} {_period(other)}; a patient "
                    f"has one {label} at a time, so end that assignment first."
                )
        if errors:
            raise ValidationError(errors)
        return create_audited(
            acting_user,
            organization,
            CareTeamAssignment(
                organization=organization,
                patient=patient,
                user=user,
                role=role,
                start=start,
                end=end,
            ),
        )


def end_care_team_assignment(
    *, acting_user: Any, assignment: CareTeamAssignment, end: dt.date
) -> CareTeamAssignment:
    """End an assignment on `end` (inclusive: the person is on the team that day)."""
    with transaction.atomic():
        assignment = CareTeamAssignment.objects.select_for_update().get(pk=assignment.pk)
        require_member_admin(acting_user, assignment.organization)
        if end < assignment.start:
            raise ValidationError(
                {
                    "end": f"The end date must be on or after the start ({assignment.start.isoformat()})."
                }
            )
        if assignment.end is not None and assignment.end < end:
            raise ValidationError(
                {"end": f"This assignment already ended on {assignment.end.isoformat()}."}
            )
        before = snapshot(assignment)
        assignment.end = end
        return update_audited(acting_user, assignment.organization, assignment, before)
