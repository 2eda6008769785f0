"""Snapshot straight from Bulk FHIR NDJSON, with no database: the same Parquet tables as ``snapshot``.

Why: a health plan's bulk export (or the 1M-patient benchmark population) maps to the snapshot
far faster than it imports (~4,000 resources/s into the database) and is then snapshotted.
There is still one FHIR mapping: lines go through ``interop.fhir.mapping.map_ndjson_lines``
(worker-safe), and the rows become the columns and child tables of ``snapshot.SNAPSHOT_TABLES``
with its own flatteners. What the importer's writer does to rows is repeated here on plain dicts:
references become integer ids (a dict per referenced type, ids in load order, as the importer
numbers rows), identifier references resolve through the targets' identifiers, and claim
``diagnosisReference`` entries take their Condition's code. Decision 0013.

Split in two so the heavy part runs in worker processes: ``convert_lines`` (map and flatten one
chunk of lines; references still keys) and ``SnapshotBuilder`` (resolve keys, write Parquet).
Files are read in the importer's load order (``readers.collect_files``), so every reference
points at a row already seen. Patients without Coverage resources get Coverage derived from
their claims by the importer's rule (``interop.fhir.coverage_spans``). Not done here (the
importer does it): updates of a resource that appears twice (first wins).
"""

from __future__ import annotations

import multiprocessing
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from careloop.analytics.snapshot import (
    BATCH_ROWS,
    BOOL,
    SNAPSHOT_TABLES,
    STR,
    SnapshotResult,
    TableSpec,
    _table,
    input_hash,
)
from careloop.core.collector import CollectorPause, pause_for_this_process
from careloop.interop.fhir.coverage_spans import ClaimPayerDates, coverage_spans
from careloop.interop.fhir.mapping import map_ndjson_lines
from careloop.interop.fhir.readers import ReadError, collect_files, ndjson_chunks
from careloop.interop.fhir.resource_types import LOAD_ORDER
from careloop.interop.synth.patient import RESOURCE_TYPES
from careloop.interop.synth.writer import generate_chunk

__all__ = [
    "Converted",
    "SnapshotBuilder",
    "concatenate_parts",
    "convert_generated_slice",
    "convert_lines",
    "snapshot_ndjson",
]

CHUNK_LINES = 2000
# mapped Row.model -> snapshot table
MODEL_TABLE = {
    "Patient": "patient",
    "Coverage": "coverage",
    "Practitioner": "practitioner",
    "Condition": "condition",
    "Encounter": "encounter",
    "Observation": "observation",
    "Medication": "medication",
    "Immunization": "immunization",
    "Procedure": "procedure",
    "Claim": "claim",
    "ExplanationOfBenefit": "claim",
}
_FHIR_TYPE = {"Medication": "MedicationRequest"}  # Row.model -> a FHIR type it comes from
# reference field -> the FHIR type its key names (``Patient/123``)
REF_TYPES = {
    "patient": "Patient",
    "encounter": "Encounter",
    "practitioner": "Practitioner",
    "general_practitioner": "Practitioner",
}
KEYED = {"patient": "Patient", "encounter": "Encounter", "practitioner": "Practitioner"}
SPECS = {spec.name: spec for spec in SNAPSHOT_TABLES}
# tables in the importer's load order, so a chunk's references point at rows already numbered
TABLE_ORDER = tuple(
    sorted(
        SPECS,
        key=lambda t: min(
            LOAD_ORDER[_FHIR_TYPE.get(m, m)] for m, n in MODEL_TABLE.items() if n == t
        ),
    )
)


@dataclass(frozen=True)
class _Plan:
    """How one snapshot column is filled from a mapped row."""

    kind: str  # own | sid | org | ref | field
    name: str
    default: Any


def _plans(spec: TableSpec) -> tuple[_Plan, ...]:
    plans = []
    for col in spec.columns:
        expr = col.expr.strip('"')
        if expr == "id":
            plans.append(_Plan("own", expr, None))
        elif expr == "source_id":
            plans.append(_Plan("sid", expr, None))
        elif expr == "organization_id":
            plans.append(_Plan("org", expr, None))
        elif expr.endswith("_id") and expr[:-3] in REF_TYPES:
            plans.append(_Plan("ref", expr[:-3], None))
        else:
            default = "" if col.type == STR else (False if col.type == BOOL else None)
            plans.append(_Plan("field", expr, default))
    return tuple(plans)


PLANS = {name: _plans(spec) for name, spec in SPECS.items()}


@dataclass
class Converted:
    """One chunk of lines, mapped and flattened; references are still keys.

    ``tables[t]`` rows are the snapshot columns, with the own key in the id column, reference
    keys (or None) in the reference columns. ``children[c]`` rows start with the parent's index
    in ``tables[parent]`` instead of its ids. ``pending_claims``: claims whose diagnoses point
    at Conditions (index, json columns), flattened once the codes are known.
    """

    tables: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    children: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    identifiers: list[tuple[str, str]] = field(default_factory=list)  # (key, own key)
    pending_claims: list[tuple[int, list[Any], bytes, bytes]] = field(default_factory=list)
    errors: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    lines: int = 0


def _own_key(model: str, source_id: str) -> str:
    return f"{model}/{source_id}" if model in KEYED.values() or model == "Condition" else source_id


def convert_lines(file: str, lines: list[tuple[int, bytes]]) -> Converted:
    """Map one chunk of NDJSON lines (``mapping.map_ndjson_lines``) into snapshot rows."""
    chunk = map_ndjson_lines(file, lines)
    out = Converted(errors=chunk.errors, lines=chunk.lines)
    payloads: dict[str, list[tuple[Any, ...]]] = {}
    for row in chunk.rows:
        name = MODEL_TABLE.get(row.model)
        if name is None:
            continue
        fields, refs = row.fields, row.refs
        own = _own_key(row.model, row.source_id)
        values: list[Any] = []
        for plan in PLANS[name]:
            if plan.kind == "own":
                values.append(own)
            elif plan.kind == "ref":
                values.append(refs.get(plan.name) or None)
            elif plan.kind == "field":
                values.append(fields.get(plan.name, plan.default))
            elif plan.kind == "sid":
                values.append(row.source_id)
            else:
                values.append(None)
        rows = out.tables.setdefault(name, [])
        spec = SPECS[name]
        if spec.json_columns:
            index = len(rows)
            patient = refs.get("patient")
            raw = [fields.get(c) for c in spec.json_columns]
            if name == "claim" and any(isinstance(d, dict) for d in raw[0] or ()):
                out.pending_claims.append(
                    (
                        index,
                        list(raw[0] or ()),
                        orjson.dumps(raw[1] or []),
                        orjson.dumps(raw[2] or []),
                    )
                )
            else:
                payloads.setdefault(name, []).append(
                    (index, patient, *(orjson.dumps(v or []) for v in raw))
                )
        rows.append(tuple(values))
        if row.model == "Practitioner":
            for system, value, _type in fields.get("identifiers") or ():
                if system and value:
                    out.identifiers.append((f"Practitioner?identifier={system}|{value}", own))
    for name, payload in payloads.items():
        flatten = SPECS[name].flatten
        assert flatten is not None
        for child, child_rows in flatten(payload).items():
            out.children.setdefault(child, []).extend(child_rows)
    return out


def convert_generated_slice(seed: int, as_of: date, start: int, stop: int) -> list[Converted]:
    """Patients [start, stop) of a generated population (``synth.writer.generate_chunk``, the
    same lines its NDJSON files hold), converted type by type in load order, without the files.
    A slice is self-contained except for the directory (practitioners) of earlier slices."""
    _n, blocks, _counts = generate_chunk(seed, as_of, start, stop, False)
    order = sorted(range(len(RESOURCE_TYPES)), key=lambda i: LOAD_ORDER.get(RESOURCE_TYPES[i], 99))
    return [
        convert_lines(RESOURCE_TYPES[i], list(enumerate(blocks[i].splitlines(), start=1)))
        for i in order
        if blocks[i]
    ]


def _convert_star(args: tuple[str, list[tuple[int, bytes]]]) -> Converted:
    converted = convert_lines(*args)
    pause_for_this_process().tick()
    return converted


def _parent_of(child: str) -> str:
    return next(s.name for s in SNAPSHOT_TABLES if child in s.children)


class SnapshotBuilder:
    """Resolve converted chunks to integer ids and write ``<out>/<table>.parquet``.

    ``id_start`` numbers each table from a given id (a part of a larger snapshot); ids are
    dense and follow the order rows arrive, as the importer's inserts do. ``forget`` keeps memory
    flat when the caller knows the chunks that follow do not reference earlier patients.
    """

    def __init__(
        self, out: Path, *, organization_id: int = 1, id_start: dict[str, int] | None = None
    ) -> None:
        self.out = out
        self.organization_id = organization_id
        out.mkdir(parents=True, exist_ok=True)
        self.next_id = {s.name: (id_start or {}).get(s.name, 1) for s in SNAPSHOT_TABLES}
        self.first_id = dict(self.next_id)
        self.keys: dict[str, dict[str, int]] = {t: {} for t in KEYED.values()}
        self.condition_codes: dict[str, str] = {}
        self.covered: set[int] = set()  # patients with a Coverage resource
        self.schemas: dict[str, pa.Schema] = {}
        for spec in SNAPSHOT_TABLES:
            self.schemas[spec.name] = pa.schema([(c.name, c.type) for c in spec.columns])
            for child, cols in spec.children.items():
                self.schemas[child] = pa.schema(list(cols))
        self.buffers: dict[str, list[tuple[Any, ...]]] = {t: [] for t in self.schemas}
        self.writers = {
            t: pq.ParquetWriter(out / f"{t}.parquet", schema) for t, schema in self.schemas.items()
        }
        self.rows = dict.fromkeys(self.schemas, 0)
        self.errors: list[tuple[dict[str, Any], str]] = []
        self.error_count = 0
        self.lines = 0
        self.started = time.perf_counter()

    def _error(self, where: dict[str, Any], message: str) -> None:
        self.error_count += 1
        if len(self.errors) < 1000:
            self.errors.append((where, message))

    def add(self, chunk: Converted) -> None:
        self.lines += chunk.lines
        for where, message in chunk.errors:
            self._error(where, message)
        local_ids: dict[str, list[int | None]] = {}
        local_patients: dict[str, list[int | None]] = {}
        for spec in (SPECS[t] for t in TABLE_ORDER):
            rows = chunk.tables.get(spec.name)
            if rows:
                local_ids[spec.name], local_patients[spec.name] = self._add_rows(spec, rows)
                if spec.name == "coverage":
                    self.covered.update(p for p in local_patients["coverage"] if p is not None)
            if spec.name == "practitioner":
                keys = self.keys["Practitioner"]
                for key, own in chunk.identifiers:
                    if own in keys:
                        keys.setdefault(key, keys[own])
        for child, rows in chunk.children.items():
            self._add_children(child, rows, local_ids, local_patients)
        if chunk.pending_claims:
            self._flatten_claims(chunk.pending_claims, local_ids, local_patients)
        for name, buffer in self.buffers.items():
            if len(buffer) >= BATCH_ROWS:
                self._flush(name)

    def forget(self) -> None:
        """Drop the per-patient keys (patients, encounters, condition codes): later chunks
        will not reference them (the benchmark's generated slices are self-contained)."""
        self.keys["Patient"].clear()
        self.keys["Encounter"].clear()
        self.condition_codes.clear()

    def _add_rows(
        self, spec: TableSpec, rows: list[tuple[Any, ...]]
    ) -> tuple[list[int | None], list[int | None]]:
        plans = PLANS[spec.name]
        ref_cols = [
            (i, self.keys[REF_TYPES[p.name]]) for i, p in enumerate(plans) if p.kind == "ref"
        ]
        org_cols = [i for i, p in enumerate(plans) if p.kind == "org"]
        patient_col = next((i for i, p in enumerate(plans) if p.name == "patient"), None)
        own_keys = self.keys.get(KEYED.get(spec.name, ""))
        code_col = [p.name for p in plans].index("code") if spec.name == "condition" else None
        buffer = self.buffers[spec.name]
        ids: list[int | None] = []
        patients: list[int | None] = []
        next_id = self.next_id[spec.name]
        for row in rows:
            own = row[0]
            if own_keys is not None and own in own_keys:
                ids.append(None)  # a second copy of a resource: the first one stays
                patients.append(None)
                continue
            values = list(row)
            values[0] = next_id
            for i, keys in ref_cols:
                if values[i] is not None:
                    values[i] = keys.get(values[i])
            for i in org_cols:
                values[i] = self.organization_id
            if patient_col is not None and values[patient_col] is None:
                self._error(
                    {"resource_type": spec.name, "id": own, "path": "patient"},
                    f"dangling reference {row[patient_col]!r}: no such resource in the export",
                )
                ids.append(None)
                patients.append(None)
                continue
            if own_keys is not None:
                own_keys[own] = next_id
            if code_col is not None:
                self.condition_codes[own] = row[code_col]
            ids.append(next_id)
            patients.append(values[patient_col] if patient_col is not None else None)
            buffer.append(tuple(values))
            next_id += 1
        self.rows[spec.name] += next_id - self.next_id[spec.name]
        self.next_id[spec.name] = next_id
        return ids, patients

    def _add_children(
        self,
        child: str,
        rows: list[tuple[Any, ...]],
        local_ids: dict[str, list[int | None]],
        local_patients: dict[str, list[int | None]],
    ) -> None:
        parent = _parent_of(child)
        ids, patients = local_ids.get(parent, []), local_patients.get(parent, [])
        buffer = self.buffers[child]
        for row in rows:
            pid = ids[row[0]]
            if pid is not None:
                buffer.append((pid, patients[row[0]], *row[2:]))

    def _flatten_claims(
        self,
        pending: list[tuple[int, list[Any], bytes, bytes]],
        local_ids: dict[str, list[int | None]],
        local_patients: dict[str, list[int | None]],
    ) -> None:
        """Claims whose diagnoses reference Conditions take the Conditions' codes, in order
        (what ``Writer._resolve_diagnoses`` does), then flatten like the others."""
        payload = []
        for index, diagnoses, procedures, line_codes in pending:
            codes = [
                (
                    self.condition_codes.get(f"Condition/{d['ref'].partition('/')[2]}", "")
                    if isinstance(d, dict)
                    else d
                )
                for d in diagnoses
            ]
            payload.append(
                (index, None, orjson.dumps([c for c in codes if c]), procedures, line_codes)
            )
        flatten = SPECS["claim"].flatten
        assert flatten is not None
        for child, rows in flatten(payload).items():
            self._add_children(child, rows, local_ids, local_patients)

    def _flush(self, name: str) -> None:
        buffer = self.buffers[name]
        if buffer:
            self.writers[name].write_table(_table(buffer, self.schemas[name]))
            if name not in SPECS:
                self.rows[name] += len(buffer)
            self.buffers[name] = []

    def close(self) -> SnapshotResult:
        for name in self.buffers:
            self._flush(name)
        for name, writer in self.writers.items():
            if name != "coverage":
                writer.close()
        self._derive_coverage()
        self._flush("coverage")
        self.writers["coverage"].close()
        files = {t: self.out / f"{t}.parquet" for t in self.schemas}
        return SnapshotResult(
            self.out, dict(self.rows), files, time.perf_counter() - self.started, input_hash(files)
        )

    def _derive_coverage(self) -> None:
        """Coverage for the patients with claims and no Coverage resource, by the importer's
        rule (``interop.fhir.coverage_spans``): Synthea's Bulk data names payers only on claims."""
        claims = pq.read_table(
            self.out / "claim.parquet", columns=["patient_id", "payer", "start_date", "end_date"]
        )
        keep = pc.and_(
            pc.invert(pc.is_in(claims["patient_id"], pa.array(sorted(self.covered), pa.int64()))),
            pc.fill_null(pc.not_equal(claims["payer"], ""), False),
        )
        groups = (
            claims.filter(keep)
            .group_by(["patient_id", "payer"])
            .aggregate([("start_date", "min"), ("end_date", "max"), ("start_date", "max")])
            .sort_by([("patient_id", "ascending"), ("payer", "ascending")])
        )
        spans = coverage_spans(
            ClaimPayerDates(*r)
            for r in zip(
                *(
                    groups[c].to_pylist()
                    for c in (
                        "patient_id",
                        "payer",
                        "start_date_min",
                        "end_date_max",
                        "start_date_max",
                    )
                ),
                strict=True,
            )
        )
        buffer = self.buffers["coverage"]
        for (patient, kind), (start, end, payer) in sorted(spans.items()):
            buffer.append(
                (
                    self.next_id["coverage"],
                    patient,
                    kind,
                    payer[:200],
                    "active",
                    start,
                    end,
                    "",
                    False,
                )
            )
            self.next_id["coverage"] += 1
        self.rows["coverage"] += len(spans)


def _raw_chunks(
    files: list[Path], errors: list[tuple[dict[str, Any], str]]
) -> Iterator[tuple[str, list[tuple[int, bytes]]]]:
    def read_error(error: ReadError) -> None:
        errors.append(({"file": error.file}, error.message))

    for path in files:
        if not (path.name.endswith(".ndjson") or path.name.endswith(".ndjson.gz")):
            errors.append(({"file": str(path)}, "not a Bulk NDJSON file (.ndjson, .ndjson.gz)"))
            continue
        yield from ndjson_chunks(path, CHUNK_LINES, read_error)


def snapshot_ndjson(
    paths: Iterable[str | Path],
    out: Path,
    *,
    organization_id: int = 1,
    workers: int = 0,
    progress: Callable[[int], None] | None = None,
) -> tuple[SnapshotResult, list[tuple[dict[str, Any], str]], int]:
    """Snapshot Bulk NDJSON files (or folders of them) into ``out``.

    Returns the snapshot, the first 1,000 problems (file, line, resource type and id, what is
    wrong) and the number of problems. ``workers`` > 0 maps in that many processes.
    """
    files, problems = collect_files([str(p) for p in paths])
    builder = SnapshotBuilder(out, organization_id=organization_id)
    for problem in problems:
        builder._error({"file": problem.file}, problem.message)
    read_errors: list[tuple[dict[str, Any], str]] = []
    chunks = _raw_chunks(files, read_errors)
    with CollectorPause() as pause, ExitStack() as stack:  # GC: core.collector
        if workers > 0:
            pool = stack.enter_context(
                multiprocessing.get_context("spawn").Pool(
                    workers, initializer=pause_for_this_process
                )
            )
            converted: Iterable[Converted] = pool.imap(_convert_star, chunks, chunksize=1)
        else:
            converted = (convert_lines(file, lines) for file, lines in chunks)
        for chunk in converted:
            builder.add(chunk)
            pause.tick()
            if progress:
                progress(builder.lines)
    for where, message in read_errors:
        builder._error(where, message)
    result = builder.close()
    return result, builder.errors, builder.error_count


def concatenate_parts(parts: list[Path], out: Path) -> SnapshotResult:
    """One snapshot from parts whose ids were numbered to follow each other (``id_start``)."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    names = sorted(p.stem for p in parts[0].glob("*.parquet"))
    rows: dict[str, int] = {}
    files: dict[str, Path] = {}
    for name in names:
        target = out / f"{name}.parquet"
        if len(parts) == 1:
            shutil.copyfile(parts[0] / f"{name}.parquet", target)
            rows[name] = pq.ParquetFile(target).metadata.num_rows
        else:
            schema = pq.read_schema(parts[0] / f"{name}.parquet")
            count = 0
            with pq.ParquetWriter(target, schema) as writer:
                for part in parts:
                    source = pq.ParquetFile(part / f"{name}.parquet")
                    for i in range(source.num_row_groups):
                        group = source.read_row_group(i)
                        writer.write_table(group)
                        count += group.num_rows
            rows[name] = count
        files[name] = target
    return SnapshotResult(out, rows, files, time.perf_counter() - started, input_hash(files))
