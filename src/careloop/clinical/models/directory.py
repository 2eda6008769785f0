"""Who and where care happens: provider organizations, locations, practitioners."""

from __future__ import annotations

from django.db import models

from .base import ClinicalRecord, linked_reference, reference_key


class ProviderOrganization(ClinicalRecord):
    """An organization named in clinical data (FHIR Organization): hospital, practice, payer."""

    name = models.CharField(max_length=300)
    npi = models.CharField(max_length=10, blank=True, db_index=True)
    kind = models.CharField(max_length=40, blank=True)
    identifiers = models.JSONField(default=list)
    address = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return self.name


class Location(ClinicalRecord):
    name = models.CharField(max_length=300)
    address = models.CharField(max_length=300, blank=True)
    identifiers = models.JSONField(default=list)
    managing_organization = linked_reference(ProviderOrganization, db_index=True)
    managing_organization_ref = reference_key()

    def __str__(self) -> str:
        return self.name


class Practitioner(ClinicalRecord):
    npi = models.CharField(max_length=10, blank=True, db_index=True)
    family_name = models.CharField(max_length=100, blank=True)
    given_name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=20, blank=True)
    specialty = models.CharField(max_length=200, blank=True)
    qualification = models.CharField(max_length=200, blank=True)
    identifiers = models.JSONField(default=list)

    def __str__(self) -> str:
        return " ".join(p for p in (self.prefix, self.given_name, self.family_name) if p)


class SourceIdentifier(models.Model):
    """Business identifiers of directory resources, for conditional references.

    Synthea patient bundles point at `Organization?identifier=system|value`; this index
    resolves such a reference to the row, whichever was loaded first.
    """

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    resource_type = models.CharField(max_length=40)
    system = models.CharField(max_length=200)
    value = models.CharField(max_length=200)
    source_id = models.CharField(max_length=128)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "resource_type", "system", "value"],
                name="unique_source_identifier",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}?identifier={self.system}|{self.value}"
