"""Staff credentials screen for program administrators: the list (sorted, paged), the
"expires within N days" warnings, adding and correcting a credential (issue 3 point 1).

Access through `policies` only; anyone else gets the 404 of a missing page. Every change is
an audited service call (`credentials.py`). No patient data here, so no access events.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from careloop.core.sorting import sort_links

from . import credentials, policies, selectors
from .models import Credential, Organization
from .people_forms import CredentialForm, ExpiryWindowForm

PAGE_SIZE = 25
COLUMNS = {
    "person": ("person", "person"),
    "kind": ("kind", "kind"),
    "state": ("state", "state"),
    "expires": ("expires", "expires"),
}


def _admin_org(request: HttpRequest) -> Organization:
    return selectors.active_organization_or_404(
        request.user, request.session, policies.can_manage_credentials
    )


def _save(request: HttpRequest, form: CredentialForm, org: Organization, credential: Any) -> Any:
    """Add (credential None) or update; the errors land on the form's fields."""
    if not form.is_valid():
        return None
    try:
        if credential is None:
            return credentials.add_credential(
                acting_user=request.user,
                organization=org,
                user=form.cleaned_data["user"],
                **form.values(),
            )
        return credentials.update_credential(
            acting_user=request.user, organization=org, credential=credential, **form.values()
        )
    except ValidationError as exc:
        form.add_error(None, exc)
    except PermissionDenied:
        form.add_error("user", "That person is not a member of the organization.")
    return None


@require_http_methods(["GET", "POST"])
def credentials_list(request: HttpRequest) -> HttpResponse:
    org = _admin_org(request)
    people = selectors.organization_people(org)
    form = CredentialForm(request.POST if request.method == "POST" else None, people=people)
    status = 200
    if request.method == "POST":
        saved = _save(request, form, org, None)
        if saved is not None:
            messages.success(request, f"Added {saved.get_kind_display()} {saved.number}.")
            return redirect("accounts:credentials")
        status = 400
    window = ExpiryWindowForm(request.GET or None)
    days = window.days()
    sort = request.GET.get("sort", "expires")
    rows = selectors.credentials_of_members(request.user, request.session, sort=sort)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "organization": org,
        "form": form,
        "window": window,
        "days": days,
        "expiring": selectors.credentials_expiring(org, within_days=days),
        "today": timezone.localdate(),
        "page": page,
        "sort_links": sort_links(request.GET, COLUMNS, sort),
        "query": query.urlencode(),
    }
    return render(request, "accounts/credentials.html", context, status=status)


@require_http_methods(["GET", "POST"])
def credential_edit(request: HttpRequest, credential_id: int) -> HttpResponse:
    org = _admin_org(request)
    credential: Credential = selectors.get_credential_for_admin(
        request.user, credential_id, request.session
    )
    people = selectors.organization_people(org)
    initial = {
        "kind": credential.kind,
        "number": credential.number,
        "state": credential.state,
        "issuer": credential.issuer,
        "issued_on": credential.issued_on,
        "expires_on": credential.expires_on,
    }
    form = CredentialForm(
        request.POST if request.method == "POST" else None,
        people=people,
        person=credential.user,
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        saved = _save(request, form, org, credential)
        if saved is not None:
            messages.success(request, f"Saved {saved.get_kind_display()} {saved.number}.")
            return redirect("accounts:credentials")
        status = 400
    context = {"organization": org, "form": form, "credential": credential}
    return render(request, "accounts/credential_edit.html", context, status=status)
