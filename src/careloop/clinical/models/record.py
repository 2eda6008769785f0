"""The clinical record: encounters, problems, observations, medications, immunizations,
procedures and allergies. Codes are stored as they came (system, code, display)."""

from __future__ import annotations

from django.db import models

from .base import PatientRecord, linked_reference, reference_key


class CodedRecord(PatientRecord):
    system = models.CharField(max_length=200, blank=True)
    code = models.CharField(max_length=64, blank=True)
    display = models.CharField(max_length=300, blank=True)
    codings = models.JSONField(default=list, help_text="all codings as [system, code, display]")

    class Meta(PatientRecord.Meta):
        abstract = True


class Encounter(PatientRecord):
    class Class(models.TextChoices):
        AMBULATORY = "ambulatory", "Ambulatory"
        EMERGENCY = "emergency", "Emergency"
        INPATIENT = "inpatient", "Inpatient"
        OBSERVATION = "observation", "Observation"
        HOME = "home", "Home"
        VIRTUAL = "virtual", "Virtual"
        OTHER = "other", "Other"

    encounter_class = models.CharField(max_length=20, choices=Class.choices)
    class_code = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=20, blank=True)
    type_codes = models.JSONField(default=list)
    type_display = models.CharField(max_length=300, blank=True)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    admit_source = models.CharField(max_length=40, blank=True)
    discharge_disposition = models.CharField(max_length=40, blank=True)
    practitioner = linked_reference("clinical.Practitioner")
    practitioner_ref = reference_key()
    service_provider = linked_reference("clinical.ProviderOrganization")
    service_provider_ref = reference_key()
    location = linked_reference("clinical.Location")
    location_ref = reference_key()
    reason_codes = models.JSONField(default=list)


class EncounterLinked(CodedRecord):
    encounter = linked_reference(Encounter)
    encounter_ref = reference_key()

    class Meta(CodedRecord.Meta):
        abstract = True


class Condition(EncounterLinked):
    clinical_status = models.CharField(max_length=20, blank=True)
    verification_status = models.CharField(max_length=20, blank=True)
    category = models.CharField(max_length=40, blank=True)
    onset = models.DateField(null=True, blank=True)
    abatement = models.DateField(null=True, blank=True)
    recorded_date = models.DateField(null=True, blank=True)


class Observation(EncounterLinked):
    class Meta(EncounterLinked.Meta):
        indexes = [
            models.Index(fields=["patient", "code", "effective"], name="observation_patient_code")
        ]

    category = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=20, blank=True)
    effective = models.DateTimeField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    value_text = models.CharField(max_length=300, blank=True)
    components = models.JSONField(default=list, help_text="[{code, display, value, unit}]")


class Medication(EncounterLinked):
    """A MedicationRequest or MedicationStatement (`resource_type` says which)."""

    resource_type = models.CharField(max_length=30)
    status = models.CharField(max_length=20, blank=True)
    intent = models.CharField(max_length=20, blank=True)
    authored_on = models.DateField(null=True, blank=True)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    dosage_text = models.CharField(max_length=500, blank=True)


class Immunization(EncounterLinked):
    status = models.CharField(max_length=20, blank=True)
    occurrence = models.DateField(null=True, blank=True)


class Procedure(EncounterLinked):
    status = models.CharField(max_length=20, blank=True)
    performed = models.DateField(null=True, blank=True)


class AllergyIntolerance(CodedRecord):
    clinical_status = models.CharField(max_length=20, blank=True)
    category = models.CharField(max_length=40, blank=True)
    criticality = models.CharField(max_length=20, blank=True)
    recorded_date = models.DateField(null=True, blank=True)
