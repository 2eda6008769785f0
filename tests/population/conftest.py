"""Population fixtures: the cast's patients with coverage, and a stored run on known values
(tests/support/population_marts.py)."""

from __future__ import annotations

import pytest

from support.population_marts import make_cast, write_run


@pytest.fixture
def cast(org_a, patient_a, patient_b):
    return make_cast(org_a, patient_a, patient_b)


@pytest.fixture
def stored_run(cast, tmp_path):
    from careloop.population.services import store_results

    c = cast
    run_dir = write_run(tmp_path / "run", c["rosa"].pk, c["ada"].pk, c["ben"].pk, c["tom"].pk)
    return store_results(run_dir)
