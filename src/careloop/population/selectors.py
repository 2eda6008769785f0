"""The registry: the latest run's findings for the patients the acting user may open."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, QuerySet

from careloop.clinical.selectors import patients_visible_to

from .models import AnalyticsRun, CcmStatus, PatientFinding

SORTS = {
    "name": ("patient__family_name", "patient__given_name", "patient_id"),
    "-name": ("-patient__family_name", "-patient__given_name", "-patient_id"),
    "conditions": ("chronic_condition_count", "patient_id"),
    "-conditions": ("-chronic_condition_count", "patient_id"),
    "admissions": ("inpatient_admissions_12m", "patient_id"),
    "-admissions": ("-inpatient_admissions_12m", "patient_id"),
    "lace": (F("latest_lace").asc(nulls_first=True), "patient_id"),
    "-lace": (F("latest_lace").desc(nulls_last=True), "patient_id"),
}
PROGRAMS = {"ccm": "ccm_eligible", "pcm": "pcm_eligible", "tcm": "tcm_candidate"}


@dataclass(frozen=True)
class RegistryFilters:
    status: str = ""
    program: str = ""
    condition: str = ""
    min_admissions: int | None = None
    sort: str = "name"

    @classmethod
    def from_query(cls, query: Any) -> RegistryFilters:
        status = query.get("status", "")
        program = query.get("program", "")
        sort = query.get("sort", "name")
        try:
            min_adm = int(query.get("min_admissions", ""))
        except ValueError:
            min_adm = None
        return cls(
            status=status if status in CcmStatus.values else "",
            program=program if program in PROGRAMS else "",
            condition=query.get("condition", "").strip()[:120],
            min_admissions=min_adm if min_adm is not None and min_adm >= 0 else None,
            sort=sort if sort in SORTS else "name",
        )


def visible_findings(user: Any, session: Any = None) -> QuerySet[PatientFinding]:
    """Findings of the latest run that covers any patient the user may open, for those patients."""
    visible = patients_visible_to(user, session)
    latest = (
        PatientFinding.objects.filter(patient__in=visible)
        .order_by("-run__finished_at", "-run_id")
        .values("run_id")[:1]
    )
    return PatientFinding.objects.filter(run_id__in=latest, patient__in=visible)


def latest_run(findings: QuerySet[PatientFinding]) -> AnalyticsRun | None:
    return AnalyticsRun.objects.filter(pk__in=findings.values("run_id")).first()


def registry(user: Any, filters: RegistryFilters, session: Any = None) -> QuerySet[PatientFinding]:
    qs = visible_findings(user, session).select_related("patient")
    if filters.status:
        qs = qs.filter(ccm_status=filters.status)
    if filters.program:
        qs = qs.filter(**{PROGRAMS[filters.program]: True})
    if filters.condition:
        # a JSON list of ids: match the quoted id, the same on SQLite and PostgreSQL
        qs = qs.filter(chronic_condition_ids__icontains=f'"{filters.condition}"')
    if filters.min_admissions is not None:
        qs = qs.filter(inpatient_admissions_12m__gte=filters.min_admissions)
    return qs.order_by(*SORTS[filters.sort])


def status_counts(findings: QuerySet[PatientFinding]) -> list[tuple[str, str, int]]:
    counts = dict(
        findings.order_by()
        .values_list("ccm_status")
        .annotate(n=Count("id"))
        .values_list("ccm_status", "n")
    )
    return [(value, label, counts.get(value, 0)) for value, label in CcmStatus.choices]


def condition_choices(findings: QuerySet[PatientFinding]) -> list[tuple[str, str]]:
    """The conditions met by someone in the findings: (id, name), by name."""
    names: dict[str, str] = {}
    for reasons in findings.values_list("reasons", flat=True):
        for c in (reasons or {}).get("conditions", []):
            names[c["condition_id"]] = c["name"]
    return sorted(names.items(), key=lambda item: item[1])
