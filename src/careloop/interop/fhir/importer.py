"""`careloop import fhir`: Bundles and Bulk NDJSON into the clinical record.

Guarantees (issue 8): idempotent (natural key + content hash), atomic per Bundle, NDJSON
streamed in chunks with bounded memory, every bad record reported with file, line or entry,
resource type and id, and what is wrong; R4 types careloop does not model are counted as
skipped, types that are not R4 are errors.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import transaction
from django.utils import timezone

from careloop.interop.models import ImportRun

from . import coverage_derivation
from .mappers import MAPPERS, MapContext, Row
from .readers import BundleUnit, NdjsonLine, ReadError, collect_files, read_json_file, read_ndjson
from .report import COUNTS, Report
from .resource_types import OTHER_VERSION_TYPES, R4_RESOURCE_TYPES
from .values import MappingError
from .writer import UnresolvedReference, Writer, link_pending

NDJSON_CHUNK = 2000
BUNDLE_TYPES = {"transaction", "batch", "collection", "searchset", "document", "message", ""}
PREFIXED = {"Claim", "ExplanationOfBenefit", "MedicationRequest", "MedicationStatement"}

Progress = Callable[[int, str], None]


def _hash(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


@dataclass
class Mapped:
    row: Row | None  # None: skipped (an R4 type careloop does not model)
    rtype: str
    warnings: list[tuple[str, str]]


class _EntryError(Exception):
    def __init__(self, rtype: str, rid: str, message: str) -> None:
        super().__init__(message)
        self.rtype = rtype
        self.rid = rid
        self.message = message


def map_resource(resource: Any, full_url: str, local: Callable[[str], str | None] | None) -> Mapped:
    """Check and map one resource; raise _EntryError with a precise message when it is bad."""
    if not isinstance(resource, dict):
        raise _EntryError("", "", "entry has no resource object")
    rtype = resource.get("resourceType")
    rid = resource.get("id")
    rid_s = rid if isinstance(rid, str) else ""
    if not isinstance(rtype, str) or not rtype:
        raise _EntryError("", rid_s, "resource has no resourceType")
    if rtype not in R4_RESOURCE_TYPES:
        version = OTHER_VERSION_TYPES.get(rtype)
        if version:
            raise _EntryError(rtype, rid_s, f"{rtype} is a FHIR {version} resource type, not FHIR R4")
        raise _EntryError(rtype, rid_s, f"unknown resource type {rtype!r} (not a FHIR R4 resource type)")
    if rtype == "Bundle":
        raise _EntryError(rtype, rid_s, "a Bundle nested inside a Bundle or NDJSON line is not supported")
    sid = rid_s or (full_url.rsplit(":", 1)[-1] if full_url.startswith("urn:") else "")
    if rid is not None and not isinstance(rid, str):
        raise _EntryError(rtype, str(rid), "id: must be a string")
    if not sid:
        raise _EntryError(rtype, "", "resource has no id (and its entry no urn:uuid fullUrl)")
    mapper = MAPPERS.get(rtype)
    if mapper is None:
        return Mapped(None, rtype, [])
    ctx = MapContext(local)
    try:
        row = mapper(resource, ctx, f"{rtype}/{sid}" if rtype in PREFIXED else sid)
    except MappingError as exc:
        raise _EntryError(rtype, sid, str(exc)) from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise _EntryError(rtype, sid, f"unexpected structure: {type(exc).__name__}: {exc}") from None
    return Mapped(row, rtype, ctx.warnings)


class FhirImport:
    def __init__(
        self,
        organization_id: int,
        source_system: str = "fhir",
        user_id: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.organization_id = organization_id
        self.source_system = source_system
        self.user_id = user_id
        self.progress = progress or (lambda n, label: None)

    def run(self, paths: list[str], kind: str = "fhir") -> tuple[ImportRun, Report]:
        started = time.perf_counter()
        run = ImportRun.objects.create(
            organization_id=self.organization_id,
            kind=kind,
            source_system=self.source_system,
            paths=[str(p) for p in paths],
            started_by_id=self.user_id,
        )
        report = Report(paths=[str(p) for p in paths])
        writer = Writer(self.organization_id, self.source_system, run.pk)
        files, problems = collect_files(paths)
        for problem in problems:
            report.error({"file": problem.file}, problem.message)
        report.files = len(files)
        deferred = []
        for f in files:
            if f.name.endswith(".ndjson") or f.name.endswith(".ndjson.gz"):
                self._ndjson(f, writer, report)
            else:
                unit = read_json_file(f)
                if isinstance(unit, ReadError):
                    report.error({"file": unit.file}, unit.message)
                elif not self._bundle(unit, writer, report, defer_unresolved=True):
                    deferred.append(f)
        # Bundles whose patient was not loaded yet: retry once everything else is in, so
        # the order of files on the command line does not matter.
        for f in deferred:
            unit = read_json_file(f)
            if not isinstance(unit, ReadError):
                self._bundle(unit, writer, report)
        with transaction.atomic():
            for model_name, key, n in link_pending(writer):
                report.warning(
                    {"resource_type": model_name, "reference": key},
                    f"{n} reference(s) to {key} not resolved yet; they link when that resource is imported",
                )
            coverage_derivation.derive(writer, report)
        report.seconds = time.perf_counter() - started
        run.report = report.as_dict()
        run.status = ImportRun.Status.SUCCEEDED if report.ok else ImportRun.Status.FAILED
        run.finished_at = timezone.now()
        run.save(update_fields=["report", "status", "finished_at"])
        return run, report

    # --- one Bundle (or standalone resource) ------------------------------------------------

    def _bundle(self, unit: BundleUnit, writer: Writer, report: Report, defer_unresolved: bool = False) -> bool:
        """Store one Bundle whole or not at all; False when deferred for a later retry."""
        if unit.bundle_type not in BUNDLE_TYPES:
            report.error({"file": unit.file}, f"Bundle.type {unit.bundle_type!r} is not importable")
            return True
        local: dict[str, str] = {}
        for e in unit.entries:
            r = e.resource
            if e.full_url and isinstance(r, dict) and isinstance(r.get("id"), str):
                local[e.full_url] = f"{r.get('resourceType')}/{r['id']}"
            elif e.full_url.startswith("urn:uuid:") and isinstance(r, dict):
                local[e.full_url] = f"{r.get('resourceType')}/{e.full_url[9:]}"
        rows: list[Row] = []
        hashes: list[str] = []
        counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
        types_seen: list[str] = []
        errors: list[tuple[dict[str, Any], str]] = []
        warnings: list[tuple[dict[str, Any], str]] = []
        for e in unit.entries:
            where: dict[str, Any] = {"file": unit.file}
            if e.index is not None:
                where["entry"] = e.index
            try:
                mapped = map_resource(e.resource, e.full_url, local.get)
            except _EntryError as exc:
                errors.append(({**where, "resource_type": exc.rtype, "id": exc.rid}, exc.message))
                types_seen.append(exc.rtype or "(unknown)")
                continue
            types_seen.append(mapped.rtype)
            rid = e.resource.get("id", "")
            for path, message in mapped.warnings:
                warnings.append(({**where, "resource_type": mapped.rtype, "id": rid, "path": path}, message))
            if mapped.warnings:
                counts[mapped.rtype]["warned"] += 1
            if mapped.row is None:
                counts[mapped.rtype]["skipped"] += 1
                continue
            rows.append(mapped.row)
            hashes.append(_hash(orjson.dumps(e.resource)))
            for extra in mapped.row.extra:
                rows.append(extra)
                hashes.append(_hash(orjson.dumps(extra.fields, default=str)))
        if not errors and rows:
            try:
                with transaction.atomic():
                    writer.write(rows, hashes, counts)
            except UnresolvedReference as exc:
                if defer_unresolved:
                    return False
                errors.append(
                    (
                        {"file": unit.file, "resource_type": exc.row.model, "id": exc.row.source_id, "path": exc.field},
                        str(exc),
                    )
                )
        for where, message in warnings:
            report.warning(where, message)
        if errors:
            for where, message in errors:
                report.error(where, message)
            for rtype in types_seen:
                report.count(rtype, "failed")
            if len(unit.entries) > 1:
                report.error(
                    {"file": unit.file},
                    f"Bundle not stored: {len(errors)} bad entr{'y' if len(errors) == 1 else 'ies'}; "
                    f"none of its {len(unit.entries)} entries were written",
                )
            return True
        for rtype, c in counts.items():
            for k, v in c.items():
                report.count(rtype, k, v)
        self.progress(len(unit.entries), unit.file)
        return True

    # --- Bulk NDJSON ----------------------------------------------------------------------

    def _ndjson(self, path: Any, writer: Writer, report: Report) -> None:
        batch: list[NdjsonLine] = []
        for item in read_ndjson(path):
            if isinstance(item, ReadError):
                report.error({"file": item.file}, item.message)
                break
            batch.append(item)
            if len(batch) >= NDJSON_CHUNK:
                self._ndjson_chunk(batch, writer, report)
                batch = []
        if batch:
            self._ndjson_chunk(batch, writer, report)

    def _ndjson_chunk(self, lines: list[NdjsonLine], writer: Writer, report: Report) -> None:
        rows: list[Row] = []
        hashes: list[str] = []
        wheres: dict[int, dict[str, Any]] = {}
        for ln in lines:
            where: dict[str, Any] = {"file": ln.file, "line": ln.line}
            try:
                resource = orjson.loads(ln.raw)
            except orjson.JSONDecodeError as exc:
                report.error(where, f"malformed or truncated JSON: {exc}")
                report.count("(unparseable)", "failed")
                continue
            try:
                mapped = map_resource(resource, "", None)
            except _EntryError as exc:
                report.error({**where, "resource_type": exc.rtype, "id": exc.rid}, exc.message)
                report.count(exc.rtype or "(unknown)", "failed")
                continue
            for path, message in mapped.warnings:
                report.warning({**where, "resource_type": mapped.rtype, "id": resource.get("id"), "path": path}, message)
            if mapped.warnings:
                report.count(mapped.rtype, "warned")
            if mapped.row is None:
                report.count(mapped.rtype, "skipped")
                continue
            wheres[id(mapped.row)] = {**where, "resource_type": mapped.rtype, "id": resource.get("id")}
            rows.append(mapped.row)
            hashes.append(_hash(ln.raw.rstrip(b"\r\n")))
            for extra in mapped.row.extra:
                wheres[id(extra)] = wheres[id(mapped.row)]
                rows.append(extra)
                hashes.append(_hash(orjson.dumps(extra.fields, default=str)))
        while rows:
            counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
            try:
                with transaction.atomic():
                    writer.write(rows, hashes, counts)
            except UnresolvedReference as exc:
                # report the line, drop it, and write the rest of the chunk again
                i = next(i for i, r in enumerate(rows) if r is exc.row)
                where = wheres[id(exc.row)]
                report.error({**where, "path": exc.field}, str(exc))
                report.count(where["resource_type"], "failed")
                del rows[i]
                del hashes[i]
                continue
            for rtype, c in counts.items():
                for k, v in c.items():
                    report.count(rtype, k, v)
            break
        self.progress(len(lines), lines[0].file if lines else "")
