"""The one place that decides who may see or do what (architecture §2 rule 2).

Patient data is visible only inside the patient's organization, to members of it whose role
may see PHI. Views never filter by organization themselves; they call the selectors in
`clinical/selectors.py`, which call these functions.
"""

from __future__ import annotations

from typing import Any

from .models import Membership, Organization, Role

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


def can_view_import_runs(user: Any, organization: Organization | None) -> bool:
    return bool(roles_in(user, organization) & (IMPORT_ROLES | {Role.AUDITOR}))
