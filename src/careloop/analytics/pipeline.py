"""Run the marts: find their order from their table references, run them, write a manifest.

A mart is one SQL file in ``marts/`` (DuckDB dialect), one model per file, named after the table
it makes. Its dependencies are the tables its SQL reads (SQLGlot: every table reference that is
not one of its own CTEs); the ones that are other marts order the run (a topological sort, ties by
name, so the order is the same on every machine). The others must be inputs: snapshot tables
(``snapshot.SNAPSHOT_TABLES``) or reference tables (``reference.reference_tables``).

A **step** is a pipeline node computed in Python on the engine's tables (``STEPS``): it reads
named tables and returns Arrow tables that the engine registers, in the same order as the marts.
The one step is CMS-HCC scoring (``hcc/step.py``, docs/decisions/0011-risk-marts-and-hcc-step.md).

Each run writes ``<out>/<mart>.parquet`` and ``<out>/manifest.json``: run id, as-of date, engine,
the input hash of the snapshot files, the value-set, rules, Charlson and care-gap versions, the
configuration, and per mart its rows, seconds, dependencies and the SHA-256 of its SQL.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from careloop.analytics.care_gaps import load_rules as load_care_gap_rules
from careloop.analytics.chronic_conditions import VALUE_SET_VERSION
from careloop.analytics.engine import Engine
from careloop.analytics.hcc.step import HCC_INPUTS, HCC_OUTPUTS, run_hcc_step
from careloop.analytics.reference import (
    CHARLSON_VERSION,
    RULES_VERSION,
    AnalyticsConfig,
    reference_tables,
)
from careloop.analytics.snapshot import input_hash

__all__ = [
    "MARTS_DIR",
    "STEPS",
    "Mart",
    "RunManifest",
    "Step",
    "load_marts",
    "mart_order",
    "node_scopes",
    "patient_slices",
    "run_marts",
]

MARTS_DIR = Path(__file__).resolve().parent / "marts"
_SCOPE = re.compile(r"^-- scope: (codes|population)\b", re.MULTILINE)


@dataclass(frozen=True)
class Mart:
    name: str
    path: Path
    sql: str
    reads: frozenset[str]  # every table the SQL reads (marts and inputs)
    scope: str = "patient"  # "-- scope: codes" / "-- scope: population" in the SQL (node_scopes)

    @property
    def sql_sha256(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class Step:
    """A node computed in Python: reads ``reads`` from the engine, returns ``outputs``."""

    name: str
    reads: frozenset[str]
    outputs: tuple[str, ...]
    run: Callable[[Engine, date, AnalyticsConfig], dict[str, pa.Table]]
    version: str

    @property
    def sql_sha256(self) -> str:  # the manifest's fingerprint of the node
        return hashlib.sha256(self.version.encode()).hexdigest()


STEPS: tuple[Step, ...] = (
    Step("hcc", HCC_INPUTS, HCC_OUTPUTS, run_hcc_step, "careloop.analytics.hcc.step V28 1"),
)


def table_references(sql: str) -> frozenset[str]:
    """Names of the tables a query reads, less its own CTE names."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return frozenset(t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes)


@cache
def _load(directory: Path) -> dict[str, Mart]:
    marts: dict[str, Mart] = {}
    for path in sorted(directory.glob("*.sql")):
        sql = path.read_text(encoding="utf-8").strip().rstrip(";")
        declared = _SCOPE.search(sql)
        scope = declared.group(1) if declared else "patient"
        marts[path.stem] = Mart(path.stem, path, sql, table_references(sql), scope)
    return marts


def load_marts(directory: Path = MARTS_DIR) -> dict[str, Mart]:
    return dict(_load(directory.resolve()))


def mart_order(
    marts: dict[str, Mart] | dict[str, Mart | Step], wanted: Iterable[str] | None = None
) -> list[str]:
    """Marts in dependency order (Kahn's algorithm, ties by name); ``wanted`` and what they need."""
    needed: set[str] = set()
    stack = list(wanted) if wanted is not None else list(marts)
    while stack:
        name = stack.pop()
        if name not in marts:
            raise KeyError(f"no mart named {name!r}")
        if name not in needed:
            needed.add(name)
            stack.extend(d for d in marts[name].reads if d in marts)
    deps = {n: {d for d in marts[n].reads if d in marts and d != n} for n in needed}
    users: dict[str, set[str]] = {n: set() for n in needed}
    for n, ds in deps.items():
        for d in ds:
            users[d].add(n)
    ready = [n for n, ds in deps.items() if not ds]
    heapq.heapify(ready)
    order: list[str] = []
    remaining = {n: len(ds) for n, ds in deps.items()}
    while ready:
        n = heapq.heappop(ready)
        order.append(n)
        for u in users[n]:
            remaining[u] -= 1
            if remaining[u] == 0:
                heapq.heappush(ready, u)
    if len(order) != len(needed):
        cycle = sorted(n for n, k in remaining.items() if k > 0)
        raise ValueError(f"marts depend on each other in a cycle: {', '.join(cycle)}")
    return order


@dataclass
class MartTiming:
    name: str
    rows: int
    seconds: float
    depends_on: list[str]
    sql_sha256: str


@dataclass
class RunManifest:
    run_id: str
    started_at: str
    as_of: str
    engine: str
    input_hash: str
    value_set_version: str
    rules_version: str
    charlson_version: str
    care_gaps_version: str
    config: dict[str, Any]
    snapshot_rows: dict[str, int]
    marts: list[MartTiming]
    seconds: float
    steps: list[MartTiming] = dataclasses.field(default_factory=list)  # one per step output

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=False) + "\n"


Progress = Callable[[str, int, int], None]
Node = Mart | Step


def node_scopes(nodes: dict[str, Node], order: list[str], snapshot: set[str]) -> dict[str, str]:
    """Each node's scope (decision 0015): ``codes`` (its rows are codes, not patients: run once
    on the whole snapshot), ``patient`` (its rows are patients' and depend on their own rows
    only: run slice by slice) or ``population`` (it compares patients: run on the whole result).

    A mart declares ``-- scope: codes`` or ``-- scope: population`` in its SQL; otherwise a
    node reading a population node is population, one reading the snapshot or a patient node is
    patient, and one reading only codes nodes and reference tables is codes.
    """
    scopes: dict[str, str] = {}
    for name in order:
        node = nodes[name]
        upstream = {scopes[d] for d in node.reads if d in nodes and d != name}
        declared = node.scope if isinstance(node, Mart) else "patient"
        if declared == "codes":
            if upstream - {"codes"}:
                raise ValueError(f"mart {name} has scope codes but reads patient rows")
            scopes[name] = "codes"
        elif declared == "population" or "population" in upstream:
            scopes[name] = "population"
        elif "patient" in upstream or node.reads & snapshot:
            scopes[name] = "patient"
        else:
            scopes[name] = "codes"
    return scopes


def patient_slices(engine: Engine, files: dict[str, Path]) -> list[str | None]:
    """Row filters that cut the snapshot into slices of ``engine.partition_patients`` patients
    (contiguous ``patient_id`` ranges that cover every id, rows without a patient in the first),
    or ``[None]``: one slice, the whole snapshot."""
    size = getattr(engine, "partition_patients", None)
    if not size or "patient" not in files:
        return [None]
    ids = engine.run_sql(
        "SELECT patient_id FROM patient WHERE patient_id IS NOT NULL ORDER BY patient_id"
    ).column(0)
    if len(ids) <= size:
        return [None]
    cuts = [int(ids[i].as_py()) for i in range(size - 1, len(ids) - 1, size)]
    if len(ids) - (len(cuts) * size) < size // 4:  # no small tail: fold it into the last slice
        cuts.pop()
    slices: list[str | None] = []
    for k, cut in enumerate(cuts):
        low = f"patient_id > {cuts[k - 1]} AND " if k else ""
        slices.append(f"({low}patient_id <= {cut})" + ("" if k else " OR patient_id IS NULL"))
    slices.append(f"patient_id > {cuts[-1]}")
    return slices


def run_marts(
    engine: Engine,
    snapshot_dir: Path,
    as_of: date,
    *,
    out: Path | None = None,
    config: AnalyticsConfig | None = None,
    wanted: Iterable[str] | None = None,
    marts_dir: Path = MARTS_DIR,
    progress: Progress | None = None,
    snapshot_rows: dict[str, int] | None = None,
    steps: tuple[Step, ...] = STEPS,
) -> RunManifest:
    """Register the snapshot and reference tables, run the marts in order, write results.

    ``snapshot_dir`` holds one ``<table>.parquet`` per input table (``snapshot.snapshot`` writes
    them; tests write their own fixtures). With ``out`` set, each mart is written to
    ``out/<mart>.parquet`` and the manifest to ``out/manifest.json``.

    Codes nodes run first, on the whole snapshot; patient nodes then run on each slice of
    ``engine.partition_patients`` patients (``patient_slices``); with ``out`` set each slice's
    rows are appended to the mart's Parquet file and leave the engine, otherwise the slices
    become one view per mart; population nodes run last, on the whole (decision 0015). A slice holds
    every row of its patients, so the results are those of one run on the whole snapshot.
    """
    cfg = config or AnalyticsConfig()
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    marts = load_marts(marts_dir)
    nodes: dict[str, Node] = {**marts, **{o: s for s in steps for o in s.outputs}}
    order = mart_order(nodes, wanted)
    files = {p.stem: p for p in sorted(snapshot_dir.glob("*.parquet"))}
    for name, path in files.items():
        engine.register_parquet(name, path)
    references = reference_tables(as_of, cfg)
    for name, table in references.items():
        engine.register_arrow(name, table)
    available = set(files) | set(references)
    for name in order:
        missing = sorted(t for t in nodes[name].reads if t not in nodes and t not in available)
        if missing:
            raise ValueError(f"mart {name} reads unknown tables: {', '.join(missing)}")
    scopes = node_scopes(nodes, order, set(files))
    phase = {s: [n for n in order if scopes[n] == s] for s in ("codes", "patient", "population")}
    slices = patient_slices(engine, files) if phase["patient"] else [None]
    sliced = {n for n, p in files.items() if "patient_id" in pq.read_schema(p).names}
    total = len(phase["codes"]) + len(slices) * len(phase["patient"]) + len(phase["population"])
    timings: dict[str, MartTiming] = {}
    done = 0

    def run(names: list[str], label: str = "") -> None:
        nonlocal done
        ran: set[str] = set()  # steps run in this pass (a step runs once for all its outputs)
        for name in names:
            if progress:
                progress(name + label, done, total)
            done += 1
            node = nodes[name]
            if isinstance(node, Step):
                if node.name not in ran:
                    ran.add(node.name)
                    for timing in _run_step(engine, node, as_of, cfg):
                        _add(timings, timing)
                continue
            t0 = time.perf_counter()
            rows = engine.create_table(name, node.sql)
            deps = sorted(d for d in node.reads if d in nodes)
            seconds = time.perf_counter() - t0
            _add(timings, MartTiming(name, rows, seconds, deps, node.sql_sha256))

    run(phase["codes"])
    written: set[str] = set()
    if len(slices) == 1:
        run(phase["patient"])
    else:
        # with an output folder each slice's rows go to the mart's Parquet file and leave the
        # engine; without one each slice is set aside (a rename) and joined in one view per mart
        with _SliceFiles(out) if out is not None else nullcontext() as sink:
            for k, where in enumerate(slices):
                for name in sliced:
                    engine.register_parquet(name, files[name], where)
                run(phase["patient"], f" (patients {k + 1}/{len(slices)})")
                if sink is not None:
                    sink.next_slice()
                for name in phase["patient"]:
                    t0 = time.perf_counter()
                    if sink is None:
                        engine.rename_table(name, f"_slice{k}_{name}")
                        continue
                    sink.append(name, engine.read_table(name))
                    engine.drop_table(name)
                    timings[name].seconds += time.perf_counter() - t0
        for name in phase["patient"]:
            if out is None:
                parts = (f"SELECT * FROM _slice{k}_{name}" for k in range(len(slices)))
                engine.create_view(name, " UNION ALL ".join(parts))
            else:
                engine.register_parquet(name, out / f"{name}.parquet")
                written.add(name)
    if len(slices) > 1:
        for name in sliced:
            engine.register_parquet(name, files[name])
    run(phase["population"])
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name in order:
            if name in written:
                continue
            t0 = time.perf_counter()
            engine.write_parquet(name, out / f"{name}.parquet")
            timings[name].seconds += time.perf_counter() - t0
    step_outputs = {o for s in steps for o in s.outputs}
    for timing in timings.values():
        timing.seconds = round(timing.seconds, 4)
    manifest = RunManifest(
        run_id=uuid.uuid4().hex,
        started_at=started_at,
        as_of=as_of.isoformat(),
        engine=str(getattr(engine, "version", engine.name)),
        input_hash=input_hash(files),
        value_set_version=VALUE_SET_VERSION,
        rules_version=RULES_VERSION,
        charlson_version=CHARLSON_VERSION,
        care_gaps_version=load_care_gap_rules().version,
        config=_config_json(cfg),
        snapshot_rows=dict(snapshot_rows or {}),
        marts=[timings[n] for n in order if n not in step_outputs],
        seconds=round(time.perf_counter() - started, 4),
        steps=[timings[n] for n in order if n in step_outputs],
    )
    if out is not None:
        (out / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    return manifest


class _SliceFiles:
    """One Parquet file per mart, appended slice by slice. A thread encodes slice k's rows while
    the engine computes slice k+1 (pyarrow lets go of the GIL); at most one slice is in flight."""

    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self._out = out
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._pending: list[Future[None]] = []

    def next_slice(self) -> None:
        """Wait for the previous slice's files (and raise what went wrong writing them)."""
        for pending in self._pending:
            pending.result()
        self._pending = []

    def append(self, name: str, rows: pa.Table) -> None:
        if name not in self._writers:
            self._writers[name] = pq.ParquetWriter(self._out / f"{name}.parquet", rows.schema)
        self._pending.append(self._pool.submit(self._writers[name].write_table, rows))

    def __enter__(self) -> _SliceFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.next_slice()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            for writer in self._writers.values():
                writer.close()


def _add(timings: dict[str, MartTiming], timing: MartTiming) -> None:
    """Count a node's slice: rows and seconds add up over the slices."""
    seen = timings.get(timing.name)
    if seen is None:
        timings[timing.name] = timing
    else:
        seen.rows += timing.rows
        seen.seconds += timing.seconds


def _run_step(engine: Engine, step: Step, as_of: date, cfg: AnalyticsConfig) -> list[MartTiming]:
    """Run a step once and register every output table it returns."""
    t0 = time.perf_counter()
    tables = step.run(engine, as_of, cfg)
    seconds = time.perf_counter() - t0
    timings = []
    for name in step.outputs:
        engine.register_arrow(name, tables[name])
        timings.append(
            MartTiming(name, tables[name].num_rows, seconds, sorted(step.reads), step.sql_sha256)
        )
    return timings


def _config_json(cfg: AnalyticsConfig) -> dict[str, Any]:
    raw = dataclasses.asdict(cfg)
    result: dict[str, Any] = json.loads(json.dumps(raw, default=list))
    return result


def latest_data_date(snapshot_dir: Path) -> date | None:
    """The data's own latest date (claims, encounters, observations): the as-of date of tests and
    of a demo whose records end in the past (issue 4: the shared Synthea records end in 2021)."""
    import duckdb

    parts = []
    for table, column in (
        ("claim", "start_date"),
        ("encounter", "CAST(start_ts AS DATE)"),
        ("observation", "CAST(effective_ts AS DATE)"),
    ):
        path = snapshot_dir / f"{table}.parquet"
        if path.exists():
            parts.append(f"SELECT max({column}) AS d FROM read_parquet(?)")
    if not parts:
        return None
    files = [
        str(snapshot_dir / f"{t}.parquet")
        for t in ("claim", "encounter", "observation")
        if (snapshot_dir / f"{t}.parquet").exists()
    ]
    con = duckdb.connect(":memory:")
    try:
        row = con.execute(f"SELECT max(d) FROM ({' UNION ALL '.join(parts)})", files).fetchall()
    finally:
        con.close()
    value = row[0][0] if row else None
    return value if isinstance(value, date) else None
