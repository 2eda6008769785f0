"""One test per bad-input class of issue 8: the exact error, and nothing of the bundle stored."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from careloop.clinical import models as cm
from careloop.interop.fhir.importer import FhirImport

pytestmark = pytest.mark.django_db

PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "name": [{"family": "Okafor", "given": ["Ada"]}],
    "birthDate": "1950-02-03",
    "gender": "female",
}


def _bundle(*resources, btype="transaction"):
    return {
        "resourceType": "Bundle",
        "type": btype,
        "entry": [
            {
                "fullUrl": f"urn:uuid:{r['id']}",
                "resource": r,
                "request": {"method": "POST", "url": r["resourceType"]},
            }
            for r in resources
        ],
    }


def _encounter(**over):
    enc = {
        "resourceType": "Encounter",
        "id": "e1",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": "urn:uuid:p1"},
        "period": {"start": "2024-03-01T10:00:00+01:00", "end": "2024-03-01T10:30:00+01:00"},
    }
    enc.update(over)
    return enc


def _run(org, tmp_path: Path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return FhirImport(org.pk).run([str(path)])[1]


def _nothing_stored():
    assert cm.Patient.objects.count() == 0
    assert cm.Encounter.objects.count() == 0


def test_malformed_json(org_a, tmp_path):
    report = _run(
        org_a,
        tmp_path,
        "bad.json",
        b'{"resourceType": "Bundle", "type": "transaction", "entry": [}',
    )
    assert report.error_count == 1
    err = report.errors[0]
    assert err["file"].endswith("bad.json")
    assert err["message"].startswith("malformed or truncated JSON")
    _nothing_stored()


def test_truncated_gzip_bundle(org_a, tmp_path):
    data = gzip.compress(orjson.dumps(_bundle(PATIENT, _encounter())))
    report = _run(org_a, tmp_path, "cut.json.gz", data[: len(data) // 2])
    assert report.error_count == 1
    assert (
        "cannot read file" in report.errors[0]["message"]
        or "truncated" in report.errors[0]["message"]
    )
    _nothing_stored()


def test_truncated_ndjson_line_reports_line_and_keeps_the_rest(org_a, tmp_path):
    good = orjson.dumps(PATIENT)
    other = orjson.dumps({**PATIENT, "id": "p2"})
    report = _run(org_a, tmp_path, "Patient.ndjson", good + b"\n" + other[:30] + b"\n")
    assert report.error_count == 1
    assert report.errors[0]["line"] == 2
    assert report.errors[0]["message"].startswith("malformed or truncated JSON")
    assert list(cm.Patient.objects.values_list("source_id", flat=True)) == ["p1"]


def test_non_r4_resource_type(org_a, tmp_path):
    stu3 = {
        "resourceType": "ProcedureRequest",
        "id": "x1",
        "status": "active",
        "subject": {"reference": "urn:uuid:p1"},
    }
    report = _run(org_a, tmp_path, "b.json", orjson.dumps(_bundle(PATIENT, stu3)))
    entry_error = report.errors[0]
    assert entry_error["entry"] == 1
    assert entry_error["resource_type"] == "ProcedureRequest"
    assert entry_error["message"] == "ProcedureRequest is a FHIR STU3 resource type, not FHIR R4"
    assert "Bundle not stored" in report.errors[1]["message"]
    _nothing_stored()


def test_non_r4_shape(org_a, tmp_path):
    r5 = _encounter(**{"class": [{"coding": [{"code": "AMB"}]}]})
    report = _run(org_a, tmp_path, "b.json", orjson.dumps(_bundle(PATIENT, r5)))
    assert (
        report.errors[0]["message"]
        == "class: is a list (FHIR R5 shape); R4 Encounter.class is one Coding"
    )
    _nothing_stored()


def test_unknown_resource_type(org_a, tmp_path):
    report = _run(
        org_a,
        tmp_path,
        "b.json",
        orjson.dumps(_bundle(PATIENT, {"resourceType": "Spaceship", "id": "s1"})),
    )
    assert report.errors[0] == {
        "file": str(tmp_path / "b.json"),
        "entry": 1,
        "resource_type": "Spaceship",
        "id": "s1",
        "message": "unknown resource type 'Spaceship' (not a FHIR R4 resource type)",
    }
    _nothing_stored()


def test_missing_required_field(org_a, tmp_path):
    enc = _encounter()
    del enc["status"]
    report = _run(org_a, tmp_path, "b.json", orjson.dumps(_bundle(PATIENT, enc)))
    err = report.errors[0]
    assert (err["entry"], err["resource_type"], err["id"]) == (1, "Encounter", "e1")
    assert err["message"] == "status: required element is missing"
    assert report.by_type["Patient"]["failed"] == 1 and report.by_type["Encounter"]["failed"] == 1
    _nothing_stored()


def test_dangling_reference_in_bundle(org_a, tmp_path):
    enc = _encounter(subject={"reference": "urn:uuid:nobody"})
    report = _run(org_a, tmp_path, "b.json", orjson.dumps(_bundle(PATIENT, enc)))
    assert (
        report.errors[0]["message"]
        == "subject: dangling reference 'urn:uuid:nobody': no entry with that fullUrl"
    )
    _nothing_stored()


def test_dangling_reference_in_ndjson(org_a, tmp_path):
    enc = _encounter(subject={"reference": "Patient/nobody"})
    report = _run(org_a, tmp_path, "Encounter.ndjson", orjson.dumps(enc) + b"\n")
    err = report.errors[0]
    assert (err["line"], err["resource_type"], err["id"], err["path"]) == (
        1,
        "Encounter",
        "e1",
        "patient",
    )
    assert (
        err["message"] == "dangling reference 'Patient/nobody': no such resource has been imported"
    )
    _nothing_stored()


def test_unparseable_date(org_a, tmp_path):
    enc = _encounter(period={"start": "2024-13-45T10:00:00Z"})
    report = _run(org_a, tmp_path, "b.json", orjson.dumps(_bundle(PATIENT, enc)))
    assert (
        report.errors[0]["message"] == "period.start: unparseable dateTime '2024-13-45T10:00:00Z'"
    )
    _nothing_stored()


def test_unparseable_quantity(org_a, tmp_path):
    obs = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
        "subject": {"reference": "urn:uuid:p1"},
        "effectiveDateTime": "2024-03-01",
        "valueQuantity": {"value": "seven point two", "unit": "%"},
    }
    report = _run(org_a, tmp_path, "b.json", orjson.dumps(_bundle(PATIENT, obs)))
    assert (
        report.errors[0]["message"]
        == "valueQuantity.value: unparseable quantity value 'seven point two': expected a number"
    )
    _nothing_stored()


def test_malformed_code_is_a_warning_not_a_failure(org_a, tmp_path):
    cond = {
        "resourceType": "Condition",
        "id": "c1",
        "subject": {"reference": "urn:uuid:p1"},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {
            "coding": [
                {"system": "http://snomed.info/sct", "code": "LOCAL-42", "display": "Local thing"}
            ]
        },
    }
    obs = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"coding": [{"system": "http://example.org/local-labs", "code": "K+"}]},
        "subject": {"reference": "urn:uuid:p1"},
        "valueQuantity": {"value": 4.1, "unit": "mmol/L"},
    }
    report = _run(org_a, tmp_path, "b.json", orjson.dumps(_bundle(PATIENT, cond, obs)))
    assert report.errors == []
    assert [w["message"] for w in report.warnings] == [
        "code 'LOCAL-42' is not a well-formed SNOMED CT code; stored as it came",
        "code system 'http://example.org/local-labs' is not one careloop knows; code 'K+' stored as it came",
    ]
    assert cm.Condition.objects.get().code == "LOCAL-42"
    assert report.by_type["Condition"]["warned"] == 1


def test_bad_bundle_does_not_stop_good_bundles(org_a, tmp_path):
    (tmp_path / "a.json").write_bytes(orjson.dumps(_bundle(PATIENT, _encounter())))
    bad_enc = _encounter(id="e2", status=None)
    (tmp_path / "b.json").write_bytes(
        orjson.dumps(
            _bundle({**PATIENT, "id": "p9"}, {**bad_enc, "subject": {"reference": "urn:uuid:p9"}})
        )
    )
    _run_, report = FhirImport(org_a.pk).run([str(tmp_path)])
    assert report.error_count == 2  # the entry, and "Bundle not stored"
    assert list(cm.Patient.objects.values_list("source_id", flat=True)) == ["p1"]
    assert cm.Encounter.objects.count() == 1


def test_changed_resource_is_updated(org_a, tmp_path):
    path = tmp_path / "a.json"
    path.write_bytes(orjson.dumps(_bundle(PATIENT, _encounter())))
    FhirImport(org_a.pk).run([str(path)])
    path.write_bytes(orjson.dumps(_bundle({**PATIENT, "birthDate": "1950-02-04"}, _encounter())))
    _r, report = FhirImport(org_a.pk).run([str(path)])
    assert (
        report.by_type["Patient"]["updated"] == 1 and report.by_type["Encounter"]["unchanged"] == 1
    )
    assert str(cm.Patient.objects.get().birth_date) == "1950-02-04"


def test_rows_of_a_rolled_back_bundle_are_not_linked_to(org_a, tmp_path):
    """A bundle rolled back after storing an Organization leaves no cached id behind: a later
    bundle's reference to that Organization waits for it instead of pointing at a lost row."""
    org = {"resourceType": "Organization", "id": "o1", "name": "Clinic"}
    orphan = _encounter(id="e0", subject={"reference": "Patient/missing"})
    (tmp_path / "a.json").write_bytes(orjson.dumps(_bundle(org, orphan)))
    enc = _encounter(serviceProvider={"reference": "Organization/o1"})
    (tmp_path / "b.json").write_bytes(orjson.dumps(_bundle(PATIENT, enc)))
    _run_, report = FhirImport(org_a.pk).run([str(tmp_path)])
    assert [e["message"] for e in report.errors][0] == (
        "dangling reference 'Patient/missing': no such resource has been imported"
    )
    assert cm.ProviderOrganization.objects.count() == 0
    stored = cm.Encounter.objects.get(source_id="e1")
    assert stored.service_provider_id is None
    assert stored.service_provider_ref == "Organization/o1"
