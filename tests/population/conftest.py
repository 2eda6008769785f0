"""Population fixtures: the cast's patients with coverage, and a stored run (stored_run.py)."""

from __future__ import annotations

from datetime import date

import pytest
from stored_run import write_run


@pytest.fixture
def cast(org_a, patient_a, patient_b):
    """Rosa Alvarez (the shared cast's patient A), Ada Quinn and Ben Ortiz in A; Tom in B."""
    from careloop.clinical.models import Coverage, Patient

    ada = Patient.objects.create(
        organization=org_a, source_system="test", source_id="pa-2", family_name="Quinn",
        given_name="Ada", birth_date=date(1950, 1, 5), gender="female",
    )  # fmt: skip
    ben = Patient.objects.create(
        organization=org_a, source_system="test", source_id="pa-3", family_name="Ortiz",
        given_name="Ben", birth_date=date(1952, 2, 6), gender="male",
    )  # fmt: skip
    for p, payer, kind in (
        (patient_a, "Medicare", "part-b"),
        (patient_a, "MassHealth", "medicaid"),
        (ada, "Medicare", "part-b"),
        (ben, "Blue Cross Blue Shield", "private"),
        (patient_b, "Medicare", "part-b"),
    ):
        Coverage.objects.create(
            organization=p.organization, patient=p, source_system="test",
            source_id=f"cov-{p.pk}-{kind}", kind=kind, payer=payer, start=date(2015, 1, 1),
        )  # fmt: skip
    return {"rosa": patient_a, "ada": ada, "ben": ben, "tom": patient_b}


@pytest.fixture
def stored_run(cast, tmp_path):
    from careloop.population.services import store_results

    c = cast
    run_dir = write_run(tmp_path / "run", c["rosa"].pk, c["ada"].pk, c["ben"].pk, c["tom"].pk)
    return store_results(run_dir)
