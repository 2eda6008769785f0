"""The registry and the chart's findings: the latest run's results for the patients the acting
user may open (clinical.selectors.patients_visible_to, i.e. accounts/policies.py)."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from careloop.accounts import policies
from careloop.accounts.models import CareTeamAssignment, CareTeamRole
from careloop.clinical.selectors import patients_visible_to

from .models import AnalyticsRun, CcmStatus, PatientFinding, RiskTier

_TIER_RANK = Case(
    *(When(risk_tier=value, then=Value(rank)) for rank, value in enumerate(RiskTier.values, 1)),
    default=Value(0),
    output_field=IntegerField(),
)
SORTS: dict[str, tuple[Any, ...]] = {
    "name": ("patient__family_name", "patient__given_name", "patient_id"),
    "-name": ("-patient__family_name", "-patient__given_name", "-patient_id"),
    "tier": (_TIER_RANK.asc(), "patient_id"),
    "-tier": (_TIER_RANK.desc(), F("hcc_normalized_score").desc(nulls_last=True), "patient_id"),
    "hcc": (F("hcc_normalized_score").asc(nulls_first=True), "patient_id"),
    "-hcc": (F("hcc_normalized_score").desc(nulls_last=True), "patient_id"),
    "charlson": (F("charlson_index").asc(nulls_first=True), "patient_id"),
    "-charlson": (F("charlson_index").desc(nulls_last=True), "patient_id"),
    "conditions": ("chronic_condition_count", "patient_id"),
    "-conditions": ("-chronic_condition_count", "patient_id"),
    "admissions": ("inpatient_admissions_12m", "patient_id"),
    "-admissions": ("-inpatient_admissions_12m", "patient_id"),
    "lace": (F("latest_lace").asc(nulls_first=True), "patient_id"),
    "-lace": (F("latest_lace").desc(nulls_last=True), "patient_id"),
    "gaps": ("open_gap_count", "patient_id"),
    "-gaps": ("-open_gap_count", "patient_id"),
}
ELIGIBLE_FIELDS = {"ccm": "ccm_eligible", "pcm": "pcm_eligible", "tcm": "tcm_candidate"}


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
    run: AnalyticsRun | None = AnalyticsRun.objects.filter(pk__in=findings.values("run_id")).first()
    return run


def _json_item(value: str) -> str:
    """A JSON list holds the quoted item: match it the same way on SQLite and PostgreSQL.

    SQLite keeps the text Django wrote (non-ASCII escaped, as json.dumps does by default);
    PostgreSQL's jsonb reads back as text with the characters themselves.
    """
    return json.dumps(value, ensure_ascii=connection.vendor != "postgresql")


def registry(user: Any, filters: dict[str, Any], session: Any = None) -> QuerySet[PatientFinding]:
    """The findings the filters select (RegistryFilterForm.filters()), in the chosen order."""
    qs = visible_findings(user, session).select_related("patient")
    if filters.get("status"):
        qs = qs.filter(ccm_status=filters["status"])
    if filters.get("eligible"):
        qs = qs.filter(**{ELIGIBLE_FIELDS[filters["eligible"]]: True})
    if filters.get("tier"):
        qs = qs.filter(risk_tier=filters["tier"])
    if filters.get("recommended"):
        qs = qs.filter(recommended_program=filters["recommended"])
    if filters.get("super_utilizer"):
        qs = qs.filter(super_utilizer=filters["super_utilizer"] == "yes")
    if filters.get("condition"):
        qs = qs.filter(chronic_condition_ids__icontains=_json_item(filters["condition"]))
    if filters.get("gap"):
        qs = qs.filter(open_gap_ids__icontains=_json_item(filters["gap"]))
    if filters.get("payer"):
        qs = qs.filter(payers__icontains=_json_item(filters["payer"]))
    if filters.get("care_manager"):
        qs = qs.filter(patient_id__in=_care_team_of(filters["care_manager"]))
    if filters.get("min_admissions") is not None:
        qs = qs.filter(inpatient_admissions_12m__gte=filters["min_admissions"])
    return qs.order_by(*SORTS[filters.get("sort") or "name"])


def _active_assignments() -> QuerySet[CareTeamAssignment]:
    today = timezone.localdate()
    return CareTeamAssignment.objects.filter(
        role__in=(CareTeamRole.PRIMARY_CARE_MANAGER, CareTeamRole.CASE_MANAGER),
        start__lte=today,
    ).filter(Q(end__isnull=True) | Q(end__gte=today))


def _care_team_of(user_id: int) -> QuerySet[CareTeamAssignment]:
    return _active_assignments().filter(user_id=user_id).values("patient_id")


def care_manager_choices(user: Any, session: Any = None) -> list[tuple[int, str]]:
    """The care and case managers assigned today to patients the user may open."""
    org = policies.active_organization(user, session)
    if org is None:
        return []
    rows = (
        _active_assignments()
        .filter(organization=org, patient__in=patients_visible_to(user, session))
        .values_list("user_id", "user__first_name", "user__last_name", "user__username")
        .distinct()
    )
    names = {pk: (f"{first} {last}".strip() or username) for pk, first, last, username in rows}
    return sorted(names.items(), key=lambda item: item[1].lower())


def payer_choices(findings: QuerySet[PatientFinding]) -> list[str]:
    """The payers of the coverage active on the run's date, over the findings."""
    payers: set[str] = set()
    for names in findings.order_by().values_list("payers", flat=True).distinct():
        payers.update(names or [])
    return sorted(payers)


def _counts(
    findings: QuerySet[PatientFinding], field: str, choices: list[tuple[str, str]]
) -> list[tuple[str, str, int]]:
    counts = dict(
        findings.order_by().values_list(field).annotate(n=Count("id")).values_list(field, "n")
    )
    return [(value, label, counts.get(value, 0)) for value, label in choices]


def status_counts(findings: QuerySet[PatientFinding]) -> list[tuple[str, str, int]]:
    return _counts(findings, "ccm_status", CcmStatus.choices)


def tier_counts(findings: QuerySet[PatientFinding]) -> list[tuple[str, str, int]]:
    """Highest tier first."""
    return _counts(findings, "risk_tier", list(reversed(RiskTier.choices)))


def latest_finding_for(user: Any, patient_id: int, session: Any = None) -> PatientFinding | None:
    """The patient's finding in the latest run that has one, if the user may open the patient."""
    finding: PatientFinding | None = (
        PatientFinding.objects.filter(
            patient_id=patient_id, patient__in=patients_visible_to(user, session)
        )
        .select_related("run")
        .order_by("-run__finished_at", "-run_id")
        .first()
    )
    return finding
