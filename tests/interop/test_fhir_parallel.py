"""Bulk NDJSON written by parallel worker processes (PostgreSQL; decision 0001).

The workers have their own connections, so these tests commit (`transaction=True`). On
SQLite the importer always writes in its own process, and the same assertions hold.
"""

from __future__ import annotations

import orjson
import pytest
from django.db import connection

from careloop.clinical import models as cm
from careloop.interop.fhir import importer
from careloop.interop.fhir.importer import FhirImport
from support.shared_counts import BULK_COUNTS, accounted

pytestmark = [pytest.mark.django_db(transaction=True)]

POSTGRES = connection.vendor == "postgresql"


def _stored(org) -> set[tuple[str, str, str, str, str]]:
    """(table, source id, content hash, patient, encounter) of every observation and claim."""
    out = set()
    for model in (cm.Observation, cm.Claim, cm.Condition, cm.Procedure):
        for row in model.objects.filter(organization=org).values_list(
            "source_id", "content_hash", "patient__source_id", "encounter__source_id"
        ):
            out.add((model.__name__, row[0], row[1], row[2], row[3] or ""))
    return out


@pytest.mark.shared_data
def test_two_writer_processes_store_what_one_stores(org_a, org_b, shared_data):
    folder = str(shared_data / "bulk-fhir")
    job = FhirImport(org_a.pk, workers=2, parallel_min_bytes=0)
    run, report = job.run([folder])
    assert job.parallel_workers == (2 if POSTGRES else 0)
    assert report.errors == [], report.errors[:5]
    assert accounted(report) == BULK_COUNTS
    assert run.status == "succeeded"

    one = FhirImport(org_b.pk, workers=1)
    _r, serial = one.run([folder])
    assert one.parallel_workers == 0
    assert accounted(serial) == BULK_COUNTS
    assert _stored(org_a) == _stored(org_b)
    assert len(_stored(org_a)) == 16315 + 6083 + 3697 + 639 + 2351
    # coverage derived for the patients the workers stored, as in one process
    assert (
        cm.Coverage.objects.filter(organization=org_a, derived=True).count()
        == (cm.Coverage.objects.filter(organization=org_b, derived=True).count())
        > 0
    )

    _r, again = FhirImport(org_a.pk, workers=2, parallel_min_bytes=0).run([folder])
    assert again.errors == []
    assert again.totals()["created"] == 0 and again.totals()["updated"] == 0


def test_the_same_resource_in_two_chunks_at_once_is_stored_once(org_a, tmp_path, monkeypatch):
    """Workers race on the natural key; the loser writes its chunk again and finds the row."""
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1950-01-02"}
    obs = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2020-01-01T10:00:00Z",
        "valueQuantity": {"value": 72, "unit": "/min"},
    }
    (tmp_path / "Patient.ndjson").write_bytes(orjson.dumps(patient) + b"\n")
    (tmp_path / "Observation.ndjson").write_bytes((orjson.dumps(obs) + b"\n") * 6)
    monkeypatch.setattr(importer, "NDJSON_CHUNK", 1)  # six chunks of one line, two at a time
    job = FhirImport(org_a.pk, workers=2, parallel_min_bytes=0)
    _run, report = job.run([str(tmp_path)])
    assert job.parallel_workers == (2 if POSTGRES else 0)
    assert report.errors == []
    assert report.by_type["Observation"]["created"] == 1
    assert report.by_type["Observation"]["unchanged"] == 5
    assert cm.Observation.objects.filter(organization=org_a).count() == 1
