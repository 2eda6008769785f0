"""The one place that decides who may see or do what (architecture §2 rule 2, SEC-002).

Patient data is visible only inside the patient's organization, to members of it whose role
may see PHI. Views never filter by organization themselves; they call the selectors in
`clinical/selectors.py`, which call these functions. The rules, in words, are in
`docs/access-control.md`; each condition below sits on its own line so the tests show that
every case is exercised.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone

from .models import BreakGlassGrant, CareTeamAssignment, Membership, Organization, Role

PHI_ROLES = frozenset(
    {
        Role.CARE_MANAGER,
        Role.CASE_MANAGER,
        Role.BILLING_PRACTITIONER,
        Role.BILLER,
        Role.PROGRAM_ADMIN,
        Role.AUDITOR,
    }
)
WRITE_ROLES = frozenset(PHI_ROLES - {Role.AUDITOR})
IMPORT_ROLES = frozenset({Role.PROGRAM_ADMIN})
# In an organization with chart_access = care_team these roles see only the patients they are
# assigned to (and, for a limited time, those they broke the glass for) ...
CARE_TEAM_ROLES = frozenset({Role.CARE_MANAGER, Role.CASE_MANAGER, Role.BILLING_PRACTITIONER})
# ... while these see every patient of the organization.
ORGANIZATION_WIDE_ROLES = frozenset(PHI_ROLES - CARE_TEAM_ROLES)
REVIEW_ROLES = frozenset({Role.PROGRAM_ADMIN, Role.AUDITOR})
MEMBER_ADMIN_ROLES = frozenset({Role.PROGRAM_ADMIN})


def memberships(user: Any) -> list[Membership]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Membership.objects.filter(user=user, active=True).select_related("organization"))


def active_organization(user: Any, session: Any = None) -> Organization | None:
    """The organization the user is working in: the session's choice, else the first one."""
    ms = memberships(user)
    if not ms:
        return None
    wanted = session.get("active_organization_id") if session is not None else None
    for m in ms:
        if m.organization_id == wanted:
            return m.organization
    return ms[0].organization


def roles_in(user: Any, organization: Organization | None) -> set[str]:
    if organization is None:
        return set()
    return {m.role for m in memberships(user) if m.organization_id == organization.pk}


def can_view_phi(user: Any, organization: Organization | None) -> bool:
    return bool(roles_in(user, organization) & PHI_ROLES)


def can_write(user: Any, organization: Organization | None) -> bool:
    """May change data of the organization (auditors never may)."""
    return bool(roles_in(user, organization) & WRITE_ROLES)


def can_view_import_runs(user: Any, organization: Organization | None) -> bool:
    return bool(roles_in(user, organization) & (IMPORT_ROLES | {Role.AUDITOR}))


def can_manage_members(user: Any, organization: Organization | None) -> bool:
    """Change roles, care teams and credentials of the organization's people."""
    return bool(roles_in(user, organization) & MEMBER_ADMIN_ROLES)


def can_manage_care_teams(user: Any, organization: Organization | None) -> bool:
    """Assign people to patients' care teams and end assignments (SEC-002: care teams scope
    worklists and, with `chart_access = care_team`, charts)."""
    return bool(roles_in(user, organization) & MEMBER_ADMIN_ROLES)


def can_manage_credentials(user: Any, organization: Organization | None) -> bool:
    """List, add and correct the licences and certifications of the organization's people."""
    return bool(roles_in(user, organization) & MEMBER_ADMIN_ROLES)


def is_active_member(person: Any, organization: Organization | None) -> bool:
    """The person holds an active membership of the organization (any role)."""
    if organization is None:
        return False
    return Membership.objects.filter(user=person, organization=organization, active=True).exists()


def can_review_break_glass(user: Any, organization: Organization | None) -> bool:
    """See the list of break-the-glass accesses (program administrators and auditors)."""
    return bool(roles_in(user, organization) & REVIEW_ROLES)


def can_mark_break_glass_reviewed(user: Any, organization: Organization | None) -> bool:
    """Record the review of a break-the-glass access: a write, so not the auditor."""
    return bool(roles_in(user, organization) & MEMBER_ADMIN_ROLES)


def sees_whole_organization(user: Any, organization: Organization | None) -> bool:
    """True when the user's routine access covers every patient of the organization."""
    roles = roles_in(user, organization)
    if not roles & PHI_ROLES:
        return False
    if organization.chart_access == Organization.ChartAccess.ORGANIZATION:  # type: ignore[union-attr]
        return True
    return bool(roles & ORGANIZATION_WIDE_ROLES)


def may_break_glass(user: Any, organization: Organization | None) -> bool:
    """Only a care-team role in a care-team-scoped organization has anything to break."""
    roles = roles_in(user, organization)
    if not roles & CARE_TEAM_ROLES:
        return False
    return not sees_whole_organization(user, organization)


def care_team_patient_ids(user: Any, organization: Organization, on: dt.date | None = None):  # type: ignore[no-untyped-def]
    """Ids of the patients the user is on the care team of today (a subquery)."""
    on = on or timezone.localdate()
    return (
        CareTeamAssignment.objects.filter(user=user, organization=organization, start__lte=on)
        .filter(Q(end__isnull=True) | Q(end__gte=on))
        .values("patient_id")
    )


def break_glass_patient_ids(user: Any, organization: Organization, at: dt.datetime | None = None):  # type: ignore[no-untyped-def]
    """Ids of the patients the user holds an unexpired break-the-glass grant for (a subquery)."""
    at = at or timezone.now()
    return BreakGlassGrant.objects.filter(
        user=user, organization=organization, expires_at__gt=at
    ).values("patient_id")


def patient_filter(user: Any, organization: Organization | None) -> Q | None:
    """The filter on `clinical.Patient` of what the user may open; None when nothing.

    Never crosses the tenant boundary: every branch keeps `organization=organization`.
    """
    if organization is None:
        return None
    if not can_view_phi(user, organization):
        return None
    in_org = Q(organization=organization)
    if sees_whole_organization(user, organization):
        return in_org
    return in_org & (
        Q(pk__in=care_team_patient_ids(user, organization))
        | Q(pk__in=break_glass_patient_ids(user, organization))
    )


def is_break_glass_access(user: Any, organization: Organization, patient_id: int) -> bool:
    """The user reaches this patient only through a break-the-glass grant."""
    if sees_whole_organization(user, organization):
        return False
    on_team = care_team_patient_ids(user, organization).filter(patient_id=patient_id).exists()
    if on_team:
        return False
    return break_glass_patient_ids(user, organization).filter(patient_id=patient_id).exists()


def mfa_required(user: Any) -> bool:
    """TOTP is required: the user has a PHI role in an organization that requires MFA."""
    return any(m.role in PHI_ROLES and m.organization.mfa_required for m in memberships(user))
