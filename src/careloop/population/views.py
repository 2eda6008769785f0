"""The registry page and its CSV export (issue 4 point 4)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from careloop.accounts import policies
from careloop.audit.services import record_access
from careloop.core.sorting import sort_links

from . import selectors
from .forms import RegistryFilterForm
from .models import PatientFinding

PAGE_SIZE = 25
EXPORT_CHUNK = 2000
CSV_HEADER = (
    "patient_id",
    "family_name",
    "given_name",
    "birth_date",
    "mrn",
    "ccm_status",
    "pcm_eligible",
    "tcm_candidate",
    "chronic_conditions",
    "condition_ids",
    "risk_tier",
    "recommended_program",
    "hcc_model",
    "hcc_payment_year",
    "hcc_raw_score",
    "hcc_normalized_score",
    "hccs",
    "charlson_index",
    "super_utilizer_rules",
    "open_gaps",
    "payers",
    "inpatient_admissions_12m",
    "ed_visits_12m",
    "readmissions_12m",
    "latest_lace",
    "ccm_reasons",
    "as_of",
    "run_id",
)
# the columns whose header sorts the table: (label, ascending key, first click)
SORTABLE = {
    "name": ("name", "name"),
    "tier": ("tier", "-tier"),
    "hcc": ("hcc", "-hcc"),
    "charlson": ("charlson", "-charlson"),
    "conditions": ("conditions", "-conditions"),
    "admissions": ("admissions", "-admissions"),
    "lace": ("lace", "-lace"),
    "gaps": ("gaps", "-gaps"),
}


def _filter_form(request: HttpRequest, base: QuerySet[PatientFinding]) -> RegistryFilterForm:
    return RegistryFilterForm(
        request.GET,
        payers=selectors.payer_choices(base),
        care_managers=selectors.care_manager_choices(request.user, request.session),
    )


@require_GET
def registry(request: HttpRequest) -> HttpResponse:
    base = selectors.visible_findings(request.user, request.session)
    form = _filter_form(request, base)
    status = 200
    if form.is_valid():
        qs = selectors.registry(request.user, form.filters(), request.session)
        sort = form.filters()["sort"]
    else:
        # a bad filter lists nobody rather than everybody: the message says what to change
        qs = PatientFinding.objects.none()
        sort = "name"
        status = 400
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    if page.object_list:
        # a list with patient rows is a read of PHI (SEC-006): one access event per page shown
        record_access(
            actor=request.user,
            organization=policies.active_organization(request.user, request.session),
            patient_ids=[f.patient_id for f in page.object_list],
            view="population:registry",
            purpose="operations",
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "population/registry.html",
        {
            "page": page,
            "form": form,
            "run": selectors.latest_run(base),
            "counts": selectors.status_counts(base),
            "tiers": selectors.tier_counts(base),
            "sort_links": sort_links(request.GET, SORTABLE, sort),
            "query": query.urlencode(),
        },
        status=status,
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_row(f: PatientFinding) -> tuple[Any, ...]:
    p = f.patient
    return (
        p.pk,
        p.family_name,
        p.given_name,
        p.birth_date.isoformat() if p.birth_date else "",
        p.mrn,
        f.ccm_status,
        f.pcm_eligible,
        f.tcm_candidate,
        f.chronic_condition_count,
        " ".join(f.chronic_condition_ids),
        f.risk_tier,
        f.recommended_program,
        f.hcc_model,
        "" if f.hcc_payment_year is None else f.hcc_payment_year,
        "" if f.hcc_raw_score is None else f"{f.hcc_raw_score:.3f}",
        "" if f.hcc_normalized_score is None else f"{f.hcc_normalized_score:.3f}",
        " ".join(str(h) for h in f.hccs),
        "" if f.charlson_index is None else f.charlson_index,
        " ".join(f.super_utilizer_rules),
        " ".join(f.open_gap_ids),
        "; ".join(f.payers),
        f.inpatient_admissions_12m,
        f.ed_visits_12m,
        f.readmissions_12m,
        "" if f.latest_lace is None else f.latest_lace,
        "; ".join(f.reasons.get("ccm", [])),
        f.run.as_of.isoformat(),
        f.run.run_id,
    )


@require_GET
def registry_export(request: HttpRequest) -> HttpResponse:
    base = selectors.visible_findings(request.user, request.session)
    form = _filter_form(request, base)
    if not form.is_valid():
        lines = [f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()]
        return HttpResponse(
            "\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8"
        )
    qs = selectors.registry(request.user, form.filters(), request.session).select_related("run")
    # the access event names every exported patient, written before the first byte is sent
    record_access(
        actor=request.user,
        organization=policies.active_organization(request.user, request.session),
        patient_ids=list(qs.values_list("patient_id", flat=True)),
        view="population:registry_export",
        purpose="operations",
    )

    def rows() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield writer.writerow(CSV_HEADER)
        for f in qs.iterator(chunk_size=EXPORT_CHUNK):
            yield writer.writerow(_csv_row(f))

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="registry.csv"'
    return response
