"""Audit screens: the log viewer, its CSV export, the per-patient accounting of disclosures.

Only auditors and program administrators of the active organization reach them
(`selectors.audit_organization`; everyone else gets 404). Each screen that shows patients
is itself a read of PHI and writes an access event with purpose "audit" (SEC-005, SEC-009).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from careloop.accounts.decorators import require_recent_auth
from careloop.audit.services import record_access
from careloop.core.months import years_before

from . import selectors
from .forms import AuditFilterForm, DateRangeForm, last_month
from .selectors import AuditFilter, AuditRow

PAGE_SIZE = 50
DISCLOSURE_PAGE_SIZE = 200
DISCLOSURE_YEARS = 6  # HIPAA retention and accounting period (SEC-011, 45 CFR 164.528)
EXPORT_PATIENT_LIMIT = 100_000  # ids recorded in the export's own access event
CSV_COLUMNS = [
    "kind",
    "seq",
    "occurred_at",
    "username",
    "action",
    "what",
    "purpose",
    "source",
    "request_id",
    "patient_count",
    "patient_ids",
    "before",
    "after",
]


def _today(org: Any) -> dt.date:
    return timezone.now().astimezone(selectors.org_zone(org)).date()


def _filter_from(form: AuditFilterForm, org: Any) -> tuple[AuditFilter, list[Any]]:
    """The selectors' filter and the patients the patient field matched."""
    data = form.cleaned_data
    matched = selectors.match_patients(org, data.get("patient") or "")
    patient_ids = [p.pk for p in matched] if data.get("patient") else None
    filt = AuditFilter(
        username=data.get("user") or "",
        patient_ids=patient_ids,
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        action=data.get("action") or "",
        source=data.get("source") or "",
        without_audit_reads=not data.get("audit_reads"),
    )
    return filt, matched


def _record(request: HttpRequest, org: Any, patient_ids: list[int], view: str) -> None:
    if patient_ids:
        record_access(
            actor=request.user,
            organization=org,
            patient_ids=patient_ids,
            view=view,
            purpose="audit",
        )


def _shown_patients(rows: list[AuditRow]) -> list[int]:
    return sorted({p.id for r in rows for p in r.patients})


@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    org = selectors.audit_organization(request.user, request.session)
    form = AuditFilterForm(request.GET)
    context: dict[str, Any] = {"form": form, "organization": org, "tz": org.time_zone}
    start, end = last_month(_today(org))
    query = request.GET.copy()
    query.pop("page", None)
    last_month_query = query.copy()
    last_month_query["date_from"], last_month_query["date_to"] = start.isoformat(), end.isoformat()
    context["last_month_query"] = last_month_query.urlencode()
    context["last_month_label"] = start.strftime("%B %Y")
    context["export_query"] = query.urlencode()
    if not form.is_valid():
        return render(request, "audit/log.html", context)
    filt, matched = _filter_from(form, org)
    page = Paginator(selectors.event_keys(org, filt), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.rows_for(org, page.object_list)
    selectors.name_patients(org, rows)
    context.update(
        page=page,
        rows=rows,
        counts=selectors.counts(org, filt),
        matched=matched,
        patient_query=form.cleaned_data.get("patient") or "",
        viewers=selectors.viewers(org, filt) if filt.patient_ids else None,
        filtered=any(form.cleaned_data.values()),
    )
    # the page names patients: it is a read of PHI, recorded after its own counts
    _record(request, org, _shown_patients(rows), "audit:log")
    return render(request, "audit/log.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula starts with a quote (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_lines(org: Any, filt: AuditFilter) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for r in selectors.iter_rows(org, filt):
        before = after = ""
        if r.kind == "change":
            before = json.dumps(r.event.before, sort_keys=True) if r.event.before else ""
            after = json.dumps(r.event.after, sort_keys=True) if r.event.after else ""
        values = [
            r.kind,
            r.seq,
            r.at.isoformat(),
            r.username,
            r.action,
            r.what,
            r.purpose,
            r.source,
            r.request_id,
            len(r.patient_ids),
            " ".join(str(p) for p in r.patient_ids),
            before,
            after,
        ]
        yield writer.writerow([_csv_safe(v) for v in values])


@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    org = selectors.audit_organization(request.user, request.session)
    # who may export is decided first (404 otherwise); then an export of PHI needs a recent
    # sign-in (issue 3 point 4: re-authentication before exports)
    return require_recent_auth(_export)(request, org)


def _export(request: HttpRequest, org: Any) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest("invalid filter: " + form.errors.as_text())
    filt, _ = _filter_from(form, org)
    access_upto, change_upto = selectors.last_seqs()  # the export does not list itself
    filt = replace(filt, access_upto=access_upto, change_upto=change_upto)
    # the export is itself a read of PHI: its access event names the exported patients
    record_access(
        actor=request.user,
        organization=org,
        patient_ids=selectors.patient_ids_in(org, filt, EXPORT_PATIENT_LIMIT),
        view="audit:export",
        purpose="audit",
    )
    response = StreamingHttpResponse(_csv_lines(org, filt), content_type="text/csv; charset=utf-8")
    name = f"audit-log-{org.slug}-{_today(org).isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def disclosures(request: HttpRequest, patient_id: int) -> HttpResponse:
    org = selectors.audit_organization(request.user, request.session)
    patient = selectors.patient_in(org, patient_id)
    today = _today(org)
    defaults = {"date_from": years_before(today, DISCLOSURE_YEARS), "date_to": today}
    form = DateRangeForm({**{k: v.isoformat() for k, v in defaults.items()}, **request.GET.dict()})
    context: dict[str, Any] = {"form": form, "p": patient, "organization": org, "today": today}
    if form.is_valid():
        start = form.cleaned_data["date_from"] or defaults["date_from"]
        end = form.cleaned_data["date_to"] or defaults["date_to"]
        filt = AuditFilter(patient_ids=[patient.pk], date_from=start, date_to=end)
        keys = selectors.event_keys(org, filt)
        page = Paginator(keys, DISCLOSURE_PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(
            page=page,
            rows=selectors.rows_for(org, page.object_list),
            counts=selectors.counts(org, filt),
            viewers=selectors.viewers(org, filt),
            date_from=start,
            date_to=end,
        )
    _record(request, org, [patient.pk], "audit:disclosures")
    return render(request, "audit/disclosures.html", context)
