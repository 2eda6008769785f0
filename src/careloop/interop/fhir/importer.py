"""`careloop import fhir`: Bundles and Bulk NDJSON into the clinical record.

Guarantees (issue 8): idempotent (natural key + content hash), atomic per Bundle, NDJSON
streamed in chunks with bounded memory, every bad record reported with file, line or entry,
resource type and id, and what is wrong; R4 types careloop does not model are counted as
skipped, types that are not R4 are errors.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from careloop.core.collector import CollectorPause
from careloop.interop.models import ImportRun

from . import coverage_derivation
from .mappers import Row
from .mapping import MappedChunk, _EntryError, _hash, map_ndjson_lines, map_resource
from .parallel import ChunkOutcome, RunKey, Workers
from .readers import BundleUnit, ReadError, collect_files, ndjson_chunks, read_json_file
from .report import COUNTS, Report
from .writer import UnresolvedReference, Writer, link_pending

NDJSON_CHUNK = 2000
PARALLEL_MIN_BYTES = 20_000_000  # NDJSON below this is written in this process
CONFLICT_RETRIES = 3
BUNDLE_TYPES = {"transaction", "batch", "collection", "searchset", "document", "message", ""}

Progress = Callable[[int, str], None]


class FhirImport:
    def __init__(
        self,
        organization_id: int,
        source_system: str = "fhir",
        user_id: int | None = None,
        progress: Progress | None = None,
        workers: int | None = None,
        parallel_min_bytes: int = PARALLEL_MIN_BYTES,
    ) -> None:
        self.organization_id = organization_id
        self.source_system = source_system
        self.user_id = user_id
        self.progress = progress or (lambda n, label: None)
        self.workers = workers  # None: CARELOOP_IMPORT_WORKERS, else up to 2 (PostgreSQL only)
        self.parallel_min_bytes = parallel_min_bytes
        self.pool: Workers | None = None
        self.parallel_workers = 0  # how many writer processes the last run used (0: this one)
        self.collector = CollectorPause()

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
        writer = Writer(self.organization_id, self.source_system, run.pk, actor=run.started_by)
        files, problems = collect_files(paths)
        for problem in problems:
            report.error({"file": problem.file}, problem.message)
        report.files = len(files)
        ndjson_bytes = sum(f.stat().st_size for f in files if ".ndjson" in f.name)
        workers = self.workers
        self.parallel_workers = 0
        if workers is None:
            workers = int(os.environ.get("CARELOOP_IMPORT_WORKERS", min(2, os.cpu_count() or 1)))
        if (
            workers > 1
            and ndjson_bytes >= self.parallel_min_bytes
            and connection.vendor == "postgresql"
            and not connection.in_atomic_block  # workers must see what this process stored
        ):
            self.parallel_workers = workers
            self.pool = Workers(
                workers,
                str(connection.settings_dict["NAME"]),
                RunKey(self.organization_id, self.source_system, run.pk, self.user_id),
            )
        ok = False
        try:
            with self.collector:  # a quarter of an import's CPU otherwise (core.collector)
                self._files(files, writer, report)
            ok = True
        finally:
            if self.pool is not None:
                self.pool.close(ok)
                self.pool = None
        t_finish = time.perf_counter()
        self._finish(writer, report)
        report.timings["link_and_derive"] = time.perf_counter() - t_finish
        report.seconds = time.perf_counter() - started
        run.report = report.as_dict()
        run.status = ImportRun.Status.SUCCEEDED if report.ok else ImportRun.Status.FAILED
        run.finished_at = timezone.now()
        run.save(update_fields=["report", "status", "finished_at"])
        return run, report

    def _files(self, files: list[Any], writer: Writer, report: Report) -> None:
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

    def _finish(self, writer: Writer, report: Report) -> None:
        with transaction.atomic():
            for model_name, key, n in link_pending(writer):
                report.warning(
                    {"resource_type": model_name, "reference": key},
                    f"{n} reference(s) to {key} not resolved yet; they link when that resource is imported",
                )
            coverage_derivation.derive(writer, report)

    # --- one Bundle (or standalone resource) ------------------------------------------------

    def _bundle(
        self, unit: BundleUnit, writer: Writer, report: Report, defer_unresolved: bool = False
    ) -> bool:
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
                warnings.append(
                    ({**where, "resource_type": mapped.rtype, "id": rid, "path": path}, message)
                )
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
                        {
                            "file": unit.file,
                            "resource_type": exc.row.model,
                            "id": exc.row.source_id,
                            "path": exc.field,
                        },
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
        self._unit_done(len(unit.entries), unit.file)
        return True

    # --- Bulk NDJSON ----------------------------------------------------------------------

    def _ndjson(self, path: Any, writer: Writer, report: Report) -> None:
        def read_error(error: ReadError) -> None:
            report.error({"file": error.file}, error.message)

        chunks = ndjson_chunks(Path(path), NDJSON_CHUNK, read_error)
        if self.pool is None:
            for file, lines in chunks:
                self._write_chunk(map_ndjson_lines(file, lines), writer, report)
            return

        def done(outcome: ChunkOutcome) -> None:
            report.absorb(outcome.report)
            writer.patient_ids |= outcome.patient_ids
            self._unit_done(outcome.lines, outcome.file)

        self.pool.write_file(chunks, done)

    def _write_chunk(self, chunk: MappedChunk, writer: Writer, report: Report) -> None:
        write_chunk(chunk, writer, report)
        self._unit_done(chunk.lines, chunk.file)

    def _unit_done(self, resources: int, file: str) -> None:
        self.progress(resources, file)
        self.collector.tick()


def write_chunk(chunk: MappedChunk, writer: Writer, report: Report) -> None:
    """Store one mapped NDJSON chunk in its own transaction and report what happened.

    A line whose patient is not stored is reported and dropped, and the rest written again.
    A natural-key conflict means another writer (a parallel worker, or another import of the
    same data) stored one of these resources first: the chunk is written again and finds it.
    """
    for where, message in chunk.errors:
        report.error(where, message)
    for where, message in chunk.warnings:
        report.warning(where, message)
    for rtype, what in chunk.counts:
        report.count(rtype, what)
    rows, hashes, wheres = chunk.rows, chunk.hashes, chunk.wheres
    t_write = time.perf_counter()
    conflicts = 0
    while rows:
        counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
        try:
            with transaction.atomic():
                writer.write(rows, hashes, counts)
        except UnresolvedReference as exc:
            # report the line, drop it, and write the rest of the chunk again
            i = next(i for i, r in enumerate(rows) if r is exc.row)
            where = wheres[i]
            report.error({**where, "path": exc.field}, str(exc))
            report.count(where["resource_type"], "failed")
            del rows[i], hashes[i], wheres[i]
            continue
        except IntegrityError:
            conflicts += 1
            if conflicts > CONFLICT_RETRIES:
                raise
            continue
        for rtype, c in counts.items():
            for k, v in c.items():
                report.count(rtype, k, v)
        break
    report.timings["write"] = report.timings.get("write", 0.0) + time.perf_counter() - t_write
