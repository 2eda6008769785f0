"""The provenance every clinical row carries (architecture §2 rule 5)."""

from __future__ import annotations

from django.db import models


class ClinicalRecord(models.Model):
    """Abstract base: owning organization, source system and id, the import run, a content hash.

    `(organization, source_system, source_id)` is the natural key the importers upsert on;
    `content_hash` lets a re-import tell "unchanged" from "updated" without comparing fields.
    """

    # No index of its own: the natural-key index leads with the organization (one index
    # fewer to maintain on every imported row). No database constraint for the organization
    # and the import run: an import writes the same two values on every row, checked once
    # when the run starts, and a per-row foreign-key check of a constant was a sixth of a
    # PostgreSQL import (decision 0001). Django still applies on_delete.
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    source_system = models.CharField(max_length=64)
    source_id = models.CharField(max_length=128)
    import_run = models.ForeignKey(
        "interop.ImportRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    content_hash = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "source_system", "source_id"],
                name="%(app_label)s_%(class)s_natural_key",
            )
        ]


def linked_reference(
    target: str | type[models.Model], *, db_index: bool = False
) -> models.ForeignKey:  # type: ignore[type-arg]
    """An optional reference the importer links once its target is stored, in any load order.
    `target` is a model or its "app.Model" label, as for `ForeignKey`.

    It comes with a `<field>_ref` (`reference_key()`) holding the reference until then
    (`interop/fhir/writer.py`, `link_pending`). No index by default: imports write every index.
    """
    return models.ForeignKey(
        target,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=db_index,
    )


def reference_key() -> models.CharField:  # type: ignore[type-arg]
    """The reference key (`Practitioner/12`, `Organization?identifier=s|v`) of a linked reference."""
    return models.CharField(max_length=300, blank=True)


class PatientRecord(ClinicalRecord):
    """A clinical row about one patient."""

    patient = models.ForeignKey(
        "clinical.Patient", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta(ClinicalRecord.Meta):
        abstract = True
        # One index per table for the chart's per-patient reads; imports write every index,
        # so there are few (decision 0001).
        indexes = [models.Index(fields=["patient"], name="%(class)s_patient")]
