"""Imports write change events in the transaction of each write (SEC-005, source "import").

Created rows: one event per table and write, entity ``import-run:<id>``, listing
``id<TAB>source id<TAB>content hash`` of every row, one line each. Updated rows: one event each, field-level.
A failed bundle writes no event; a re-import of unchanged data writes none.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from careloop.audit.models import ChangeEvent
from careloop.audit.verify import verify_all
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
CONDITION = {
    "resourceType": "Condition",
    "id": "c1",
    "subject": {"reference": "Patient/p1"},
    "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9"}]},
    "onsetDateTime": "2019-05-01",
}
ENCOUNTER = {
    "resourceType": "Encounter",
    "id": "e1",
    "status": "finished",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
    "subject": {"reference": "Patient/p1"},
    "period": {"start": "2024-03-01T10:00:00+00:00", "end": "2024-03-01T10:30:00+00:00"},
}


def _ndjson(folder: Path, name: str, *resources: dict) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(b"\n".join(orjson.dumps(r) for r in resources) + b"\n")


def _import(org, *paths: Path):
    run, report = FhirImport(org.pk).run([str(p) for p in paths])
    assert report.ok, report.as_dict()["errors"]
    return run


def test_created_rows_are_listed_in_one_event_per_table_with_their_ids_and_hashes(org_a, tmp_path):
    data = tmp_path / "bulk"
    _ndjson(data, "Patient.ndjson", PATIENT)
    _ndjson(data, "Condition.ndjson", CONDITION, {**CONDITION, "id": "c2"})
    run = _import(org_a, data)

    events = {
        e.entity_type: e for e in ChangeEvent.objects.filter(entity_id=f"import-run:{run.pk}")
    }
    assert set(events) == {"clinical.patient", "clinical.condition"}
    conditions = events["clinical.condition"]
    assert conditions.action == "create"
    assert conditions.source == "import"
    assert conditions.organization_id == org_a.pk
    stored = {c.pk: (c.source_id, c.content_hash) for c in cm.Condition.objects.all()}
    lines = [line.split("\t") for line in conditions.after["rows"].splitlines()]
    assert {int(pk): (sid, h) for pk, sid, h in lines} == stored
    assert conditions.after["count"] == 2
    assert conditions.after["import_run"] == run.pk
    assert events["clinical.patient"].after["rows"].split("\t")[1] == "p1"
    assert all(report.ok for report in verify_all())


def test_reimport_of_unchanged_data_writes_no_event(org_a, tmp_path):
    data = tmp_path / "bulk"
    _ndjson(data, "Patient.ndjson", PATIENT)
    _ndjson(data, "Condition.ndjson", CONDITION)
    _import(org_a, data)
    before = ChangeEvent.objects.count()
    _import(org_a, data)
    assert ChangeEvent.objects.count() == before


def test_an_updated_resource_gets_its_own_field_level_event(org_a, tmp_path):
    data = tmp_path / "bulk"
    _ndjson(data, "Patient.ndjson", PATIENT)
    _ndjson(data, "Condition.ndjson", CONDITION)
    _import(org_a, data)
    _ndjson(data, "Condition.ndjson", {**CONDITION, "onsetDateTime": "2018-01-15"})
    run = _import(org_a, data)

    condition = cm.Condition.objects.get(source_id="c1")
    event = ChangeEvent.objects.get(entity_type="clinical.condition", entity_id=str(condition.pk))
    assert event.action == "update"
    assert event.before == {"onset": "2019-05-01"}
    assert event.after == {"onset": "2018-01-15"}
    assert not ChangeEvent.objects.filter(entity_id=f"import-run:{run.pk}").exists()


def test_a_reference_linked_when_its_target_arrives_is_audited(org_a, tmp_path):
    first = tmp_path / "first"
    _ndjson(first, "Patient.ndjson", PATIENT)
    _ndjson(first, "Condition.ndjson", {**CONDITION, "encounter": {"reference": "Encounter/e1"}})
    _import(org_a, first)
    assert cm.Condition.objects.get().encounter_id is None
    second = tmp_path / "second"
    _ndjson(second, "Encounter.ndjson", ENCOUNTER)
    run = _import(org_a, second)

    encounter = cm.Encounter.objects.get()
    assert cm.Condition.objects.get().encounter_id == encounter.pk
    link = ChangeEvent.objects.get(
        entity_type="clinical.condition", entity_id=f"import-run:{run.pk}", action="update"
    )
    assert link.before == {"encounter_id": None, "linked_rows": None, "by_reference": None}
    assert link.after == {
        "encounter_id": encounter.pk,
        "linked_rows": 1,
        "by_reference": "Encounter/e1",
    }


def test_a_failed_bundle_writes_no_event(org_a, tmp_path):
    bad = {**CONDITION, "subject": {"reference": "Patient/nobody"}}
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": PATIENT}, {"resource": bad}],
    }
    path = tmp_path / "b.json"
    path.write_bytes(orjson.dumps(bundle))
    _, report = FhirImport(org_a.pk).run([str(path)])
    assert not report.ok
    assert cm.Patient.objects.count() == 0
    assert ChangeEvent.objects.count() == 0


def test_the_audit_viewer_finds_a_patients_imported_rows(org_a, tmp_path):
    from careloop.web.audit.selectors import AuditFilter, change_events

    data = tmp_path / "bulk"
    _ndjson(data, "Patient.ndjson", PATIENT, {**PATIENT, "id": "p2"})
    _ndjson(data, "Condition.ndjson", CONDITION)
    run = _import(org_a, data)
    p1 = cm.Patient.objects.get(source_id="p1")
    p2 = cm.Patient.objects.get(source_id="p2")

    about_p1 = change_events(org_a, AuditFilter(patient_ids=[p1.pk]))
    assert {(e.entity_type, e.entity_id) for e in about_p1} == {
        ("clinical.patient", f"import-run:{run.pk}"),
        ("clinical.condition", f"import-run:{run.pk}"),
    }
    # p2 has no condition: only the patient batch names it
    about_p2 = change_events(org_a, AuditFilter(patient_ids=[p2.pk]))
    assert {e.entity_type for e in about_p2} == {"clinical.patient"}
