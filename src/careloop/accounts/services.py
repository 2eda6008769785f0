"""State changes of organizations, people, care teams and emergency access.

Each function is one state change in one transaction that writes its audit event
(architecture §2 rule 3; `record_change` from careloop.audit). Policy checks come first, each
on its own line; a refusal is `PermissionDenied`, bad input `ValidationError`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from careloop.audit.services import record_access, record_change, snapshot

from . import policies
from .models import (
    BreakGlassGrant,
    CareTeamAssignment,
    CareTeamRole,
    Credential,
    Membership,
    Organization,
    Role,
    StaffProfile,
)

# Which membership role a care-team role needs (SEC-002; medicare-rules §0).
CARE_TEAM_ROLE_NEEDS = {
    CareTeamRole.PRIMARY_CARE_MANAGER: {Role.CARE_MANAGER, Role.CASE_MANAGER},
    CareTeamRole.CASE_MANAGER: {Role.CASE_MANAGER},
    CareTeamRole.BILLING_PRACTITIONER: {Role.BILLING_PRACTITIONER},
}


@transaction.atomic
def get_or_create_organization(slug: str, name: str | None = None) -> Organization:
    org, _created = Organization.objects.get_or_create(
        slug=slug, defaults={"name": name or slug.replace("-", " ").title()}
    )
    return org


def _require_admin(acting_user: Any, organization: Organization) -> None:
    if not policies.can_manage_members(acting_user, organization):
        raise PermissionDenied("only a program administrator of the organization may do this")


def _create(acting_user: Any, organization: Organization | None, instance: Any) -> Any:
    instance.full_clean()
    instance.save()
    record_change(
        actor=acting_user,
        organization=organization,
        instance_or_entity=instance,
        action="create",
        before=None,
        after=snapshot(instance),
    )
    return instance


def _update(
    acting_user: Any, organization: Organization | None, instance: Any, before: dict
) -> Any:
    """Save `instance` (changed since the `before` snapshot) and record the field changes."""
    instance.full_clean()
    instance.save()
    record_change(
        actor=acting_user,
        organization=organization,
        instance_or_entity=instance,
        action="update",
        before=before,
        after=snapshot(instance),
    )
    return instance


def add_membership(
    *, acting_user: Any, organization: Organization, user: Any, role: str, npi: str = ""
) -> Membership:
    with transaction.atomic():
        _require_admin(acting_user, organization)
        if role == Role.BILLING_PRACTITIONER and not npi:
            raise ValidationError("a billing practitioner needs an NPI")
        return _create(
            acting_user,
            organization,
            Membership(user=user, organization=organization, role=role, npi=npi),
        )


def change_role(
    *, acting_user: Any, membership: Membership, role: str, npi: str = ""
) -> Membership:
    """A role change (sensitive: its view needs a recent sign-in, SEC-010)."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        _require_admin(acting_user, membership.organization)
        if role not in Role.values:
            raise ValidationError(f"unknown role {role!r}")
        if role == Role.BILLING_PRACTITIONER and not (npi or membership.npi):
            raise ValidationError("a billing practitioner needs an NPI")
        clash = Membership.objects.filter(
            user_id=membership.user_id, organization_id=membership.organization_id, role=role
        ).exclude(pk=membership.pk)
        if clash.exists():
            raise ValidationError("the user already has that role in the organization")
        before = snapshot(membership)
        membership.role = role
        if npi:
            membership.npi = npi
        return _update(acting_user, membership.organization, membership, before)


def set_staff_profile(
    *, acting_user: Any, user: Any, staff_type: str, title: str = ""
) -> StaffProfile:
    with transaction.atomic():
        profile = StaffProfile.objects.select_for_update().filter(user=user).first()
        if profile is None:
            return _create(
                acting_user, None, StaffProfile(user=user, staff_type=staff_type, title=title)
            )
        before = snapshot(profile)
        profile.staff_type, profile.title = staff_type, title
        return _update(acting_user, None, profile, before)


def add_credential(
    *,
    acting_user: Any,
    user: Any,
    kind: str,
    number: str,
    state: str = "",
    issuer: str = "",
    issued_on: dt.date | None = None,
    expires_on: dt.date | None = None,
) -> Credential:
    with transaction.atomic():
        return _create(
            acting_user,
            None,
            Credential(
                user=user,
                kind=kind,
                number=number,
                state=state.upper(),
                issuer=issuer,
                issued_on=issued_on,
                expires_on=expires_on,
            ),
        )


def assign_care_team(
    *,
    acting_user: Any,
    patient: Any,
    user: Any,
    role: str,
    start: dt.date,
    end: dt.date | None = None,
) -> CareTeamAssignment:
    """Put `user` on `patient`'s care team as `role` (a program administrator's action)."""
    with transaction.atomic():
        organization = patient.organization
        _require_admin(acting_user, organization)
        needs = CARE_TEAM_ROLE_NEEDS.get(role)
        if needs is None:
            raise ValidationError(f"unknown care-team role {role!r}")
        if not policies.roles_in(user, organization) & needs:
            raise ValidationError(
                f"{user} has no {' or '.join(sorted(needs))} membership in {organization}"
            )
        return _create(
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
    with transaction.atomic():
        assignment = CareTeamAssignment.objects.select_for_update().get(pk=assignment.pk)
        _require_admin(acting_user, assignment.organization)
        before = snapshot(assignment)
        assignment.end = end
        return _update(acting_user, assignment.organization, assignment, before)


def break_the_glass(
    *,
    acting_user: Any,
    organization: Organization,
    patient: Any,
    reason: str,
    minutes: int | None = None,
) -> BreakGlassGrant:
    """Emergency access to one patient of the user's own organization (SEC-003).

    Refused across organizations (the caller shows a 404, as for a missing patient), to
    users with nothing to break (they already see the patient's organization), and without
    a reason of at least `BREAK_GLASS_REASON_MIN_LENGTH` characters.
    """
    reason = " ".join(reason.split())
    with transaction.atomic():
        if patient.organization_id != organization.pk:
            raise PermissionDenied("the patient is not in the organization")
        if not policies.may_break_glass(acting_user, organization):
            raise PermissionDenied("this user has no routine access to break out of")
        if len(reason) < settings.BREAK_GLASS_REASON_MIN_LENGTH:
            raise ValidationError(
                f"state the reason in at least {settings.BREAK_GLASS_REASON_MIN_LENGTH} characters"
            )
        now = timezone.now()
        grant = _create(
            acting_user,
            organization,
            BreakGlassGrant(
                organization=organization,
                patient=patient,
                user=acting_user,
                reason=reason,
                granted_at=now,
                expires_at=now + dt.timedelta(minutes=minutes or settings.BREAK_GLASS_MINUTES),
            ),
        )
        record_access(
            actor=acting_user,
            organization=organization,
            patient_ids=[patient.pk],
            view="accounts:break_glass",
            purpose="emergency",
            break_glass=True,
        )
        return grant


def review_break_glass(*, acting_user: Any, grant: BreakGlassGrant, note: str) -> BreakGlassGrant:
    with transaction.atomic():
        grant = BreakGlassGrant.objects.select_for_update().get(pk=grant.pk)
        if not policies.can_mark_break_glass_reviewed(acting_user, grant.organization):
            raise PermissionDenied("only a program administrator records the review")
        if grant.user_id == getattr(acting_user, "pk", None):
            raise PermissionDenied("nobody reviews their own emergency access")
        before = snapshot(grant)
        grant.reviewed_by = acting_user
        grant.reviewed_at = timezone.now()
        grant.review_note = note.strip()
        return _update(acting_user, grant.organization, grant, before)
