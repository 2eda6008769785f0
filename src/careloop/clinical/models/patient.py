"""The patient and their coverage."""

from __future__ import annotations

from django.db import models

from .base import ClinicalRecord, PatientRecord, linked_reference, reference_key


class Patient(ClinicalRecord):
    mrn = models.CharField("MRN", max_length=64, blank=True, db_index=True)
    mbi = models.CharField(
        "Medicare Beneficiary Identifier", max_length=11, blank=True, db_index=True
    )
    identifiers = models.JSONField(default=list)
    family_name = models.CharField(max_length=100, blank=True, db_index=True)
    given_name = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField(null=True, blank=True, db_index=True)
    gender = models.CharField(max_length=20, blank=True)
    deceased = models.BooleanField(default=False)
    deceased_date = models.DateField(null=True, blank=True)
    address_line = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    language = models.CharField(max_length=50, blank=True)
    orec = models.CharField("original reason for entitlement", max_length=1, blank=True)
    general_practitioner = linked_reference("clinical.Practitioner", db_index=True)
    general_practitioner_ref = reference_key()

    class Meta(ClinicalRecord.Meta):
        indexes = [models.Index(fields=["organization", "family_name", "given_name"])]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name}".strip(", ")

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class Coverage(PatientRecord):
    class Kind(models.TextChoices):
        PART_A = "part-a", "Medicare Part A"
        PART_B = "part-b", "Medicare Part B"
        PART_C = "part-c", "Medicare Advantage (Part C)"
        PART_D = "part-d", "Medicare Part D"
        MEDICAID = "medicaid", "Medicaid"
        DUAL = "dual", "Medicare and Medicaid (dual eligible)"
        PRIVATE = "private", "Private / commercial"
        OTHER = "other", "Other"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    payer = models.CharField(max_length=200, blank=True)
    subscriber_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, blank=True)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    dual_status = models.CharField(max_length=2, blank=True)
    qmb = models.BooleanField("Qualified Medicare Beneficiary", default=False)
    derived = models.BooleanField(
        default=False, help_text="Derived from claims because the source carried no Coverage"
    )
