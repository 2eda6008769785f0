"""Store a population run in the product: ``store_results`` on the population benchmark's results.

    python bench/store_bench.py [--patients 100000] [--seed 7] [--run DIR]

Reads the run that ``bench/population_bench.py --patients N --seed S`` left under
``var/bench/population-<N>-seed<S>/results`` (or ``--run``), makes a scratch SQLite database
(``var/bench/store/``) with one organization and one ``Patient`` per patient of the run (the
snapshot keeps the clinical primary keys, so a finding needs its patient row), then times
``population.services.store_results``: every patient's finding with its explanations, in one
transaction, a batch of patients at a time. Prints seconds, findings/s and peak memory; not a
test.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--run", type=Path, help="a run directory (default: the benchmark's)")
    args = parser.parse_args()
    run_dir = args.run or ROOT / f"var/bench/population-{args.patients}-seed{args.seed}/results"
    if not (run_dir / "manifest.json").exists():
        raise SystemExit(
            f"no run at {run_dir}: run bench/population_bench.py --patients {args.patients} first"
        )
    home = ROOT / "var/bench/store"
    shutil.rmtree(home, ignore_errors=True)
    os.environ["CARELOOP_HOME"] = str(home)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from careloop.accounts.models import Organization
    from careloop.clinical.models import Patient
    from careloop.population.models import PatientFinding
    from careloop.population.results import patient_ids
    from careloop.population.services import store_results

    call_command("migrate", verbosity=0)
    org = Organization.objects.create(slug="bench", name="Bench practice")
    patients = patient_ids(run_dir)
    t0 = time.perf_counter()
    Patient.objects.bulk_create(
        (
            Patient(pk=i, organization=org, source_system="bench", source_id=str(i))
            for i in patients
        ),
        batch_size=5000,
    )
    print(f"{len(patients):,} patient rows made in {time.perf_counter() - t0:.1f} s (not timed)")
    t0 = time.perf_counter()
    run = store_results(run_dir, organization=org)
    seconds = time.perf_counter() - t0
    stored = PatientFinding.objects.filter(run=run).count()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"store_results: {stored:,} findings in {seconds:.1f} s ({stored / seconds:,.0f}/s), "
        f"peak RSS {peak:,.0f} MB (SQLite)"
    )


if __name__ == "__main__":
    main()
