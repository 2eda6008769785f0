"""Reading people, credentials and emergency-access records, always for an acting user."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from . import policies
from .models import (
    BreakGlassGrant,
    CareTeamAssignment,
    Credential,
    Membership,
    Organization,
    RecoveryCodeDevice,
    Role,
)


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
    found = find_patient(org, reference)  # type: ignore[arg-type]
    if found is None:
        raise Http404("No such patient")
    return found


def _patients_of(organization: Organization) -> QuerySet[Any]:
    """`clinical.Patient` rows of the organization, reached through a foreign key so that this
    lower layer does not import the clinical package (decision 0006)."""
    patient_model = CareTeamAssignment._meta.get_field("patient").related_model
    return patient_model.objects.filter(organization=organization)  # type: ignore[union-attr]


def find_patient(organization: Organization, reference: str) -> Any:
    """The organization's patient named by careloop id, MRN or MBI; None when there is none."""
    patients = _patients_of(organization)
    reference = reference.strip()
    by_id = reference.isdigit() and len(reference) <= 18
    found = patients.filter(pk=int(reference)).first() if by_id else None
    if found is None and reference:
        found = (
            patients.filter(mrn__iexact=reference).first()
            or patients.filter(mbi__iexact=reference).first()
        )
    return found


# --- care teams and credentials, for the active organization's program administrators -----

ASSIGNMENT_SORTS = {
    "patient": ("patient__family_name", "patient__given_name", "patient_id"),
    "role": ("role", "patient__family_name", "patient_id"),
    "person": ("user__last_name", "user__first_name", "user__username"),
    "start": ("start", "id"),
    "end": ("end", "id"),
}
CREDENTIAL_SORTS = {
    "person": ("user__last_name", "user__first_name", "user__username", "id"),
    "kind": ("kind", "expires_on", "id"),
    "expires": ("expires_on", "id"),
    "state": ("state", "expires_on", "id"),
}


def _ordering(sorts: dict[str, tuple[str, ...]], sort: str, default: str) -> list[Any]:
    """Order by the sort key's fields (reversed for "-key"); empty dates last either way,
    the same on SQLite and PostgreSQL."""
    key = sort.lstrip("-")
    descending = sort.startswith("-") and key in sorts
    fields = sorts.get(key) or sorts[default]
    return [F(f).desc(nulls_last=True) if descending else F(f).asc(nulls_last=True) for f in fields]


def _admin_org(user: Any, session: Any, allowed: Any) -> Organization | None:
    org = policies.active_organization(user, session)
    return org if org is not None and allowed(user, org) else None


def active_organization_or_404(user: Any, session: Any, allowed: Any) -> Organization:
    """The active organization when the policy `allowed(user, org)` says yes; else the 404 of
    a page that does not exist (nothing tells the user the screen is there)."""
    org = _admin_org(user, session, allowed)
    if org is None:
        raise Http404("No such page")
    return org


def care_team_assignments(
    user: Any,
    session: Any = None,
    *,
    status: str = "current",
    search: str = "",
    sort: str = "patient",
    patient_id: int | None = None,
    on: dt.date | None = None,
) -> QuerySet[CareTeamAssignment]:
    """The active organization's assignments (`status`: current, ended, upcoming or all)."""
    org = _admin_org(user, session, policies.can_manage_care_teams)
    if org is None:
        return CareTeamAssignment.objects.none()
    on = on or timezone.localdate()
    rows = CareTeamAssignment.objects.filter(organization=org)
    if patient_id is not None:
        rows = rows.filter(patient_id=patient_id)
    if status == "current":
        rows = rows.filter(start__lte=on).filter(Q(end__isnull=True) | Q(end__gte=on))
    elif status == "ended":
        rows = rows.filter(end__lt=on)
    elif status == "upcoming":
        rows = rows.filter(start__gt=on)
    for word in search.split():
        rows = rows.filter(
            Q(patient__family_name__icontains=word)
            | Q(patient__given_name__icontains=word)
            | Q(patient__mrn__iexact=word)
            | Q(user__username__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(user__first_name__icontains=word)
        )
    return rows.select_related("patient", "user").order_by(
        *_ordering(ASSIGNMENT_SORTS, sort, "patient")
    )


def get_assignment_for_admin(
    user: Any, assignment_id: int, session: Any = None
) -> CareTeamAssignment:
    found = care_team_assignments(user, session, status="all").filter(pk=assignment_id).first()
    if found is None:
        raise Http404("No such care-team assignment")
    return found


def patient_for_care_team(user: Any, patient_id: int, session: Any = None) -> Any:
    """A patient of the active organization, for its program administrators — or 404 (the
    same 404 for another organization's patient as for one that does not exist)."""
    org = _admin_org(user, session, policies.can_manage_care_teams)
    found = None if org is None else _patients_of(org).filter(pk=patient_id).first()
    if found is None:
        raise Http404("No such patient")
    return found


# str() gives a TextChoices member's value; mypy (no Django stubs) types the bare member as
# its (value, label) tuple.
CARE_TEAM_MEMBER_ROLES = (
    str(Role.CARE_MANAGER),
    str(Role.CASE_MANAGER),
    str(Role.BILLING_PRACTITIONER),
)


def organization_people(
    organization: Organization, roles: tuple[str, ...] | None = None
) -> QuerySet[Any]:
    """People with an active membership of the organization (in one of `roles`, if given)."""
    members = Membership.objects.filter(organization=organization, active=True)
    if roles is not None:
        members = members.filter(role__in=roles)
    user_model = Membership._meta.get_field("user").related_model
    return user_model.objects.filter(  # type: ignore[union-attr]
        pk__in=members.values("user_id")
    ).order_by("last_name", "first_name", "username")


def credentials_of_members(
    user: Any, session: Any = None, *, sort: str = "expires"
) -> QuerySet[Credential]:
    org = _admin_org(user, session, policies.can_manage_credentials)
    if org is None:
        return Credential.objects.none()
    people = Membership.objects.filter(organization=org, active=True).values("user_id")
    return (
        Credential.objects.filter(user_id__in=people)
        .select_related("user")
        .order_by(*_ordering(CREDENTIAL_SORTS, sort, "expires"))
    )


def get_credential_for_admin(user: Any, credential_id: int, session: Any = None) -> Credential:
    found = credentials_of_members(user, session).filter(pk=credential_id).first()
    if found is None:
        raise Http404("No such credential")
    return found


def recovery_device(user: Any) -> RecoveryCodeDevice | None:
    return RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user: Any) -> int | None:
    """How many unused recovery codes the user has; None when they never had any."""
    device = recovery_device(user)
    return None if device is None else device.codes.filter(used_at__isnull=True).count()
