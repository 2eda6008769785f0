"""Snapshot of the clinical record to Parquet, read straight from the database (no Django).

The marts never read the OLTP database: they read these files, so a run is reproducible from its
input hash (architecture §2 rule 5) and the same files feed DuckDB or Spark. The database is read
with the plain DB-API (``sqlite3`` for a SQLite path, ``psycopg`` for a ``postgres://`` URL; the
DuckDB scanner extensions would need a download), in batches, with a server-side cursor on
PostgreSQL, so memory stays bounded. JSON columns are flattened here into child tables
(``claim_diagnosis``, ``claim_line``, ``encounter_code``, ...) so that no mart parses JSON, which
DuckDB and Spark spell differently.

One Parquet file per table: ``<out>/<table>.parquet``. ICD-10-CM codes are normalized once
(dots and spaces removed, upper case: ``chronic_conditions.normalize_icd10``).
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC as _UTC
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from careloop.analytics.chronic_conditions import normalize_icd10

__all__ = ["SNAPSHOT_TABLES", "SnapshotResult", "connect", "input_hash", "snapshot"]

BATCH_ROWS = 50_000
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"

STR, INT, FLT, BOOL, DATE, TS = (
    pa.string(),
    pa.int64(),
    pa.float64(),
    pa.bool_(),
    pa.date32(),
    pa.timestamp("us"),
)


@dataclass(frozen=True)
class Col:
    expr: str  # column expression in the source table (quoted where needed)
    name: str
    type: pa.DataType


Row = tuple[Any, ...]
Flattener = Callable[[Sequence[Row]], dict[str, list[Row]]]


@dataclass(frozen=True)
class TableSpec:
    name: str
    source: str
    columns: tuple[Col, ...]
    # JSON columns read only to flatten into child tables (not written to this table)
    json_columns: tuple[str, ...] = ()
    flatten: Flattener | None = None
    children: dict[str, tuple[tuple[str, pa.DataType], ...]] = field(default_factory=dict)


def _dx_code(system: str, code: str) -> str:
    return normalize_icd10(code) if system == ICD10CM else code.strip()


def _flatten_claim(rows: Sequence[Row]) -> dict[str, list[Row]]:
    dx: list[Row] = []
    px: list[Row] = []
    lines: list[Row] = []
    for claim_id, patient_id, diagnoses, procedures, line_codes in rows:
        for pos, code in enumerate(orjson.loads(diagnoses or "[]"), start=1):
            if isinstance(code, str) and code.strip():
                dx.append((claim_id, patient_id, pos, normalize_icd10(code)))
        for pos, code in enumerate(orjson.loads(procedures or "[]"), start=1):
            value = code if isinstance(code, str) else (code or {}).get("code", "")
            if value:
                px.append((claim_id, patient_id, pos, str(value).strip()))
        for pos, line in enumerate(orjson.loads(line_codes or "[]"), start=1):
            amount = line.get("amount")
            lines.append(
                (
                    claim_id,
                    patient_id,
                    pos,
                    line.get("system") or "",
                    line.get("code") or "",
                    (line.get("date") or None),
                    line.get("units"),
                    float(amount) if amount not in (None, "") else None,
                    line.get("pos") or "",
                )
            )
    return {"claim_diagnosis": dx, "claim_procedure": px, "claim_line": lines}


def _flatten_encounter(rows: Sequence[Row]) -> dict[str, list[Row]]:
    out: list[Row] = []
    for encounter_id, patient_id, type_codes, reason_codes in rows:
        for kind, raw in (("type", type_codes), ("reason", reason_codes)):
            for pos, coding in enumerate(orjson.loads(raw or "[]"), start=1):
                system, code = (coding[0] or ""), (coding[1] or "")
                out.append((encounter_id, patient_id, kind, pos, system, _dx_code(system, code)))
    return {"encounter_code": out}


def _flatten_observation(rows: Sequence[Row]) -> dict[str, list[Row]]:
    out: list[Row] = []
    for observation_id, patient_id, components in rows:
        for pos, comp in enumerate(orjson.loads(components or "[]"), start=1):
            value = comp.get("value")
            out.append(
                (
                    observation_id,
                    patient_id,
                    pos,
                    comp.get("code") or "",
                    float(value) if isinstance(value, int | float) else None,
                    comp.get("unit") or "",
                )
            )
    return {"observation_component": out}


def _coded(name: str, source: str, *extra: Col) -> TableSpec:
    return TableSpec(
        name,
        source,
        (
            Col("id", f"{name}_id", INT),
            Col("patient_id", "patient_id", INT),
            Col("encounter_id", "encounter_id", INT),
            Col("system", "system", STR),
            Col("code", "code", STR),
            *extra,
        ),
    )


SNAPSHOT_TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "patient",
        "clinical_patient",
        (
            Col("id", "patient_id", INT),
            Col("organization_id", "organization_id", INT),
            Col("source_id", "source_id", STR),
            Col("birth_date", "birth_date", DATE),
            Col("gender", "gender", STR),
            Col("deceased", "deceased", BOOL),
            Col("deceased_date", "deceased_date", DATE),
            Col("orec", "orec", STR),
            Col("general_practitioner_id", "general_practitioner_id", INT),
        ),
    ),
    TableSpec(
        "coverage",
        "clinical_coverage",
        (
            Col("id", "coverage_id", INT),
            Col("patient_id", "patient_id", INT),
            Col("kind", "kind", STR),
            Col("payer", "payer", STR),
            Col("status", "status", STR),
            Col('"start"', "start_date", DATE),
            Col('"end"', "end_date", DATE),
            Col("dual_status", "dual_status", STR),
            Col("qmb", "qmb", BOOL),
        ),
    ),
    TableSpec(
        "practitioner",
        "clinical_practitioner",
        (
            Col("id", "practitioner_id", INT),
            Col("npi", "npi", STR),
            Col("qualification", "qualification", STR),
        ),
    ),
    TableSpec(
        "condition",
        "clinical_condition",
        (
            Col("id", "condition_id", INT),
            Col("patient_id", "patient_id", INT),
            Col("encounter_id", "encounter_id", INT),
            Col("system", "system", STR),
            Col("code", "code", STR),
            Col("category", "category", STR),
            Col("clinical_status", "clinical_status", STR),
            Col("verification_status", "verification_status", STR),
            Col("onset", "onset", DATE),
            Col("abatement", "abatement", DATE),
            Col("recorded_date", "recorded_date", DATE),
        ),
    ),
    TableSpec(
        "encounter",
        "clinical_encounter",
        (
            Col("id", "encounter_id", INT),
            Col("patient_id", "patient_id", INT),
            Col("encounter_class", "encounter_class", STR),
            Col("class_code", "class_code", STR),
            Col("status", "status", STR),
            Col('"start"', "start_ts", TS),
            Col('"end"', "end_ts", TS),
            Col("admit_source", "admit_source", STR),
            Col("discharge_disposition", "discharge_disposition", STR),
            Col("practitioner_id", "practitioner_id", INT),
        ),
        json_columns=("type_codes", "reason_codes"),
        flatten=_flatten_encounter,
        children={
            "encounter_code": (
                ("encounter_id", INT),
                ("patient_id", INT),
                ("kind", STR),
                ("position", INT),
                ("system", STR),
                ("code", STR),
            )
        },
    ),
    TableSpec(
        "observation",
        "clinical_observation",
        (
            Col("id", "observation_id", INT),
            Col("patient_id", "patient_id", INT),
            Col("encounter_id", "encounter_id", INT),
            Col("code", "code", STR),
            Col("category", "category", STR),
            Col("status", "status", STR),
            Col("effective", "effective_ts", TS),
            Col("value", "value", FLT),
            Col("unit", "unit", STR),
        ),
        json_columns=("components",),
        flatten=_flatten_observation,
        children={
            "observation_component": (
                ("observation_id", INT),
                ("patient_id", INT),
                ("position", INT),
                ("code", STR),
                ("value", FLT),
                ("unit", STR),
            )
        },
    ),
    _coded(
        "medication",
        "clinical_medication",
        Col("resource_type", "resource_type", STR),
        Col("status", "status", STR),
        Col("authored_on", "authored_on", DATE),
        Col('"start"', "start_date", DATE),
        Col('"end"', "end_date", DATE),
    ),
    _coded(
        "immunization",
        "clinical_immunization",
        Col("status", "status", STR),
        Col("occurrence", "occurrence", DATE),
    ),
    _coded(
        "procedure",
        "clinical_procedure",
        Col("status", "status", STR),
        Col("performed", "performed", DATE),
    ),
    TableSpec(
        "claim",
        "clinical_claim",
        (
            Col("id", "claim_id", INT),
            Col("patient_id", "patient_id", INT),
            Col("encounter_id", "encounter_id", INT),
            Col("claim_type", "claim_type", STR),
            Col("status", "status", STR),
            Col('"start"', "start_date", DATE),
            Col('"end"', "end_date", DATE),
            Col("place_of_service", "place_of_service", STR),
            Col("payer", "payer", STR),
            Col("provider_npi", "provider_npi", STR),
            Col("practitioner_id", "practitioner_id", INT),
            Col("total_amount", "total_amount", FLT),
            Col("payment_amount", "payment_amount", FLT),
        ),
        json_columns=("diagnosis_codes", "procedure_codes", "line_codes"),
        flatten=_flatten_claim,
        children={
            "claim_diagnosis": (
                ("claim_id", INT),
                ("patient_id", INT),
                ("position", INT),
                ("code", STR),
            ),
            "claim_procedure": (
                ("claim_id", INT),
                ("patient_id", INT),
                ("position", INT),
                ("code", STR),
            ),
            "claim_line": (
                ("claim_id", INT),
                ("patient_id", INT),
                ("position", INT),
                ("system", STR),
                ("code", STR),
                ("line_date", DATE),
                ("units", FLT),
                ("amount", FLT),
                ("pos", STR),
            ),
        },
    ),
)


# --------------------------------------------------------------------------- reading


def connect(database: str | Path) -> Any:
    """A DB-API connection: ``postgres://`` / ``postgresql://`` URL via psycopg, else a SQLite path."""
    text = str(database)
    if text.startswith(("postgres://", "postgresql://")):
        import psycopg

        return psycopg.connect(text.replace("postgres://", "postgresql://", 1))
    path = text.removeprefix("sqlite:///")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, detect_types=0)


def _batches(con: Any, sql: str) -> Iterator[list[Row]]:
    if isinstance(con, sqlite3.Connection) or not _is_psycopg(con):
        cur = con.cursor()
        cur.execute(sql)
    else:
        # a server-side cursor on PostgreSQL; WITH HOLD so it also works in autocommit mode
        cur = con.cursor(name="careloop_snapshot", withhold=True)
        cur.itersize = BATCH_ROWS
        cur.execute(sql)
    try:
        while rows := cur.fetchmany(BATCH_ROWS):
            yield rows
    finally:
        cur.close()


def _is_psycopg(con: Any) -> bool:
    return type(con).__module__.startswith("psycopg")


def _array(values: Sequence[Any], typ: pa.DataType) -> pa.Array:
    """Build a column from DB values (SQLite gives text dates and 0/1 booleans, psycopg objects)."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, str) and typ in (DATE, TS):
        if typ == DATE:
            return pa.array([v[:10] if v else None for v in values], STR).cast(DATE)
        return pa.array([v.replace("T", " ")[:26] if v else None for v in values], STR).cast(TS)
    if typ == TS and sample is not None and getattr(sample, "tzinfo", None) is not None:
        return pa.array(
            [v.astimezone(_UTC).replace(tzinfo=None) if v else None for v in values], TS
        )
    if typ == BOOL:
        return pa.array([None if v is None else bool(v) for v in values], BOOL)
    if typ == FLT:
        return pa.array([None if v is None else float(v) for v in values], FLT)
    return pa.array(values, typ)


def _table(rows: Sequence[Row], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(schema)
    return pa.Table.from_arrays(
        [_array(col, f.type) for col, f in zip(columns, schema, strict=True)], schema=schema
    )


@dataclass
class SnapshotResult:
    directory: Path
    rows: dict[str, int]
    files: dict[str, Path]
    seconds: float
    input_hash: str


def snapshot(
    database: str | Path | Any,
    out: Path,
    *,
    organization_id: int | None = None,
    tables: Sequence[TableSpec] = SNAPSHOT_TABLES,
) -> SnapshotResult:
    """Write one Parquet file per table into ``out`` and return row counts and the input hash.

    ``database`` is a SQLite path, a ``postgres://`` URL, or an open DB-API connection (which is
    left open: the Django side may pass its own). ``organization_id`` limits the snapshot to one
    organization's rows (an integer, never text).
    """
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    owned = isinstance(database, str | Path)
    con: Any = connect(database) if owned else database
    rows: dict[str, int] = {}
    files: dict[str, Path] = {}
    try:
        for spec in tables:
            _snapshot_table(con, spec, out, rows, files, organization_id)
    finally:
        if owned:
            con.close()
    return SnapshotResult(out, rows, files, time.perf_counter() - started, input_hash(files))


def _snapshot_table(
    con: Any,
    spec: TableSpec,
    out: Path,
    rows: dict[str, int],
    files: dict[str, Path],
    organization_id: int | None,
) -> None:
    schema = pa.schema([(c.name, c.type) for c in spec.columns])
    child_schemas = {k: pa.schema(list(v)) for k, v in spec.children.items()}
    select = ", ".join(c.expr for c in spec.columns)
    json_cols = "".join(f", {c}" for c in spec.json_columns)
    where = ""
    if organization_id is not None:
        where = f" WHERE organization_id = {int(organization_id)}"
    sql = f"SELECT {select}{json_cols} FROM {spec.source}{where} ORDER BY id"
    writers = {spec.name: pq.ParquetWriter(out / f"{spec.name}.parquet", schema)}
    for child, child_schema in child_schemas.items():
        writers[child] = pq.ParquetWriter(out / f"{child}.parquet", child_schema)
    counts = dict.fromkeys(writers, 0)
    n = len(spec.columns)
    try:
        for batch in _batches(con, sql):
            main = [r[:n] for r in batch] if spec.json_columns else batch
            writers[spec.name].write_table(_table(main, schema))
            counts[spec.name] += len(batch)
            if spec.flatten is not None:
                keys = (0, 1)  # own id and patient_id come first in every flattened spec
                payload = [tuple(r[k] for k in keys) + tuple(r[n:]) for r in batch]
                for child, child_rows in spec.flatten(payload).items():
                    if child_rows:
                        writers[child].write_table(_table(child_rows, child_schemas[child]))
                    counts[child] += len(child_rows)
    finally:
        for writer in writers.values():
            writer.close()
    for name, count in counts.items():
        rows[name] = count
        files[name] = out / f"{name}.parquet"


def input_hash(files: dict[str, Path]) -> str:
    """SHA-256 over the snapshot files' names and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0")
        with files[name].open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()
