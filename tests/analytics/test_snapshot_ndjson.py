"""The snapshot from Bulk NDJSON equals the database snapshot of the same export after import.

Decision 0013: one FHIR mapping, two ways to the snapshot. A generated population (the demo
generator's NDJSON) is imported and snapshotted from the database, and snapshotted straight
from the NDJSON; every table has the same rows, up to the numbering of ids (both number rows
in load order, so ids are compared by their rank within their table).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.db import connection

from careloop.analytics.snapshot import SNAPSHOT_TABLES, snapshot
from careloop.analytics.snapshot_ndjson import concatenate_parts, snapshot_ndjson
from careloop.interop.synth.writer import generate

AS_OF = date(2026, 11, 30)

# id column -> the table whose ids it holds
ID_TABLES = {
    "general_practitioner_id": "practitioner",
    **{f"{s.name}_id": s.name for s in SNAPSHOT_TABLES},
}


def _tables(directory: Path) -> dict[str, list[dict]]:
    return {p.stem: pq.read_table(p).to_pylist() for p in sorted(directory.glob("*.parquet"))}


def _renumbered(tables: dict[str, list[dict]]) -> dict[str, list[tuple]]:
    """Each table's rows with every id replaced by its rank among that table's ids, sorted."""
    ranks = {}
    for spec in SNAPSHOT_TABLES:
        ids = sorted(r[f"{spec.name}_id"] for r in tables[spec.name])
        ranks[spec.name] = {v: i for i, v in enumerate(ids)}
    out = {}
    for name, rows in tables.items():
        renumbered = []
        for r in rows:
            values = []
            for key, value in r.items():
                target = ID_TABLES.get(key)
                if key == "organization_id":
                    value = None  # the organization is the caller's, on both paths
                elif target is not None and value is not None:
                    value = ranks[target][value]
                values.append((key, value))
            renumbered.append(tuple(values))
        out[name] = sorted(renumbered, key=repr)
    return out


@pytest.fixture
def population(tmp_path) -> Path:
    folder = tmp_path / "ndjson"
    generate(folder, patients=60, seed=23, as_of=AS_OF, workers=1)
    return folder


@pytest.mark.django_db(transaction=True)
def test_ndjson_snapshot_equals_database_snapshot_after_import(org_a, population, tmp_path):
    from careloop.interop.fhir.importer import FhirImport

    _run, report = FhirImport(org_a.pk).run([str(population)])
    assert report.ok
    connection.ensure_connection()
    db = snapshot(connection.connection, tmp_path / "db", organization_id=org_a.pk)
    ndjson, problems, count = snapshot_ndjson(
        [population], tmp_path / "nd", organization_id=org_a.pk
    )
    assert (problems, count) == ([], 0)
    assert ndjson.rows == db.rows
    assert db.rows["patient"] == 60 and db.rows["claim_diagnosis"] > 0
    ours, theirs = _renumbered(_tables(tmp_path / "nd")), _renumbered(_tables(tmp_path / "db"))
    assert sorted(ours) == sorted(theirs)
    for name in theirs:
        assert ours[name] == theirs[name], name
    assert {r["organization_id"] for r in _tables(tmp_path / "nd")["patient"]} == {org_a.pk}


def test_worker_processes_give_the_same_snapshot(population, tmp_path):
    one, _p, _n = snapshot_ndjson([population], tmp_path / "one")
    two, _p, _n = snapshot_ndjson([population], tmp_path / "two", workers=2)
    assert one.input_hash == two.input_hash


def test_parts_numbered_to_follow_each_other_concatenate_to_one_snapshot(population, tmp_path):
    from careloop.analytics.snapshot_ndjson import SnapshotBuilder, convert_lines
    from careloop.interop.fhir.readers import collect_files

    whole, _p, _n = snapshot_ndjson([population], tmp_path / "whole")
    files, _problems = collect_files([str(population)])  # the load order
    builder = SnapshotBuilder(tmp_path / "part-a")
    for path in files:
        lines = list(enumerate(path.read_bytes().splitlines(keepends=True), start=1))
        builder.add(convert_lines(str(path), lines))
    part_a = builder.close()
    start = {name: rows + 1 for name, rows in part_a.rows.items()}
    empty = SnapshotBuilder(tmp_path / "part-b", id_start=start).close()
    joined = concatenate_parts([part_a.directory, empty.directory], tmp_path / "joined")
    assert joined.rows == whole.rows
    assert _tables(tmp_path / "joined") == _tables(tmp_path / "whole")


def test_bad_lines_are_reported_and_the_rest_kept(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "Patient.ndjson").write_text(
        '{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-01-02"}\n'
        '{"resourceType":"Patient","id":"p2",\n'
    )
    (folder / "Condition.ndjson").write_text(
        '{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/nobody"},'
        '"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"I10"}]}}\n'
    )
    result, problems, count = snapshot_ndjson([folder], tmp_path / "out")
    assert result.rows["patient"] == 1 and result.rows["condition"] == 0
    assert count == 2
    assert problems[0][0]["line"] == 2 and "malformed" in problems[0][1]
    assert "Patient/nobody" in problems[1][1]


def test_generated_slices_give_the_snapshot_of_the_generated_files(population, tmp_path):
    """The benchmark's path: slices of the population converted without writing NDJSON."""
    from careloop.analytics.snapshot_ndjson import SnapshotBuilder, convert_generated_slice

    files, _p, _n = snapshot_ndjson([population], tmp_path / "files")
    builder = SnapshotBuilder(tmp_path / "slices")
    for start, stop in ((0, 25), (25, 60)):
        for chunk in convert_generated_slice(23, AS_OF, start, stop):
            builder.add(chunk)
        builder.forget()
    slices = builder.close()
    assert slices.rows == files.rows
    assert _tables(tmp_path / "slices") == _tables(tmp_path / "files")


@pytest.mark.django_db(transaction=True)
def test_synthea_bulk_export_snapshots_as_it_imports_derived_coverage_included(
    org_a, shared_data, tmp_path
):
    """The shared Synthea Bulk export carries no Coverage resources: both paths derive one
    Coverage per patient and payer kind from the claims, by the one rule (coverage_spans)."""
    from careloop.interop.fhir.importer import FhirImport

    bulk = shared_data / "bulk-fhir"
    _run, report = FhirImport(org_a.pk).run([str(bulk)])
    connection.ensure_connection()
    db = snapshot(connection.connection, tmp_path / "db", organization_id=org_a.pk)
    ndjson, _problems, _count = snapshot_ndjson([bulk], tmp_path / "nd", organization_id=org_a.pk)
    assert ndjson.rows == db.rows
    coverage = _tables(tmp_path / "nd")["coverage"]
    assert len(coverage) >= db.rows["patient"] > 0  # every patient of the export has claims
    assert {r["kind"] for r in coverage} >= {"part-b", "private"}
    ours, theirs = _renumbered(_tables(tmp_path / "nd")), _renumbered(_tables(tmp_path / "db"))
    for name in theirs:
        assert ours[name] == theirs[name], name
