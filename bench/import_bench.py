"""Import benchmark (issue 8): generate N patients, import them into PostgreSQL, print rates.

    python bench/import_bench.py [--patients 10000] [--database-url postgres://...]

Prints resources/second into the database next to the raw orjson parse rate of the same
files, measured in the same run, and their ratio. Uses a fresh database
(`careloop_bench` by default) so the figure is a first import, not a no-op re-import.
A script, not a timed test.
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson


def parse_rate(folder: Path) -> tuple[int, float]:
    n = 0
    t0 = time.perf_counter()
    for f in sorted(folder.iterdir()):
        opener = gzip.open if f.name.endswith(".gz") else open
        with opener(f, "rb") as fh:
            for line in fh:
                orjson.loads(line)
                n += 1
    return n, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/careloop_bench")
    ap.add_argument("--keep", help="generate into this folder and keep it")
    args = ap.parse_args()

    url = args.database_url
    if url.startswith("postgres"):
        base, _, dbname = url.rpartition("/")
        import psycopg

        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            conn.execute(f'CREATE DATABASE "{dbname}"')
    env = {**os.environ, "DATABASE_URL": url}
    careloop = [sys.executable, "-m", "careloop.cli"]
    subprocess.run([*careloop, "migrate", "-v0"], check=True, env=env)

    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="careloop-bench-"))
    t0 = time.perf_counter()
    subprocess.run(
        [
            *careloop,
            "generate",
            "--patients",
            str(args.patients),
            "--seed",
            str(args.seed),
            "--out",
            str(out),
            "--quiet",
        ],
        check=True,
        env=env,
    )
    gen_s = time.perf_counter() - t0

    n_parsed, parse_s = parse_rate(out)

    report = out.parent / f"{out.name}-report.json"
    t0 = time.perf_counter()
    subprocess.run(
        [
            *careloop,
            "import",
            "fhir",
            str(out),
            "--quiet",
            "--report",
            str(report),
            "--organization",
            "bench",
        ],
        check=True,
        env=env,
    )
    import_s = time.perf_counter() - t0
    data = orjson.loads(report.read_bytes())
    n = data["totals"]["resources"]
    import_rate = n / import_s
    parse_rate_v = n_parsed / parse_s
    print(f"patients                 {args.patients:,}")
    print(f"resources                {n:,} (generated in {gen_s:.1f} s)")
    print(f"database                 {url.split('@')[-1]}")
    print(f"import (wall, whole run) {import_s:.1f} s  = {import_rate:,.0f} resources/s")
    print(f"orjson parse only        {parse_s:.1f} s  = {parse_rate_v:,.0f} resources/s")
    print(f"import / parse ratio     {import_rate / parse_rate_v:.2f}")
    print(f"errors                   {data['error_count']}")


if __name__ == "__main__":
    main()
