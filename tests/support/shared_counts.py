"""Per-type resource counts of the shared FHIR data, from each folder's README
(../shared/data/synthea-fhir-r4/README.md, ../shared/data/bulk-fhir/README.md)."""

from __future__ import annotations

from typing import Any

SYNTHEA_COUNTS = {
    "Observation": 42929,
    "Claim": 9856,
    "DiagnosticReport": 8229,
    "MedicationRequest": 5087,
    "Encounter": 4769,
    "DocumentReference": 4769,
    "ExplanationOfBenefit": 4769,
    "Procedure": 3608,
    "SupplyDelivery": 1886,
    "Immunization": 1616,
    "Condition": 1597,
    "CareTeam": 540,
    "CarePlan": 540,
    "MedicationAdministration": 326,
    "Medication": 326,
    "Practitioner": 195,
    "PractitionerRole": 195,
    "Organization": 194,
    "Location": 194,
    "ImagingStudy": 145,
    "Provenance": 120,
    "Patient": 120,
    "AllergyIntolerance": 76,
    "Device": 28,
}
BULK_COUNTS = {
    "Patient": 100,
    "Encounter": 3697,
    "Condition": 639,
    "Observation": 16315,
    "Procedure": 2351,
    "DiagnosticReport": 897,
    "MedicationRequest": 2386,
    "Immunization": 1287,
    "AllergyIntolerance": 38,
    "CarePlan": 278,
    "CareTeam": 278,
    "Device": 4,
    "ImagingStudy": 16,
    "Claim": 6083,
    "ExplanationOfBenefit": 3697,
    "Organization": 203,
    "Practitioner": 203,
    "Group": 1,
}
DERIVED = "Coverage (derived from claims)"


def accounted(report: Any) -> dict[str, int]:
    return {
        rtype: c["created"] + c["updated"] + c["unchanged"] + c["skipped"]
        for rtype, c in report.by_type.items()
        if rtype != DERIVED
    }
