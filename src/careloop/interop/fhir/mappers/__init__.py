"""One mapper per resource type: `MAPPERS[resource_type](resource, ctx, source_id) -> Row`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .claims import map_claim
from .clinical import (
    map_allergy,
    map_condition,
    map_encounter,
    map_immunization,
    map_medication,
    map_observation,
    map_procedure,
)
from .common import MapContext, Row
from .directory import map_location, map_organization, map_practitioner
from .patient import map_coverage, map_patient

Mapper = Callable[[dict[str, Any], MapContext, str], Row]

MAPPERS: dict[str, Mapper] = {
    "Organization": map_organization,
    "Location": map_location,
    "Practitioner": map_practitioner,
    "Patient": map_patient,
    "Coverage": map_coverage,
    "Encounter": map_encounter,
    "Condition": map_condition,
    "Observation": map_observation,
    "MedicationRequest": map_medication,
    "MedicationStatement": map_medication,
    "Immunization": map_immunization,
    "Procedure": map_procedure,
    "AllergyIntolerance": map_allergy,
    "Claim": map_claim,
    "ExplanationOfBenefit": map_claim,
}

__all__ = ["MAPPERS", "MapContext", "Row"]
