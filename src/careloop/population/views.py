"""The registry page and its CSV export (issue 4 point 4)."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from careloop.accounts import policies
from careloop.audit.services import record_access

from . import selectors
from .models import CcmStatus

PAGE_SIZE = 25
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
    "inpatient_admissions_12m",
    "ed_visits_12m",
    "readmissions_12m",
    "latest_lace",
    "ccm_reasons",
    "as_of",
    "run_id",
)


@require_GET
def registry(request: HttpRequest) -> HttpResponse:
    filters = selectors.RegistryFilters.from_query(request.GET)
    base = selectors.visible_findings(request.user, request.session)
    qs = selectors.registry(request.user, filters, request.session)
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
    sort_query = query.copy()
    sort_query.pop("sort", None)
    return render(
        request,
        "population/registry.html",
        {
            "page": page,
            "filters": filters,
            "run": selectors.latest_run(base),
            "counts": selectors.status_counts(base),
            "statuses": CcmStatus.choices,
            "conditions": selectors.condition_choices(base),
            "programs": [("ccm", "CCM eligible"), ("pcm", "PCM candidate"), ("tcm", "TCM")],
            "sorts": [
                ("name", "Name"),
                ("-conditions", "Most conditions"),
                ("-admissions", "Most admissions"),
                ("-lace", "Highest LACE"),
            ],
            "query": query.urlencode(),
            "sort_query": sort_query.urlencode(),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
def registry_export(request: HttpRequest) -> HttpResponse:
    filters = selectors.RegistryFilters.from_query(request.GET)
    qs = selectors.registry(request.user, filters, request.session)
    findings = list(qs.select_related("run"))
    record_access(
        actor=request.user,
        organization=policies.active_organization(request.user, request.session),
        patient_ids=[f.patient_id for f in findings],
        view="population:registry_export",
        purpose="operations",
    )

    def rows() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield writer.writerow(CSV_HEADER)
        for f in findings:
            p = f.patient
            yield writer.writerow(
                (
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
                    f.inpatient_admissions_12m,
                    f.ed_visits_12m,
                    f.readmissions_12m,
                    "" if f.latest_lace is None else f.latest_lace,
                    "; ".join(f.reasons.get("ccm", [])),
                    f.run.as_of.isoformat(),
                    f.run.run_id,
                )
            )

    # Built in full for now: tests/accounts/test_url_access.py reads `response.content` of every
    # page without ids, which a StreamingHttpResponse does not have. Stream once that test reads
    # `streaming_content` for streamed responses.
    response = HttpResponse("".join(rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="registry.csv"'
    return response
