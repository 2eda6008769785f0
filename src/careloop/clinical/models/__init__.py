from .base import ClinicalRecord, PatientRecord
from .claims import Claim
from .directory import Location, Practitioner, ProviderOrganization, SourceIdentifier
from .patient import Coverage, Patient
from .record import (
    AllergyIntolerance,
    Condition,
    Encounter,
    Immunization,
    Medication,
    Observation,
    Procedure,
)

__all__ = [
    "AllergyIntolerance",
    "Claim",
    "ClinicalRecord",
    "Condition",
    "Coverage",
    "Encounter",
    "Immunization",
    "Location",
    "Medication",
    "Observation",
    "Patient",
    "PatientRecord",
    "Practitioner",
    "Procedure",
    "ProviderOrganization",
    "SourceIdentifier",
]
