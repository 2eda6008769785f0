"""HOSPITAL score (§5.6) on the shared vectors (shared/spec/vectors/hospital.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from careloop.analytics.hospital import score_hospital

VECTORS_FILE = (
    Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "vectors" / "hospital.json"
)


def _vectors() -> list[dict]:
    if not VECTORS_FILE.exists():
        pytest.fail(f"shared HOSPITAL vectors not found at {VECTORS_FILE}")
    return json.loads(VECTORS_FILE.read_text())["vectors"]


VECTORS = _vectors()


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_formula_passes_the_vector(vector):
    score = score_hospital(**vector["input"])
    expect = vector["expect"]
    if expect.get("computable") is False:
        assert score is None  # "not computable", never 0
        return
    assert score is not None
    assert score.points() == expect["points"]
    assert score.total == expect["total"]
    assert score.risk == expect["risk"]


def test_every_vector_is_run():
    assert len(VECTORS) >= 7
