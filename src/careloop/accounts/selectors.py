"""Reading people, credentials and emergency-access records, always for an acting user."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from . import policies
from .models import BreakGlassGrant, Credential, Membership, Organization, RecoveryCodeDevice


def credentials_expiring(
    organization: Organization, within_days: int | None = None, *, today: dt.date | None = None
) -> QuerySet[Credential]:
    """Credentials of the organization's active members that expire within `within_days`
    (default `CREDENTIAL_WARNING_DAYS`, 60), including those already expired; soonest first."""
    today = today or timezone.localdate()
    days = settings.CREDENTIAL_WARNING_DAYS if within_days is None else within_days
    members = Membership.objects.filter(organization=organization, active=True).values("user_id")
    return (
        Credential.objects.filter(user_id__in=members, expires_on__isnull=False)
        .filter(expires_on__lte=today + dt.timedelta(days=days))
        .select_related("user")
        .order_by("expires_on", "id")
    )


def my_expiring_credentials(user: Any, within_days: int | None = None) -> list[Credential]:
    """The user's own credentials due within the warning window (the home-page banner)."""
    if not getattr(user, "is_authenticated", False):
        return []
    today = timezone.localdate()
    days = settings.CREDENTIAL_WARNING_DAYS if within_days is None else within_days
    return list(
        Credential.objects.filter(
            user=user, expires_on__isnull=False, expires_on__lte=today + dt.timedelta(days=days)
        ).order_by("expires_on", "id")
    )


def break_glass_for_review(user: Any, session: Any = None) -> QuerySet[BreakGlassGrant]:
    """Break-the-glass accesses of the active organization, newest first; unreviewed first
    on the screen. Nothing for users who may not review."""
    org = policies.active_organization(user, session)
    if org is None or not policies.can_review_break_glass(user, org):
        return BreakGlassGrant.objects.none()
    return BreakGlassGrant.objects.filter(organization=org).select_related(
        "user", "reviewed_by", "patient"
    )


def get_break_glass_for_review(user: Any, grant_id: int, session: Any = None) -> BreakGlassGrant:
    grant = break_glass_for_review(user, session).filter(pk=grant_id).first()
    if grant is None:
        raise Http404("No such break-the-glass access")
    return grant


def members_of(user: Any, session: Any = None) -> QuerySet[Membership]:
    """The active organization's memberships, for its program administrators only."""
    org = policies.active_organization(user, session)
    if org is None or not policies.can_manage_members(user, org):
        return Membership.objects.none()
    return (
        Membership.objects.filter(organization=org)
        .select_related("user", "user__staff_profile")
        .order_by("user__last_name", "user__username", "role")
    )


def get_membership_for_admin(user: Any, membership_id: int, session: Any = None) -> Membership:
    membership = members_of(user, session).filter(pk=membership_id).first()
    if membership is None:
        raise Http404("No such membership")
    return membership


def patient_for_break_glass(user: Any, reference: str, session: Any = None) -> Any:
    """The patient of the active organization named by careloop id, MRN or MBI — or 404.

    Only for users who may break the glass. Other organizations' patients get the same 404
    as patients that do not exist. `clinical.Patient` is reached through the grant's foreign
    key, so this lower layer does not import the clinical package (decision 0006).
    """
    org = policies.active_organization(user, session)
    if not policies.may_break_glass(user, org):
        raise Http404("No such patient")
    patient_model = BreakGlassGrant._meta.get_field("patient").related_model
    patients = patient_model.objects.filter(organization=org)  # type: ignore[union-attr]
    reference = reference.strip()
    found = patients.filter(pk=int(reference)).first() if reference.isdigit() else None
    if found is None and reference:
        found = (
            patients.filter(mrn__iexact=reference).first()
            or patients.filter(mbi__iexact=reference).first()
        )
    if found is None:
        raise Http404("No such patient")
    return found


def recovery_device(user: Any) -> RecoveryCodeDevice | None:
    return RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user: Any) -> int | None:
    """How many unused recovery codes the user has; None when they never had any."""
    device = recovery_device(user)
    return None if device is None else device.codes.filter(used_at__isnull=True).count()
