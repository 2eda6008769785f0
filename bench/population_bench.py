"""The whole population pipeline at scale: 1M generated patients, snapshot to results on DuckDB.

    python bench/population_bench.py [--patients 1000000] [--seed 7] [--part 50000]
        [--workers 2] [--threads 0] [--memory-limit 2.5GB] [--partition N] [--sample 20000]
        [--build-only]

Build (once, cached): the demo generator makes each slice of the population in memory
(``synth.writer.generate_chunk``: patient i depends only on (seed, i), so any slice of the 1M
population is the same as in a whole run), the slices go through the one FHIR mapping and
become snapshot tables (``analytics.snapshot_ndjson``, decision 0013) in worker processes, no
NDJSON on disk. Parts of ``--part`` patients (a multiple of the generator's 5,000-patient
regions, so a part is self-contained) are kept under
``var/bench/population-<N>-seed<S>/parts/``; a part with its ``part.json`` is done, so the same
command (same ``--part``) run again resumes an interrupted build at the first unfinished part.
The parts are then joined into ``snapshot/``; later runs skip the build.

Run: ``run_marts`` on the snapshot in a fresh process (so its peak memory is its own), every
mart that exists, in slices of ``--partition`` patients (decision 0015), with per-mart times; then CMS-HCC throughput: careloop's scorer on N seeded
members and hccinfhir on a 20,000-member sample (``hcc_bench``), and their ratio. Issue 4
targets on 2 cores: pipeline <= 20 s for 1M, HCC >= 40x hccinfhir, peak memory <= 4 GB.
Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import sys
import time
from datetime import date
from pathlib import Path
from queue import Empty
from typing import Any

from careloop.analytics.snapshot_ndjson import (
    Converted,
    SnapshotBuilder,
    concatenate_parts,
    convert_generated_slice,
)
from careloop.core.collector import CollectorPause, pause_for_this_process
from careloop.interop.synth.directory import REGION_SIZE
from careloop.interop.synth.writer import CHUNK_SIZE

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 30)  # fixed, so the cache is a function of (N, seed)


def _slice(args: tuple[int, int, int]) -> tuple[int, list[Converted]]:
    seed, start, stop = args
    converted = convert_generated_slice(seed, AS_OF, start, stop)
    pause_for_this_process().tick()
    return stop - start, converted


def _mb(kb: float) -> float:
    return kb / 1024


def build(patients: int, seed: int, part: int, workers: int, cache: Path) -> Path:
    """The cached snapshot of the population, built part by part (resumable)."""
    snapshot_dir = cache / "snapshot"
    if (cache / "snapshot.json").exists():
        print(f"snapshot cached: {snapshot_dir}")
        return snapshot_dir
    if part % REGION_SIZE:
        raise SystemExit(f"--part must be a multiple of {REGION_SIZE} (the generator's regions)")
    parts_dir = cache / "parts"
    parts_dir.mkdir(parents=True, exist_ok=True)
    next_id: dict[str, int] = {}
    part_dirs = []
    began = time.perf_counter()
    for number, start in enumerate(range(0, patients, part)):
        stop = min(start + part, patients)
        directory = parts_dir / f"part-{number:05d}"
        part_dirs.append(directory)
        done = directory / "part.json"
        if done.exists():
            rows = json.loads(done.read_text())["rows"]
            next_id = {t: next_id.get(t, 1) + rows.get(t, 0) for t in rows}
            print(f"part {number}: patients {start:,}-{stop:,} cached")
            continue
        shutil.rmtree(directory, ignore_errors=True)
        t0 = time.perf_counter()
        builder = SnapshotBuilder(directory, id_start=next_id)
        tasks = [(seed, s, min(s + CHUNK_SIZE, stop)) for s in range(start, stop, CHUNK_SIZE)]
        done_patients = 0
        with (
            CollectorPause() as pause,
            multiprocessing.get_context("fork").Pool(
                workers, initializer=pause_for_this_process
            ) as pool,
        ):
            for n, converted in pool.imap(_slice, tasks, chunksize=1):
                for chunk in converted:
                    builder.add(chunk)
                builder.forget()  # a slice is self-contained
                pause.tick()
                done_patients += n
                if done_patients % 10_000 < CHUNK_SIZE:
                    rate = done_patients / (time.perf_counter() - t0)
                    print(
                        f"  part {number}: {start + done_patients:,} / {patients:,} patients, "
                        f"{rate:,.0f} patients/s, {builder.lines:,} resources",
                        flush=True,
                    )
        result = builder.close()
        if builder.error_count:
            raise SystemExit(f"part {number}: {builder.error_count} problems: {builder.errors[:5]}")
        seconds = time.perf_counter() - t0
        done.write_text(
            json.dumps({"rows": result.rows, "resources": builder.lines, "seconds": seconds})
        )
        next_id = {t: next_id.get(t, 1) + result.rows.get(t, 0) for t in result.rows}
        print(
            f"part {number}: patients {start:,}-{stop:,} in {seconds:.0f} s "
            f"({(stop - start) / seconds:,.0f} patients/s, {builder.lines / seconds:,.0f} "
            f"resources/s); elapsed {time.perf_counter() - began:.0f} s",
            flush=True,
        )
    t0 = time.perf_counter()
    joined = concatenate_parts(part_dirs, snapshot_dir)
    (cache / "snapshot.json").write_text(
        json.dumps({"rows": joined.rows, "input_hash": joined.input_hash}, indent=2)
    )
    print(f"joined {len(part_dirs)} parts into {snapshot_dir} in {time.perf_counter() - t0:.0f} s")
    shutil.rmtree(parts_dir)
    return snapshot_dir


def _pipeline(
    snapshot_dir: str, out: str, threads: int, memory: str, partition: int | None, queue: Any
) -> None:
    """Child process: run every mart on the snapshot; report the manifest and own peak RSS."""
    from careloop.analytics.engine import DEFAULT_PARTITION_PATIENTS, DuckDBEngine
    from careloop.analytics.pipeline import run_marts

    engine = DuckDBEngine(
        threads=threads or None,
        memory_limit=memory or None,
        partition_patients=DEFAULT_PARTITION_PATIENTS if partition is None else partition or None,
    )
    t0 = time.perf_counter()
    manifest = run_marts(
        engine,
        Path(snapshot_dir),
        AS_OF,
        out=Path(out),
        progress=lambda name, i, n: print(f"  [{i + 1}/{n}] {name}", file=sys.stderr, flush=True),
    )
    seconds = time.perf_counter() - t0
    engine.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    marts = [(m.name, m.rows, m.seconds) for m in manifest.marts]
    steps: dict[str, list] = {}  # a step's outputs share its timing: count it once
    for t in getattr(manifest, "steps", []):
        steps.setdefault(t.sql_sha256, []).append(t)
    for outputs in steps.values():
        names = ", ".join(t.name for t in outputs)
        marts.append((f"step ({names})", outputs[0].rows, outputs[0].seconds))
    queue.put((seconds, marts, usage.ru_maxrss, usage.ru_utime + usage.ru_stime))


def run_pipeline(
    snapshot_dir: Path, out: Path, threads: int, memory: str = "", partition: int | None = None
) -> tuple[float, list, float, float]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(
        target=_pipeline, args=(str(snapshot_dir), str(out), threads, memory, partition, queue)
    )
    child.start()
    while True:  # a child that dies (DuckDB out of memory, say) puts nothing: say so, not hang
        try:
            seconds, marts, peak, cpu = queue.get(timeout=5)
            break
        except Empty:
            if not child.is_alive():
                raise SystemExit(
                    f"pipeline process ended with exit code {child.exitcode} and no result "
                    "(its traceback is above; the mart it was running is its last progress line)"
                ) from None
    child.join()
    return seconds, marts, _mb(peak), cpu


def _tables_year() -> int:
    from careloop.analytics.risk_reference import hcc_years

    return hcc_years(AS_OF)[2]


def _pipeline_members(results: Path) -> tuple[Any, Any]:
    """The pipeline's own members (hcc_member, with hcc_score's segment) and accepted diagnoses
    (hcc_diagnosis): what the hcc step scores, in the scorer's extract columns."""
    import duckdb

    con = duckdb.connect()
    members = con.sql(
        f"""SELECT CAST(m.patient_id AS VARCHAR) AS patient_id, m.age, m.sex, m.dual_status, m.orec, m.crec, m.new_enrollee,
                   m.snp, m.lti, s.segment
            FROM read_parquet('{results / "hcc_member.parquet"}') AS m
            JOIN read_parquet('{results / "hcc_score.parquet"}') AS s USING (patient_id)
            ORDER BY m.patient_id"""
    ).to_arrow_table()
    diagnoses = con.sql(
        f"""SELECT DISTINCT CAST(patient_id AS VARCHAR) AS patient_id, icd10
            FROM read_parquet('{results / "hcc_diagnosis.parquet"}') WHERE acceptable
            ORDER BY patient_id, icd10"""
    ).to_arrow_table()
    return members, diagnoses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--part", type=int, default=50_000, help="patients per cached part")
    parser.add_argument("--workers", type=int, default=2, help="build processes")
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: all cores)")
    parser.add_argument(
        "--memory-limit",
        default="",
        help="DuckDB memory_limit, e.g. 2.5GB (it spills to disk beyond); default DuckDB's own",
    )
    parser.add_argument(
        "--partition",
        type=int,
        default=None,
        help="patients per slice of the pipeline (0: the whole snapshot at once; default the "
        "engine's, decision 0015)",
    )
    parser.add_argument("--sample", type=int, default=20_000, help="hccinfhir sample")
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args(argv)

    print(f"cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.1f}")
    cache = args.cache / f"population-{args.patients}-seed{args.seed}"
    snapshot_dir = build(args.patients, args.seed, args.part, args.workers, cache)
    rows = json.loads((cache / "snapshot.json").read_text())["rows"]
    print("snapshot rows: " + ", ".join(f"{t} {n:,}" for t, n in sorted(rows.items())))
    if args.build_only:
        return 0

    patients = rows["patient"]
    seconds, marts, peak_mb, cpu = run_pipeline(
        snapshot_dir, cache / "results", args.threads, args.memory_limit, args.partition
    )
    print(
        f"pipeline (run_marts, snapshot -> results, {len(marts)} marts and steps): {patients:,} patients "
        f"in {seconds:.2f} s wall ({cpu:.1f} s CPU) -> {patients / seconds:,.0f} patients/s "
        f"(target: 1M in <= 20 s); peak RSS {peak_mb:,.0f} MB (target <= 4,096 MB)"
    )
    for name, n, s in sorted(marts, key=lambda m: -m[2])[:5]:
        print(f"  {name:<28} {s:7.2f} s  {n:>12,} rows")

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import hcc_bench

    hcc = [m for m in marts if m[0].startswith(("hcc_", "step (hcc_"))]
    if any(m[0] == "hcc_score" for m in hcc):
        # the HCC part of the pipeline: diagnoses and members from the snapshot, the scoring
        # step, scores and drivers (more than hccinfhir does: it is handed codes and demographics)
        hcc_seconds = sum(m[2] for m in hcc)
        print(
            f"careloop HCC nodes of the pipeline ({', '.join(m[0] for m in hcc)}): {patients:,} "
            f"patients in {hcc_seconds:.2f} s -> {patients / hcc_seconds:,.0f} members/s"
        )
        members, diagnoses = _pipeline_members(cache / "results")
        print("careloop's scorer on the same members and accepted diagnoses as hccinfhir:")
    else:
        print("no hcc_score mart: careloop's scorer on the seeded HCC members instead")
        members, diagnoses = hcc_bench.generated_members(patients)
    ours, result = hcc_bench.careloop_rate(members, diagnoses, threads=args.threads)
    ref = hcc_bench.hccinfhir_rate(
        members, diagnoses, result, sample=args.sample, payment_year=_tables_year()
    )
    if hcc and any(m[0] == "hcc_score" for m in hcc):
        print(f"HCC nodes of the pipeline / hccinfhir: {patients / hcc_seconds / ref:.1f}x")
    print(
        f"HCC: careloop {ours:,.0f} members/s, hccinfhir {ref:,.0f} members/s -> "
        f"{ours / ref:.1f}x (target >= 40x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
