"""LACE index (§5.5) on the shared vectors: the Python formula and the `lace` mart's SQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from careloop.analytics.engine import DuckDBEngine
from careloop.analytics.lace import score_lace
from careloop.analytics.pipeline import load_marts
from careloop.analytics.reference import reference_tables

VECTORS_FILE = (
    Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "vectors" / "lace.json"
)


def _vectors() -> list[dict]:
    if not VECTORS_FILE.exists():
        pytest.fail(f"shared LACE vectors not found at {VECTORS_FILE}")
    return json.loads(VECTORS_FILE.read_text())["vectors"]


VECTORS = _vectors()


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_python_formula_passes_the_vector(vector):
    got = score_lace(**vector["input"])
    expect = vector["expect"]
    assert (got.L, got.A, got.C, got.E, got.charlson, got.total) == (
        expect["L"], expect["A"], expect["C"], expect["E"], expect["charlson"], expect["total"]
    )  # fmt: skip


def lace_inputs(vectors: list[dict]) -> dict[str, pa.Table]:
    """The lace mart's two input tables, one discharge per vector (stay_seq = vector number)."""
    stays = []
    conditions = []
    for i, v in enumerate(vectors, start=1):
        x = v["input"]
        stays.append(
            {
                "patient_id": 1,
                "stay_seq": i,
                "first_source_table": "vector",
                "first_source_id": i,
                "admit_date": date(2026, 1, 1),
                "discharge_date": date(2026, 1, 1),
                "los_days": x["los_days"],
                "emergent": x["emergent"],
                "ed_visits_6m": x["ed_visits_6m"],
            }
        )
        conditions.extend(
            {"patient_id": 1, "stay_seq": i, "charlson_condition": c}
            for c in x["charlson_conditions"]
        )
    return {
        "lace_input": pa.Table.from_pylist(stays),
        "lace_input_condition": pa.Table.from_pylist(
            conditions,
            schema=pa.schema(
                [
                    ("patient_id", pa.int64()),
                    ("stay_seq", pa.int64()),
                    ("charlson_condition", pa.string()),
                ]
            ),
        ),
        "charlson_def": reference_tables(date(2026, 1, 31))["charlson_def"],
    }


def run_lace_mart(engine) -> dict[int, dict]:
    for name, table in lace_inputs(VECTORS).items():
        engine.register_arrow(name, table)
    engine.create_table("lace", load_marts()["lace"].sql)
    return {r["stay_seq"]: r for r in engine.read_table("lace").to_pylist()}


def check_vectors(rows: dict[int, dict]) -> None:
    for i, v in enumerate(VECTORS, start=1):
        e, r = v["expect"], rows[i]
        got = (r["l_points"], r["a_points"], r["c_points"], r["e_points"], r["charlson"], r["lace"])
        assert got == (e["L"], e["A"], e["C"], e["E"], e["charlson"], e["total"]), v["id"]
        assert r["high_risk"] == (e["total"] >= 10), v["id"]


def test_lace_mart_sql_passes_every_vector_on_duckdb():
    check_vectors(run_lace_mart(DuckDBEngine()))
