"""Tuva input layer and Blue Button 2.0 through `careloop import claims` (issue 4 §1)."""

from __future__ import annotations

import pytest

from careloop.clinical import models as cm
from careloop.interop.claims.runner import ClaimsImport

pytestmark = pytest.mark.django_db

TOP = ("eligibility.csv", "medical_claim.csv", "pharmacy_claim.csv", "lab_result.csv")


def _tuva(shared_data):
    return shared_data / "claims" / "tuva_input_layer"


def test_ten_member_set_counts_as_readme(org_a, shared_data):
    folder = _tuva(shared_data)
    _run, report = ClaimsImport(org_a.pk, "tuva").run([str(folder / f) for f in TOP])
    assert report.errors == []
    assert cm.Patient.objects.count() == 10
    assert cm.Coverage.objects.count() == 31  # one per enrollment span row
    medical = cm.Claim.objects.exclude(claim_type="part_d")
    assert medical.count() == 1138  # README: 2,075 lines, 1,138 claims
    assert cm.Observation.objects.count() == 1162
    assert set(medical.values_list("claim_type", flat=True)) <= {
        "carrier", "inpatient", "outpatient", "snf", "home_health", "hospice",
    }  # fmt: skip
    # the mislabelled `icd-10-pcs` professional lines keep their ICD-10-CM diagnoses
    assert medical.filter(claim_type="carrier").exclude(diagnosis_codes=[]).exists()
    again = ClaimsImport(org_a.pk, "tuva").run([str(folder / f) for f in TOP])[1]
    assert again.errors == [] and again.totals()["created"] == again.totals()["updated"] == 0


def test_every_tuva_file_imports(org_a, shared_data):
    run, report = ClaimsImport(org_a.pk, "tuva").run([str(_tuva(shared_data))])
    assert report.errors == [], report.errors[:5]
    assert run.kind == "tuva"
    # all three folders are one population of 1,000 members
    assert cm.Patient.objects.count() == 1000
    medical = sum(
        c["created"] + c["skipped"]
        for t, c in report.by_type.items()
        if t.startswith("Claim (") and t != "Claim (part_d)"
    )
    assert medical == 1138 + 3106
    # tables careloop does not import are skipped with a warning each, never silently
    skipped = {w["table"] for w in report.warnings if "table" in w}
    assert skipped == {"appointment", "immunization", "observation", "provider_attribution"}
    again = ClaimsImport(org_a.pk, "tuva").run([str(_tuva(shared_data))])[1]
    assert again.totals()["created"] == 0 and again.totals()["updated"] == 0


def test_blue_button_is_delegated_to_the_fhir_importer(org_a, shared_data):
    folder = shared_data / "claims" / "cms_bfd" / "bluebutton_fhir_r4_v2_responses"
    run, report = ClaimsImport(org_a.pk, "bluebutton").run([str(folder)])
    assert report.errors == []
    assert run.kind == "bluebutton" and run.source_system == "bluebutton"
    assert cm.Claim.objects.filter(resource_type="ExplanationOfBenefit").count() > 0
    again = ClaimsImport(org_a.pk, "bluebutton").run([str(folder)])[1]
    assert again.totals()["created"] == 0
