"""Every shared vector of ../shared/spec/vectors/billing is its own test case (§9)."""

from __future__ import annotations

import pytest
from billing_vectors import SHARED, load, mismatches

VECTORS = load(SHARED)

# Vectors the project believes are wrong are named here with the reason (never edited).
WRONG: dict[str, str] = {}


def test_the_shared_vectors_are_there() -> None:
    assert len(VECTORS) >= 80, f"expected the shared billing vectors in {SHARED}"


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_shared_vector(vector: dict) -> None:
    if vector["id"] in WRONG:
        pytest.xfail(WRONG[vector["id"]])
    problems = mismatches(vector)
    assert not problems, "\n".join(problems)
