"""Billing engine throughput: patient-months per second on one core.

    python bench/billing_engine_bench.py [--patients 100000] [--runs 5] [--seed 11]

Generates varied patient-months (programs, roles, minutes, consents, inpatient stays,
deaths, discharges, RPM, FQHC/RHC months, same-practitioner codes, CONFIG overrides,
2025 and 2026), then times `careloop.billing.engine.evaluate` over all of them several
times and prints min / median / max. Prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import time
from datetime import timedelta

from careloop.billing.engine import (
    CarePlan,
    Discharge,
    Month,
    OtherCode,
    Patient,
    PatientMonth,
    RpmMonth,
    TimeEntry,
    evaluate,
)
from careloop.billing.rules import rules_for_year

CHRONIC = ["E11.9", "E11.65", "I10", "I50.9", "N18.4", "J44.9", "F32.9", "G30.9", "M81.0", "E78.5"]
CODES = [*CHRONIC, "Z00.00", "J06.9", "S72.001A"]
PROGRAMS = ["CCM", "CCM", "CCM", "PCM", "BHI", "RPM", "APCM"]
OTHER = ["G0181", "90960", "99091", "99492", "99213", "99424"]
CONFIGS = [{}, {}, {}, {}, {"complex_ccm_choice": "by_payment"}, {"require_visit_every_months": 12}]


def patient_month(rng: random.Random) -> PatientMonth:
    year = rng.choice((2025, 2026))
    month = Month.of(year, rng.randint(1, 12))
    first = month.first_day
    days = (month.last_day - first).days
    programs = rng.sample(PROGRAMS, rng.randint(1, 3))
    consents = {
        p: first - timedelta(days=rng.randint(-10, 400)) for p in programs if rng.random() < 0.95
    }
    entries = []
    for _ in range(rng.randint(0, 12)):
        entries.append(
            TimeEntry(
                "billing_practitioner" if rng.random() < 0.2 else "clinical_staff",
                rng.choice(programs) if rng.random() < 0.95 else "CCM",
                rng.randint(1, 25),
                first + timedelta(days=rng.randint(-3, days + 2)),
                rng.random() < 0.05,
            )
        )
    discharge = None
    if rng.random() < 0.1:
        left = first + timedelta(days=rng.randint(0, days))
        discharge = Discharge(
            left,
            left + timedelta(days=rng.randint(0, 4)) if rng.random() < 0.9 else None,
            left + timedelta(days=rng.randint(1, 16)),
            left + timedelta(days=rng.randint(0, 8)),
        )
    rpm = (
        RpmMonth(rng.randint(0, 30), rng.random() < 0.8, rng.random() < 0.1)
        if "RPM" in programs
        else None
    )
    # Mostly enrolled, eligible patients (as in a real monthly close), with a share of every
    # failure: old or missing visits, unsigned plans, one chronic condition, no consent.
    roll = rng.random()
    seen = (
        first - timedelta(days=rng.randint(0, 330 if roll < 0.85 else 1000))
        if roll < 0.97
        else None
    )
    codes = (
        rng.sample(CHRONIC, rng.randint(2, 4))
        if rng.random() < 0.85
        else rng.sample(CODES, rng.randint(0, 2))
    )
    died = first + timedelta(days=rng.randint(-20, 40)) if rng.random() < 0.02 else None
    return PatientMonth(
        month=month,
        patient=Patient(tuple(codes), seen, rng.random() < 0.15, died),
        setting=rng.choice(("office",) * 8 + ("fqhc", "rhc")),
        consents=consents,
        care_plan=CarePlan(rng.random() < 0.95, rng.random() < 0.2),
        mdm=rng.choice(("low", "moderate", "high", "straightforward")),
        time=tuple(entries),
        other_codes=tuple(
            OtherCode(rng.choice(OTHER), rng.random() < 0.5) for _ in range(rng.random() < 0.1)
        ),
        discharge=discharge,
        rpm=rpm,
        config=rng.choice(CONFIGS),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    months = [patient_month(rng) for _ in range(args.patients)]
    rules = {year: rules_for_year(year) for year in (2025, 2026)}
    entries = sum(len(pm.time) for pm in months)
    for pm in months[:2000]:  # warm the caches (holidays, chronic conditions, settings)
        evaluate(pm, rules[pm.month.year])
    # CPU time is what one core does; on a shared machine the load average says how much
    # the other processes contend for the core (and its cache) meanwhile.
    load_before = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    rates = []  # by wall-clock time
    cpu_rates = []  # by the process's CPU time (what one core does, on a shared machine)
    lines = 0
    for _ in range(args.runs):
        gc.collect()
        start, cpu_start = time.perf_counter(), time.process_time()
        lines = 0
        for pm in months:
            lines += len(evaluate(pm, rules[pm.month.year]).lines)
        cpu = time.process_time() - cpu_start
        rates.append(len(months) / (time.perf_counter() - start))
        cpu_rates.append(len(months) / cpu)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"billing engine, {platform.python_implementation()} {platform.python_version()}, one core"
        f" (load average {load_before} before, {load} after; {os.cpu_count()} CPUs)"
    )
    print(
        f"{len(months):,} patient-months, {entries:,} time entries, {lines:,} claim lines per run"
    )
    for label, values in (("wall-clock", rates), ("CPU time", cpu_rates)):
        print(
            f"patient-months/s by {label} over {args.runs} runs: min {min(values):,.0f}  "
            f"median {statistics.median(values):,.0f}  max {max(values):,.0f}"
        )


if __name__ == "__main__":
    main()
