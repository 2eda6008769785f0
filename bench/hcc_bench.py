"""CMS-HCC V28 scoring throughput: careloop (DuckDB, vectorized) against hccinfhir (per member).

    python bench/hcc_bench.py [--members 1000000] [--sample 20000] [--threads N]

Generates the population once per run (``careloop.analytics.hcc.generate``, seeded), scores
all members with ``score_members`` and a deterministic sample with hccinfhir's
``calculate_raf`` in the same process, checks that the sample agrees, and prints members/s,
CPU and wall time, the throughput ratio (issue 4 target: >= 40x on 2 cores) and peak memory.
Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from typing import Any

import duckdb

from careloop.analytics.hcc import load_tables, score_members
from careloop.analytics.hcc.generate import as_rows, generate_population
from careloop.analytics.hcc.reference import defect_h1_codes, reference_scores


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def careloop_rate(
    members: Any, diagnoses: Any, *, threads: int = 0, repeat: int = 3
) -> tuple[float, Any]:
    """Best-of-``repeat`` members/s of ``score_members`` (DuckDB), and its result."""
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {threads}")
    con.register("members", members)
    con.register("diagnoses", diagnoses)
    best_wall = float("inf")
    best_cpu = 0.0
    result = None
    for run in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        result = score_members("members", "diagnoses", connection=con)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        print(f"careloop run {run + 1}: wall {wall:.2f} s, CPU {cpu:.2f} s")
        if wall < best_wall:
            best_wall, best_cpu = wall, cpu
    assert result is not None and result.num_rows == members.num_rows
    rate = members.num_rows / best_wall
    print(
        f"careloop: {members.num_rows:,} members in {best_wall:.2f} s wall, {best_cpu:.2f} s CPU "
        f"-> {rate:,.0f} members/s"
    )
    return rate, result


def hccinfhir_rate(
    members: Any, diagnoses: Any, result: Any, *, sample: int, payment_year: int = 2026
) -> float:
    """Members/s of hccinfhir on a deterministic sample; prints the sample's agreement."""
    step = max(1, members.num_rows // sample)
    sample_ids = set(members.column("patient_id").to_pylist()[::step][:sample])
    rows = [r for r in as_rows(members, diagnoses) if r["patient_id"] in sample_ids]
    w0, c0 = time.perf_counter(), time.process_time()
    ref = reference_scores(rows, payment_year=payment_year)
    ref_wall, ref_cpu = time.perf_counter() - w0, time.process_time() - c0
    ref_rate = len(rows) / ref_wall
    print(
        f"hccinfhir: {len(rows):,} members in {ref_wall:.2f} s wall, {ref_cpu:.2f} s CPU "
        f"-> {ref_rate:,.0f} members/s"
    )
    ours = dict(
        zip(
            result.column("patient_id").to_pylist(),
            result.column("raw_score").to_pylist(),
            strict=True,
        )
    )
    differing = [r for r in rows if abs(ours[r["patient_id"]] - ref[r["patient_id"]][0]) > 0.001]
    explained = [r for r in differing if defect_h1_codes(r, payment_year=payment_year)]
    agree = len(rows) - len(differing)
    print(
        f"sample agreement (raw V28 within 0.001): {agree:,} / {len(rows):,} "
        f"({100 * agree / len(rows):.3f} %); differing: {len(differing)}, of which explained by "
        f"hccinfhir defect H1: {len(explained)}"
    )
    for r in differing:
        print(
            f"  {r['patient_id']} age {r['age']}: ours {ours[r['patient_id']]:.3f}, "
            f"hccinfhir {ref[r['patient_id']][0]:.3f}, H1 codes {defect_h1_codes(r, payment_year=payment_year)}"
        )
    return ref_rate


def generated_members(n: int) -> tuple[Any, Any]:
    """The seeded HCC population (``careloop.analytics.hcc.generate``) with its tables loaded."""
    t0 = time.perf_counter()
    load_tables("V28", 2026)
    print(f"tables (hccinfhir CSVs -> Arrow): {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    members, diagnoses = generate_population(n)
    print(
        f"generated {members.num_rows:,} members, {diagnoses.num_rows:,} diagnoses "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    return members, diagnoses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: all cores)")
    parser.add_argument("--repeat", type=int, default=3, help="careloop runs (best is reported)")
    args = parser.parse_args(argv)

    print(f"cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.1f}")
    members, diagnoses = generated_members(args.members)
    ours_rate, result = careloop_rate(members, diagnoses, threads=args.threads, repeat=args.repeat)
    ref_rate = hccinfhir_rate(members, diagnoses, result, sample=args.sample)
    print(f"throughput ratio careloop / hccinfhir: {ours_rate / ref_rate:.1f}x (target >= 40x)")
    print(f"peak memory (max RSS): {_peak_mb():,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
