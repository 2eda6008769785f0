"""The first screens: home, patient search, the chart, import runs."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from careloop.accounts import policies
from careloop.audit.services import record_access
from careloop.clinical import selectors
from careloop.interop.models import ImportRun
from careloop.population.panels import chart_panels

from .charts import trend_svg

PAGE_SIZE = 25


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    org = policies.active_organization(request.user, request.session)
    patients = selectors.patients_visible_to(request.user, request.session)
    return render(
        request,
        "web/home.html",
        {
            "organization": org,
            "patient_count": patients.count(),
            "deceased_count": patients.filter(deceased=True).count(),
            "memberships": policies.memberships(request.user),
        },
    )


@require_GET
def patient_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    qs = selectors.search_patients(request.user, query, request.session)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    if page.object_list:
        # a list with patient rows is a read of PHI (SEC-006): one access event per page shown
        record_access(
            actor=request.user,
            organization=policies.active_organization(request.user, request.session),
            patient_ids=[p.pk for p in page.object_list],
            view="web:patients",
            purpose="treatment",
        )
    template = "web/_patient_rows.html" if request.htmx else "web/patients.html"
    return render(request, template, {"page": page, "q": query})


@require_GET
def patient_chart(request: HttpRequest, patient_id: int) -> HttpResponse:
    chart = selectors.chart_for(request.user, patient_id, request.session)
    record_access(
        actor=request.user,
        organization=chart.patient.organization,
        patient_ids=[chart.patient.pk],
        view="web:patient_chart",
        purpose="treatment",
    )
    charts = {name: trend_svg(name, obs) for name, obs in chart.vitals.items() if obs}
    return render(
        request,
        "web/chart.html",
        {
            "chart": chart,
            "p": chart.patient,
            "trend_charts": charts,
            # why eligible, risk, care gaps: the latest analytics run's finding (issue 4)
            "population": chart_panels(request.user, chart.patient.pk, request.session),
        },
    )


def _runs_for(request: HttpRequest):  # type: ignore[no-untyped-def]
    org = policies.active_organization(request.user, request.session)
    if not policies.can_view_import_runs(request.user, org):
        raise Http404("No import runs")
    return ImportRun.objects.filter(organization=org)


@require_GET
def import_runs(request: HttpRequest) -> HttpResponse:
    page = Paginator(_runs_for(request), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/import_runs.html", {"page": page})


@require_GET
def import_run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _runs_for(request).filter(pk=run_id).first()
    if run is None:
        raise Http404("No such import run")
    errors = run.report.get("errors", [])
    page = Paginator(errors, 100).get_page(request.GET.get("page"))
    return render(
        request, "web/import_run.html", {"run": run, "errors": page, "report": run.report}
    )


@require_POST
def switch_organization(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("organization")
    for m in policies.memberships(request.user):
        if str(m.organization_id) == wanted:
            request.session["active_organization_id"] = m.organization_id
            return redirect("web:home")
    raise Http404("No such organization")
