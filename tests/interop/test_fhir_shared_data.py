"""Import of the shared third-party data: every resource accounted for, re-import a no-op.

Expected counts are the per-type tables of each folder's README (../shared/data/*/README.md).
"""

from __future__ import annotations

import pytest

from careloop.clinical import models as cm
from careloop.interop.fhir.importer import FhirImport
from support.shared_counts import BULK_COUNTS, DERIVED, SYNTHEA_COUNTS, accounted

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


def test_synthea_bundles_all_120_patients(org_a, shared_data):
    folder = shared_data / "synthea-fhir-r4"
    run, report = FhirImport(org_a.pk).run([str(folder)])
    assert report.errors == [], report.errors[:5]
    assert accounted(report) == SYNTHEA_COUNTS
    assert cm.Patient.objects.filter(organization=org_a).count() == 120
    assert cm.Observation.objects.count() == 42929
    # conditional references resolved against the hospital/practitioner bundles
    assert cm.Encounter.objects.filter(service_provider__isnull=True).count() == 0
    assert cm.Encounter.objects.filter(practitioner__isnull=True).count() == 0
    # Synthea carries no Coverage: it is derived from the claims and marked so
    assert cm.Coverage.objects.filter(derived=False).count() == 0
    assert cm.Coverage.objects.filter(derived=True, kind="part-b").exists()
    # claim diagnoses come from the referenced Conditions, in claim order
    assert cm.Claim.objects.exclude(diagnosis_codes=[]).exists()
    assert run.status == "succeeded"

    _run2, again = FhirImport(org_a.pk).run([str(folder)])
    totals = again.totals()
    assert again.errors == []
    assert totals["created"] == 0 and totals["updated"] == 0
    assert (
        totals["unchanged"] + totals["skipped"]
        == sum(SYNTHEA_COUNTS.values()) + again.by_type[DERIVED]["unchanged"]
    )


def test_bulk_ndjson_100_patients(org_a, shared_data):
    run, report = FhirImport(org_a.pk).run([str(shared_data / "bulk-fhir")])
    assert report.errors == [], report.errors[:5]
    assert accounted(report) == BULK_COUNTS
    assert cm.Patient.objects.count() == 100
    assert cm.Claim.objects.count() == 6083 + 3697
    assert cm.Encounter.objects.filter(encounter_class="inpatient").count() == 101
    _run2, again = FhirImport(org_a.pk).run([str(shared_data / "bulk-fhir")])
    assert again.errors == []
    assert again.totals()["created"] == 0 and again.totals()["updated"] == 0


def test_bulk_ndjson_in_any_order(org_a, shared_data):
    """Claims and observations first, patients last: still nothing fails."""
    folder = shared_data / "bulk-fhir"
    _r, first = FhirImport(org_a.pk).run(
        [str(folder / "Organization.ndjson"), str(folder / "Practitioner.ndjson")]
    )
    assert first.errors == []
    _r, report = FhirImport(org_a.pk).run([str(folder)])
    assert report.errors == []
    assert cm.Encounter.objects.filter(service_provider__isnull=True).count() == 0


def test_blue_button_eob_coverage_patient(org_a, shared_data):
    folder = shared_data / "claims" / "cms_bfd" / "bluebutton_fhir_r4_v2_responses"
    _run, report = FhirImport(org_a.pk, source_system="bluebutton").run([str(folder)])
    assert report.errors == [], report.errors[:5]
    # every claim type of the README is there
    types = set(
        cm.Claim.objects.filter(resource_type="ExplanationOfBenefit").values_list(
            "claim_type", flat=True
        )
    )
    assert types == {
        "carrier",
        "dme",
        "part_d",
        "inpatient",
        "outpatient",
        "snf",
        "home_health",
        "hospice",
    }
    assert set(cm.Coverage.objects.values_list("kind", flat=True)) == {
        "part-a",
        "part-b",
        "part-c",
        "part-d",
    }
    patient = cm.Patient.objects.get(source_id="567834")
    assert patient.mbi
    assert cm.Claim.objects.filter(patient=patient).count() >= 8
    # IGNORED_FIELD placeholders are tolerated; unknown code systems are warnings, not errors
    assert report.warning_count > 0
    assert all("IGNORED_FIELD" not in e["message"] for e in report.errors)
    _run2, again = FhirImport(org_a.pk, source_system="bluebutton").run([str(folder)])
    assert again.errors == [] and again.totals()["created"] == 0
