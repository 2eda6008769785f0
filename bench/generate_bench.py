"""Benchmark of the demo population generator (issue 8, point 5).

    python bench/generate_bench.py [--patients 20000] [--workers N] [--gzip] [--out DIR]

Prints patients/s and resources/s for N patients and the time this rate gives for
1,000,000 patients (the target: under 30 minutes on 2 cores). Not a timed test.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time

from careloop.interop.synth.clock import DEFAULT_AS_OF
from careloop.interop.synth.writer import generate

TARGET_SECONDS = 30 * 60


def _cpu_seconds() -> float:
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument(
        "--out", default=None, help="output directory (default: a temporary one, removed after)"
    )
    args = parser.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="careloop-generate-bench-")
    try:
        began = time.perf_counter()
        cpu_before = _cpu_seconds()
        summary = generate(
            out,
            patients=args.patients,
            seed=args.seed,
            as_of=DEFAULT_AS_OF,
            compress=args.gzip,
            workers=args.workers,
        )
        seconds = time.perf_counter() - began
        cpu = _cpu_seconds() - cpu_before
        size = sum(p.stat().st_size for p in summary.files)
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    rate = summary.patients / seconds
    million = 1_000_000 / rate
    print(f"cpus {os.cpu_count()}, workers {args.workers}, gzip {args.gzip}")
    print(
        f"{summary.patients:,} patients, {summary.resources:,} resources, {size / 1e6:,.0f} MB in {seconds:.1f} s"
    )
    print(
        f"{rate:,.0f} patients/s, {summary.resources / seconds:,.0f} resources/s, "
        f"{summary.resources / summary.patients:.1f} resources/patient"
    )
    print(
        f"1,000,000 patients: {million / 60:.1f} min (extrapolated; target < {TARGET_SECONDS // 60} min: "
        f"{'met' if million < TARGET_SECONDS else 'NOT met'}), "
        f"about {size / summary.patients * 1e6 / 1e9:,.0f} GB"
    )
    # CPU time (this process and its workers) does not depend on what else runs on the machine:
    # the rate two otherwise idle cores would give.
    two_cores = 2 * summary.patients / cpu
    print(
        f"CPU {cpu:.1f} s ({cpu / summary.patients * 1000:.2f} ms/patient): on 2 idle cores "
        f"{two_cores:,.0f} patients/s, 1,000,000 patients in {1_000_000 / two_cores / 60:.1f} min"
    )
    share = cpu / (seconds * (os.cpu_count() or 1))
    print(
        f"this run had {share:.0%} of the machine's CPU (other load shares it; the CPU-time figure does not)"
    )
    print("per resource type:")
    for kind, count in summary.counts.items():
        print(f"  {kind:22s} {count:>12,}  {count / summary.patients:8.2f}/patient")


if __name__ == "__main__":
    main()
