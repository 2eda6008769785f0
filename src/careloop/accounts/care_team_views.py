"""Care-team screens for program administrators: the organization's assignments (filter, sort,
page), a patient's care team, assigning and ending (SEC-002; decision 0006).

Access through `policies` only: anyone else gets the 404 of a missing page. Assigning and
ending change who may open a chart (with `chart_access = care_team`), so both need a recent
sign-in like role changes (SEC-010). Pages with patient rows write an access event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from careloop.audit.services import record_access
from careloop.core.sorting import sort_links

from . import care_teams, policies, selectors
from .decorators import require_recent_auth
from .models import CareTeamAssignment, Organization
from .people_forms import AssignmentForm, EndAssignmentForm

PAGE_SIZE = 25
STATUSES = (
    ("current", "Current"),
    ("upcoming", "Starting later"),
    ("ended", "Ended"),
    ("all", "All"),
)
COLUMNS = {
    "patient": ("patient", "patient"),
    "role": ("role", "role"),
    "person": ("person", "person"),
    "start": ("start", "-start"),
    "end": ("end", "-end"),
}


def _admin_org(request: HttpRequest) -> Organization:
    return selectors.active_organization_or_404(
        request.user, request.session, policies.can_manage_care_teams
    )


def _record_read(request: HttpRequest, org: Organization, rows: Any, view: str) -> None:
    patient_ids = [a.patient_id for a in rows]
    if patient_ids:
        record_access(
            actor=request.user,
            organization=org,
            patient_ids=patient_ids,
            view=view,
            purpose="operations",
        )


def _assign(
    request: HttpRequest, form: AssignmentForm, org: Organization, patient: Any = None
) -> CareTeamAssignment | None:
    """Validate and save an assignment; the errors land on the form's fields."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    patient = patient or selectors.find_patient(org, data["patient"])
    if patient is None:
        form.add_error("patient", f"No patient {data['patient']!r} in {org.name}.")
        return None
    try:
        return care_teams.assign_care_team(
            acting_user=request.user,
            patient=patient,
            user=data["user"],
            role=data["role"],
            start=data["start"],
            end=data["end"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return None


def _assigned_message(request: HttpRequest, a: CareTeamAssignment) -> None:
    who = a.user.get_full_name() or a.user.get_username()
    messages.success(
        request,
        f"{who} is {a.get_role_display().lower()} of {a.patient.family_name}, "
        f"{a.patient.given_name} from {a.start.isoformat()}.",
    )


@require_http_methods(["GET", "POST"])
def care_teams_list(request: HttpRequest) -> HttpResponse:
    """Every assignment of the organization; the form at the top assigns (POST)."""
    org = _admin_org(request)
    people = selectors.organization_people(org, selectors.CARE_TEAM_MEMBER_ROLES)
    if request.method == "POST":
        return _assign_from_list(request, org, people)
    return _list_page(request, org, AssignmentForm(people=people))


@require_recent_auth()
def _assign_from_list(request: HttpRequest, org: Organization, people: Any) -> HttpResponse:
    form = AssignmentForm(request.POST, people=people)
    created = _assign(request, form, org)
    if created is not None:
        _assigned_message(request, created)
        return redirect("accounts:care_teams")
    return _list_page(request, org, form, status=400)


def _list_page(
    request: HttpRequest, org: Organization, form: AssignmentForm, status: int = 200
) -> HttpResponse:
    state = request.GET.get("status", "current")
    state = state if state in dict(STATUSES) else "current"
    sort = request.GET.get("sort", "patient")
    search = request.GET.get("q", "").strip()[:100]
    rows = selectors.care_team_assignments(
        request.user, request.session, status=state, search=search, sort=sort
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    _record_read(request, org, page.object_list, "accounts:care_teams")
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "organization": org,
        "form": form,
        "page": page,
        "status": state,
        "statuses": STATUSES,
        "q": search,
        "sort_links": sort_links(request.GET, COLUMNS, sort),
        "query": query.urlencode(),
    }
    return render(request, "accounts/care_teams.html", context, status=status)


@require_http_methods(["GET", "POST"])
def care_team_patient(request: HttpRequest, patient_id: int) -> HttpResponse:
    """One patient's care team, current and past; the form assigns to this patient."""
    org = _admin_org(request)
    patient = selectors.patient_for_care_team(request.user, patient_id, request.session)
    people = selectors.organization_people(org, selectors.CARE_TEAM_MEMBER_ROLES)
    if request.method == "POST":
        return _assign_to_patient(request, org, patient, people)
    return _patient_page(request, org, patient, AssignmentForm(people=people, patient=patient))


@require_recent_auth()
def _assign_to_patient(
    request: HttpRequest, org: Organization, patient: Any, people: Any
) -> HttpResponse:
    form = AssignmentForm(request.POST, people=people, patient=patient)
    created = _assign(request, form, org, patient)
    if created is not None:
        _assigned_message(request, created)
        return redirect("accounts:care_team_patient", patient_id=patient.pk)
    return _patient_page(request, org, patient, form, status=400)


def _patient_page(
    request: HttpRequest, org: Organization, patient: Any, form: AssignmentForm, status: int = 200
) -> HttpResponse:
    today = timezone.localdate()
    rows = [
        (a, _status(a, today))
        for a in selectors.care_team_assignments(
            request.user, request.session, status="all", patient_id=patient.pk, sort="-start"
        )
    ]
    record_access(
        actor=request.user,
        organization=org,
        patient_ids=[patient.pk],
        view="accounts:care_team_patient",
        purpose="operations",
    )
    context = {
        "organization": org,
        "patient": patient,
        "rows": rows,
        "today": today,
        "form": form,
    }
    return render(request, "accounts/care_team_patient.html", context, status=status)


def _status(a: CareTeamAssignment, today: dt.date) -> str:
    if a.start > today:
        return "Starting later"
    if a.end is not None and a.end < today:
        return "Ended"
    return "Current"


@require_POST
def care_team_end(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """End an assignment: checks first (404), then a recent sign-in (SEC-010)."""
    assignment = selectors.get_assignment_for_admin(request.user, assignment_id, request.session)
    return _end(request, assignment)


@require_recent_auth()
def _end(request: HttpRequest, assignment: CareTeamAssignment) -> HttpResponse:
    back = reverse("accounts:care_team_patient", args=[assignment.patient_id])
    form = EndAssignmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the end date as a date (YYYY-MM-DD).")
        return redirect(back)
    try:
        ended = care_teams.end_care_team_assignment(
            acting_user=request.user, assignment=assignment, end=form.cleaned_data["end"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        who = ended.user.get_full_name() or ended.user.get_username()
        messages.success(
            request,
            f"{who}'s assignment as {ended.get_role_display().lower()} ends on {ended.end}.",
        )
    return redirect(back)
