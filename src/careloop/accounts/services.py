"""State changes of organizations, memberships, staff profiles and emergency access.

Care teams are in `care_teams.py`, credentials in `credentials.py`, second factors in
`mfa_services.py`; they share `create_audited` / `update_audited` from here.

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
from careloop.core.npi import npi_problem

from . import policies
from .models import (
    BreakGlassGrant,
    Membership,
    Organization,
    Role,
    StaffProfile,
)


@transaction.atomic
def get_or_create_organization(slug: str, name: str | None = None) -> Organization:
    org, _created = Organization.objects.get_or_create(
        slug=slug, defaults={"name": name or slug.replace("-", " ").title()}
    )
    return org


def require_member_admin(acting_user: Any, organization: Organization) -> None:
    if not policies.can_manage_members(acting_user, organization):
        raise PermissionDenied("only a program administrator of the organization may do this")


def create_audited(acting_user: Any, organization: Organization | None, instance: Any) -> Any:
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


def update_audited(
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


def _check_npi(npi: str) -> None:
    problem = npi_problem(npi) if npi else None
    if problem:
        raise ValidationError(problem)


def add_membership(
    *, acting_user: Any, organization: Organization, user: Any, role: str, npi: str = ""
) -> Membership:
    with transaction.atomic():
        require_member_admin(acting_user, organization)
        if role == Role.BILLING_PRACTITIONER and not npi:
            raise ValidationError("a billing practitioner needs an NPI")
        _check_npi(npi)
        return create_audited(
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
        require_member_admin(acting_user, membership.organization)
        if role not in Role.values:
            raise ValidationError(f"unknown role {role!r}")
        if role == Role.BILLING_PRACTITIONER and not (npi or membership.npi):
            raise ValidationError("a billing practitioner needs an NPI")
        _check_npi(npi)
        clash = Membership.objects.filter(
            user_id=membership.user_id, organization_id=membership.organization_id, role=role
        ).exclude(pk=membership.pk)
        if clash.exists():
            raise ValidationError("the user already has that role in the organization")
        before = snapshot(membership)
        membership.role = role
        if npi:
            membership.npi = npi
        return update_audited(acting_user, membership.organization, membership, before)


def set_staff_profile(
    *, acting_user: Any, user: Any, staff_type: str, title: str = ""
) -> StaffProfile:
    with transaction.atomic():
        profile = StaffProfile.objects.select_for_update().filter(user=user).first()
        if profile is None:
            return create_audited(
                acting_user, None, StaffProfile(user=user, staff_type=staff_type, title=title)
            )
        before = snapshot(profile)
        profile.staff_type, profile.title = staff_type, title
        return update_audited(acting_user, None, profile, before)


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
        grant = create_audited(
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
        return update_audited(acting_user, grant.organization, grant, before)
