"""Claims: FHIR Claim / ExplanationOfBenefit and the Medicare claims files (RIF, CCLF, Tuva)."""

from __future__ import annotations

from django.db import models

from .base import PatientRecord, linked_reference, reference_key


class Claim(PatientRecord):
    class Type(models.TextChoices):
        INPATIENT = "inpatient", "Inpatient"
        OUTPATIENT = "outpatient", "Outpatient"
        CARRIER = "carrier", "Carrier (professional)"
        SNF = "snf", "Skilled nursing facility"
        HOME_HEALTH = "home_health", "Home health"
        HOSPICE = "hospice", "Hospice"
        DME = "dme", "Durable medical equipment"
        PART_D = "part_d", "Part D / pharmacy"
        INSTITUTIONAL = "institutional", "Institutional (unspecified)"
        PROFESSIONAL = "professional", "Professional (unspecified)"
        OTHER = "other", "Other"

    resource_type = models.CharField(max_length=30, help_text="Claim or ExplanationOfBenefit")
    claim_type = models.CharField(max_length=20, choices=Type.choices)
    status = models.CharField(max_length=20, blank=True)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    diagnosis_codes = models.JSONField(
        default=list, help_text="ICD codes in claim order; first is principal"
    )
    procedure_codes = models.JSONField(default=list)
    line_codes = models.JSONField(
        default=list, help_text="[{code, system, date, units, amount, pos}]"
    )
    place_of_service = models.CharField(max_length=10, blank=True)
    payer = models.CharField(max_length=100, blank=True)
    provider_npi = models.CharField(max_length=10, blank=True)
    provider_ref = models.CharField(max_length=300, blank=True)
    practitioner = linked_reference("clinical.Practitioner")
    practitioner_ref = reference_key()
    encounter = linked_reference("clinical.Encounter")
    encounter_ref = reference_key()
    total_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    payment_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
