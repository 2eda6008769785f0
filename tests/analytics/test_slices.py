"""The pipeline in slices of patients (decision 0015): the same rows as one run on everything."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from careloop.analytics.engine import DuckDBEngine
from careloop.analytics.pipeline import (
    STEPS,
    load_marts,
    mart_order,
    node_scopes,
    patient_slices,
    run_marts,
)
from careloop.analytics.snapshot import SNAPSHOT_TABLES

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "demo_snapshot"
AS_OF = date(2026, 11, 30)


def _differences(a: Path, b: Path) -> tuple[int, int]:
    con = duckdb.connect()
    try:
        left, right = f"read_parquet('{a}')", f"read_parquet('{b}')"
        only_a = con.sql(f"SELECT count(*) FROM (FROM {left} EXCEPT ALL FROM {right})")
        only_b = con.sql(f"SELECT count(*) FROM (FROM {right} EXCEPT ALL FROM {left})")
        return only_a.fetchall()[0][0], only_b.fetchall()[0][0]
    finally:
        con.close()


def test_a_run_in_slices_of_five_patients_equals_one_run_on_all_24(tmp_path):
    whole, sliced = tmp_path / "whole", tmp_path / "sliced"
    one = DuckDBEngine(threads=1, partition_patients=None)
    manifest = run_marts(one, FIXTURE, AS_OF, out=whole)
    one.close()
    five = DuckDBEngine(threads=1, partition_patients=5)
    five.register_parquet("patient", FIXTURE / "patient.parquet")
    assert len(patient_slices(five, {"patient": FIXTURE / "patient.parquet"})) == 5  # 5,5,5,5,4
    seen: list[str] = []
    run_marts(five, FIXTURE, AS_OF, out=sliced, progress=lambda name, i, n: seen.append(name))
    five.close()
    assert "chronic_conditions (patients 5/5)" in seen and "super_utilizer" in seen
    outputs = [t.name for t in manifest.marts + manifest.steps]
    assert len(outputs) == len(load_marts()) + 2
    differ = {n: _differences(whole / f"{n}.parquet", sliced / f"{n}.parquet") for n in outputs}
    assert {n: d for n, d in differ.items() if d != (0, 0)} == {}
    assert sum(t.rows for t in manifest.marts) > 500  # the fixture's rows, not empty marts


def test_slices_kept_in_memory_without_an_output_folder_give_the_same_rows(tmp_path):
    one = DuckDBEngine(threads=1, partition_patients=None)
    run_marts(one, FIXTURE, AS_OF, out=tmp_path)
    five = DuckDBEngine(threads=1, partition_patients=5)
    run_marts(five, FIXTURE, AS_OF)  # slices renamed and joined in one view per mart
    for name in ("chronic_conditions", "hcc_term", "risk_tier"):
        five.write_parquet(name, tmp_path / f"{name}-sliced.parquet")
        pair = (tmp_path / f"{name}.parquet", tmp_path / f"{name}-sliced.parquet")
        assert _differences(*pair) == (0, 0), name
    one.close()
    five.close()


def test_slices_hold_every_row_once_orphans_and_rows_without_a_patient_included(tmp_path):
    patient = tmp_path / "patient.parquet"
    claim = tmp_path / "claim.parquet"
    pq.write_table(pa.table({"patient_id": [1, 2, 3, 10, 11, 12, 20]}), patient)
    ids = [None, 0, 1, 2, 3, 5, 10, 11, 12, 15, 20, 99]
    pq.write_table(pa.table({"claim_id": list(range(len(ids))), "patient_id": ids}), claim)
    engine = DuckDBEngine(threads=1, partition_patients=2)
    engine.register_parquet("patient", patient)
    slices = patient_slices(engine, {"patient": patient, "claim": claim})
    assert len(slices) == 4  # patients 1-2, 3-10, 11-12, 20
    held: list[int] = []
    for where in slices:
        engine.register_parquet("claim", claim, where)
        held += [r["claim_id"] for r in engine.run_sql("SELECT claim_id FROM claim").to_pylist()]
    assert sorted(held) == list(range(len(ids)))
    engine.close()


def test_one_slice_when_the_population_fits_or_the_engine_does_not_slice():
    engine = DuckDBEngine(threads=1, partition_patients=None)
    assert patient_slices(engine, {"patient": FIXTURE / "patient.parquet"}) == [None]
    engine.close()
    engine = DuckDBEngine(threads=1, partition_patients=24)
    engine.register_parquet("patient", FIXTURE / "patient.parquet")
    assert patient_slices(engine, {"patient": FIXTURE / "patient.parquet"}) == [None]
    engine.close()


def test_scopes_code_maps_first_the_organization_ranking_and_its_readers_last():
    marts = load_marts()
    nodes = {**marts, **{o: s for s in STEPS for o in s.outputs}}
    scopes = node_scopes(nodes, mart_order(nodes), {t.name for t in SNAPSHOT_TABLES})
    assert {n for n, s in scopes.items() if s == "codes"} == {
        "icd10_code",  # declared: distinct codes of the whole snapshot
        "cc_code_map",  # reads only icd10_code and reference tables
        "care_gap_icd10_map",
    }
    # SU-005 ranks an organization's patients by cost; risk_tier reads super_utilizer
    assert {n for n, s in scopes.items() if s == "population"} == {"super_utilizer", "risk_tier"}
    assert scopes["chronic_conditions"] == scopes["hcc_result"] == "patient"


def test_a_codes_mart_that_reads_patient_rows_is_an_error(tmp_path):
    (tmp_path / "codes.sql").write_text(
        "-- scope: codes\nSELECT DISTINCT code FROM claim_diagnosis"
    )
    (tmp_path / "bad.sql").write_text("-- scope: codes\nSELECT * FROM per_patient")
    (tmp_path / "per_patient.sql").write_text("SELECT patient_id FROM claim")
    marts = load_marts(tmp_path)
    with pytest.raises(ValueError, match="mart bad has scope codes but reads patient rows"):
        node_scopes(marts, mart_order(marts), {"claim", "claim_diagnosis"})  # type: ignore[arg-type]
