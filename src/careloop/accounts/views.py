"""Break the glass, its review list, the members screen, and the 404 page (SEC-002, SEC-003)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from careloop.audit.services import record_access

from . import mfa_services, policies, selectors, services
from .decorators import require_recent_auth
from .forms import BreakGlassForm, ReviewForm, RoleForm
from .models import Membership

PAGE_SIZE = 25
CHART_PATH = re.compile(r"^/patients/(\d+)/$")


@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    """State a reason, get time-limited access to one patient of the active organization."""
    org = policies.active_organization(request.user, request.session)
    if not policies.may_break_glass(request.user, org):
        raise PermissionDenied("Your access already covers the organization's patients")
    initial = {"patient": request.GET.get("patient", "")}
    form = BreakGlassForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        patient = selectors.patient_for_break_glass(
            request.user, form.cleaned_data["patient"], request.session
        )
        try:
            services.break_the_glass(
                acting_user=request.user,
                organization=org,  # type: ignore[arg-type]
                patient=patient,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error("reason", exc)
        else:
            return redirect(reverse("web:patient_chart", args=[patient.pk]))
    return render(request, "accounts/break_glass.html", {"form": form, "organization": org})


@require_GET
def break_glass_review(request: HttpRequest) -> HttpResponse:
    """Every break-the-glass access of the organization, unreviewed first (a PHI read)."""
    org = policies.active_organization(request.user, request.session)
    if not policies.can_review_break_glass(request.user, org):
        raise Http404("No review list")
    grants = selectors.break_glass_for_review(request.user, request.session).order_by(
        "reviewed_at", "-granted_at", "-id"
    )
    page = Paginator(grants, PAGE_SIZE).get_page(request.GET.get("page"))
    if page.object_list:
        record_access(
            actor=request.user,
            organization=org,
            patient_ids=[g.patient_id for g in page.object_list],
            view="accounts:break_glass_review",
            purpose="audit",
        )
    return render(
        request,
        "accounts/break_glass_review.html",
        {
            "page": page,
            "can_mark": policies.can_mark_break_glass_reviewed(request.user, org),
            "form": ReviewForm(),
        },
    )


@require_POST
def break_glass_reviewed(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant = selectors.get_break_glass_for_review(request.user, grant_id, request.session)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write a review note.")
        return redirect("accounts:break_glass_review")
    services.review_break_glass(
        acting_user=request.user, grant=grant, note=form.cleaned_data["note"]
    )
    messages.success(request, "Review recorded.")
    return redirect("accounts:break_glass_review")


@require_GET
def members(request: HttpRequest) -> HttpResponse:
    org = policies.active_organization(request.user, request.session)
    if not policies.can_manage_members(request.user, org):
        raise Http404("No members list")
    page = Paginator(selectors.members_of(request.user, request.session), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounts/members.html",
        {
            "organization": org,
            "page": page,
            "expiring": selectors.credentials_expiring(org),  # type: ignore[arg-type]
            "form": RoleForm(),
        },
    )


@require_POST
def membership_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    """Change a member's role: checks first (404), then a recent sign-in (SEC-010)."""
    membership = selectors.get_membership_for_admin(request.user, membership_id, request.session)
    return _change_role(request, membership)


@require_recent_auth()
def _change_role(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.change_role(
                acting_user=request.user,
                membership=membership,
                role=form.cleaned_data["role"],
                npi=form.cleaned_data["npi"] or "",
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{membership.user} is now {form.cleaned_data['role']}.")
    else:
        problems = [m for errors in form.errors.values() for m in errors]
        messages.error(request, "Not changed: " + " ".join(problems))
    return redirect("accounts:members")


@require_POST
def membership_mfa_reset(request: HttpRequest, membership_id: int) -> HttpResponse:
    """Reset a member's MFA (lost phone): checks first (404), then a recent sign-in (SEC-010)."""
    membership = selectors.get_membership_for_admin(request.user, membership_id, request.session)
    return _reset_mfa(request, membership)


@require_recent_auth()
def _reset_mfa(request: HttpRequest, membership: Membership) -> HttpResponse:
    try:
        removed = mfa_services.reset_mfa(acting_user=request.user, membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        who = membership.user.get_full_name() or membership.user.get_username()
        if removed:
            messages.success(
                request,
                f"MFA reset for {who}: they set up a new authenticator at their next sign-in.",
            )
        else:
            messages.info(request, f"{who} had no second factor to reset.")
    return redirect("accounts:members")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 404 page; on a chart URL it offers break-the-glass to those who may use it.

    The offer depends only on the URL and the user's role, never on whether the patient
    exists, so it tells nothing about other organizations' patients.
    """
    offer = None
    match = CHART_PATH.match(request.path)
    user = getattr(request, "user", None)
    if match and user is not None and user.is_authenticated:
        org = policies.active_organization(user, getattr(request, "session", None))
        if policies.may_break_glass(user, org):
            offer = f"{reverse('accounts:break_glass')}?patient={match.group(1)}"
    return render(request, "accounts/not_found.html", {"break_glass_url": offer}, status=404)
