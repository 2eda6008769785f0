"""Template context shared by every page: the navigation the signed-in user may use."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from careloop.accounts import policies
from careloop.accounts.models import Role

AUDIT_ROLES = {Role.AUDITOR, Role.PROGRAM_ADMIN}


def navigation(request: HttpRequest) -> dict[str, Any]:
    items = [
        ("web:home", "Home"),
        ("web:patients", "Patients"),
        ("population:registry", "Registry"),
    ]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        org = policies.active_organization(user, request.session)
        roles = policies.roles_in(user, org)
        if policies.can_view_import_runs(user, org):
            items.append(("web:import_runs", "Import runs"))
        if roles & AUDIT_ROLES:
            items.append(("audit:log", "Audit log"))
        items += [("accounts:members", "People")] if policies.can_manage_members(user, org) else []
    return {"nav_items": items}
