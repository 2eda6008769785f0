"""Reading the clinical record, always for an acting user (accounts/policies.py decides)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from careloop.accounts import policies
from careloop.audit.services import record_access

from .models import (
    AllergyIntolerance,
    Claim,
    Condition,
    Coverage,
    Encounter,
    Immunization,
    Medication,
    Observation,
    Patient,
    Procedure,
)


def patients_visible_to(user: Any, session: Any = None) -> QuerySet[Patient]:
    """The patients the user may open in the active organization (accounts/policies.py):
    the whole organization, or the care team plus unexpired break-the-glass grants."""
    org = policies.active_organization(user, session)
    allowed = policies.patient_filter(user, org)
    if allowed is None:
        return Patient.objects.none()
    return Patient.objects.filter(allowed)


def caseload(user: Any, session: Any = None) -> QuerySet[Patient]:
    """The patients the user is on the care team of today, in the active organization:
    what worklists are scoped by (SEC-002), whatever the organization's chart access."""
    org = policies.active_organization(user, session)
    if org is None or not policies.can_view_phi(user, org):
        return Patient.objects.none()
    return Patient.objects.filter(
        organization=org, pk__in=policies.care_team_patient_ids(user, org)
    )


def get_patient_for_user(user: Any, patient_id: int, session: Any = None) -> Patient:
    """The patient, or 404 — the same answer for "does not exist" and "not yours".

    A patient reached only through a break-the-glass grant is returned too, and the read is
    recorded as an access event flagged `break_glass` (purpose "emergency", SEC-003), on top
    of whatever event the calling view records.
    """
    patient = patients_visible_to(user, session).filter(pk=patient_id).first()
    if patient is None:
        raise Http404("No such patient")
    if policies.is_break_glass_access(user, patient.organization, patient.pk):
        record_access(
            actor=user,
            organization=patient.organization,
            patient_ids=[patient.pk],
            view="clinical:patient_under_break_glass",
            purpose="emergency",
            break_glass=True,
        )
    return patient


def search_patients(user: Any, query: str, session: Any = None) -> QuerySet[Patient]:
    qs = patients_visible_to(user, session)
    query = query.strip()
    if not query:
        return qs.order_by("family_name", "given_name", "id")
    parsed = _as_date(query)
    if parsed is not None:
        qs = qs.filter(birth_date=parsed)
    else:
        cond = Q(mrn__iexact=query) | Q(mbi__iexact=query)
        terms = query.replace(",", " ").split()
        name_q = Q()
        for t in terms:
            name_q &= Q(family_name__istartswith=t) | Q(given_name__istartswith=t)
        qs = qs.filter(cond | name_q)
    return qs.order_by("family_name", "given_name", "id")


def _as_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            from datetime import datetime

            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class Chart:
    patient: Patient
    coverage: list[Coverage]
    problems: list[Condition]
    encounters: list[Encounter]
    vitals: dict[str, list[Observation]]
    labs: list[Observation]
    medications: list[Medication]
    immunizations: list[Immunization]
    procedures: list[Procedure]
    allergies: list[AllergyIntolerance]
    claims: list[Claim]
    encounter_total: int
    claim_total: int


VITAL_CODES = {
    "85354-9": "Blood pressure",
    "29463-7": "Body weight",
    "39156-5": "BMI",
    "8867-4": "Heart rate",
}


def chart_for(user: Any, patient_id: int, session: Any = None, limit: int = 50) -> Chart:
    patient = get_patient_for_user(user, patient_id, session)
    obs = Observation.objects.filter(patient=patient)
    vitals = {
        name: list(obs.filter(code=code).order_by("-effective")[:24])[::-1]
        for code, name in VITAL_CODES.items()
    }
    labs = list(obs.filter(category="laboratory").order_by("-effective")[:limit])
    problems = list(Condition.objects.filter(patient=patient).order_by("clinical_status", "-onset"))
    encounters = Encounter.objects.filter(patient=patient).order_by("-start")
    claims = Claim.objects.filter(patient=patient).order_by("-start")
    return Chart(
        patient=patient,
        coverage=list(Coverage.objects.filter(patient=patient).order_by("kind", "-start")),
        problems=problems,
        encounters=list(encounters.select_related("practitioner", "service_provider")[:limit]),
        vitals=vitals,
        labs=labs,
        medications=list(
            Medication.objects.filter(patient=patient).order_by("-authored_on")[:limit]
        ),
        immunizations=list(
            Immunization.objects.filter(patient=patient).order_by("-occurrence")[:limit]
        ),
        procedures=list(Procedure.objects.filter(patient=patient).order_by("-performed")[:limit]),
        allergies=list(AllergyIntolerance.objects.filter(patient=patient)),
        claims=list(claims[:limit]),
        encounter_total=encounters.count(),
        claim_total=claims.count(),
    )
