"""`careloop import claims`: one run over claims files of one format, with its ImportRun and report.

Same guarantees as the FHIR importer (docs/claims-import.md): idempotent (natural key and
content hash, through the FHIR `Writer`), a claim or beneficiary stored whole or not at all,
every bad record reported with file, line, column and value, and a report JSON with counts per
type. When the same record arrives more than once in a run (RIF `UPDATE` rows, one beneficiary
file per reference year), the last one wins and the earlier ones are counted as skipped, so a
second run over the same files changes nothing. Blue Button 2.0 is FHIR: it is handed to
`FhirImport` with source system `bluebutton`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from careloop.interop.fhir.importer import FhirImport
from careloop.interop.fhir.report import COUNTS, Report
from careloop.interop.fhir.writer import ROW_ORDER, UnresolvedReference, Writer
from careloop.interop.models import ImportRun

from . import cclf, rif, tuva
from .common import Problem, Unit, content_hash

FORMATS = ("rif", "tuva", "bluebutton", "cclf")
BATCH_ROWS = 2000
Progress = Callable[[int, str], None]

_READERS: dict[str, Callable[[Path], tuple[list[Unit], list[Problem]]]] = {
    "rif": rif.read,
    "tuva": tuva.read,
    "cclf": cclf.read,
}
_SUFFIXES = {
    "rif": (".txt", ".csv", ".dat", ".rif"),
    "tuva": (".csv", ".csv.gz"),
    "cclf": None,  # CCLF names carry no extension
}


class ClaimsImport:
    def __init__(
        self,
        organization_id: int,
        fmt: str,
        source_system: str | None = None,
        user_id: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown claims format {fmt!r}: expected one of {', '.join(FORMATS)}")
        self.organization_id = organization_id
        self.fmt = fmt
        self.source_system = source_system or fmt
        self.user_id = user_id
        self.progress = progress or (lambda n, label: None)

    def run(self, paths: list[str]) -> tuple[ImportRun, Report]:
        if self.fmt == "bluebutton":
            job = FhirImport(self.organization_id, self.source_system, self.user_id, self.progress)
            return job.run(paths, kind="bluebutton")
        started = time.perf_counter()
        run = ImportRun.objects.create(
            organization_id=self.organization_id,
            kind=self.fmt,
            source_system=self.source_system,
            paths=[str(p) for p in paths],
            started_by_id=self.user_id,
        )
        report = Report(paths=[str(p) for p in paths])
        files = self._collect(paths, report)
        report.files = len(files)
        units: list[Unit] = []
        for f in files:
            found, problems = _READERS[self.fmt](f)
            units.extend(found)
            for p in problems:
                (report.error if p.error else report.warning)(p.where, p.message)
                if p.skipped and p.label:
                    report.count(p.label, "skipped", p.skipped)
        if self.fmt == "rif":
            rif.merge_history(units)
        writer = Writer(self.organization_id, self.source_system, run.pk, actor=run.started_by)
        self._write(units, writer, report)
        report.seconds = time.perf_counter() - started
        run.report = report.as_dict()
        run.status = ImportRun.Status.SUCCEEDED if report.ok else ImportRun.Status.FAILED
        run.finished_at = timezone.now()
        run.save(update_fields=["report", "status", "finished_at"])
        return run, report

    def _collect(self, paths: list[str], report: Report) -> list[Path]:
        suffixes = _SUFFIXES[self.fmt]
        out: list[Path] = []
        for raw in paths:
            p = Path(raw)
            if p.is_dir():
                for q in sorted(q for q in p.rglob("*") if q.is_file()):
                    name = q.name.lower()
                    if name.endswith(".md"):
                        continue
                    if suffixes is None or name.endswith(suffixes):
                        out.append(q)
            elif p.is_file():
                out.append(p)
            else:
                report.error({"file": str(p)}, "no such file or directory")
        return out

    # --- writing --------------------------------------------------------------------------

    def _write(self, units: list[Unit], writer: Writer, report: Report) -> None:
        good = []
        for u in units:
            for where, message in u.warnings:
                report.warning(where, message)
            if u.warnings:
                report.count(u.label, "warned")
            if u.errors:
                for where, message in u.errors:
                    report.error(where, message)
                report.count(u.label, "failed")
                self.progress(u.lines, u.file)
            elif not u.rows:
                report.count(u.label, "skipped")
                self.progress(u.lines, u.file)
            else:
                good.append(u)
        # the last version of each record in the run wins; earlier ones are skipped
        last: dict[tuple[str, str], int] = {}
        for i, u in enumerate(good):
            for row in u.rows:
                last[(row.model, row.source_id)] = i
        # Patients go in before what points at them, whichever file brought the later version;
        # so a beneficiary's Patient and Coverage may land in different transactions (0007)
        parts: list[tuple[tuple[int, int, str], Unit, list[Any]]] = []
        for i, u in enumerate(good):
            kept: dict[str, list[Any]] = {}
            for r in u.rows:
                if last[(r.model, r.source_id)] == i:
                    kept.setdefault(r.model, []).append(r)
                else:
                    report.count(_label(u, r.model), "skipped")
            if not kept:
                self.progress(u.lines, u.file)
            for model, rows in kept.items():
                parts.append(((u.phase, ROW_ORDER[model], u.label), u, rows))
        parts.sort(key=lambda p: p[0])
        batch: list[tuple[Unit, list[Any]]] = []
        size = 0
        for _key, u, rows in parts:
            if batch and (batch[0][0].label != u.label or size + len(rows) > BATCH_ROWS):
                self._flush(batch, writer, report)
                batch, size = [], 0
            batch.append((u, rows))
            size += len(rows)
        if batch:
            self._flush(batch, writer, report)

    def _flush(self, batch: list[tuple[Unit, list[Any]]], writer: Writer, report: Report) -> None:
        while batch:
            rows = [r for _u, rs in batch for r in rs]
            hashes = [content_hash(r.fields | {"_refs": r.refs}) for r in rows]
            counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
            try:
                with transaction.atomic():
                    writer.write(rows, hashes, counts)
            except UnresolvedReference as exc:
                i = next(i for i, (_u, rs) in enumerate(batch) if any(r is exc.row for r in rs))
                unit = batch[i][0]
                report.error(
                    {"file": unit.file, "line": unit.line, "id": unit.key, "path": exc.field},
                    f"{exc}; import the beneficiary (eligibility) records first or with it",
                )
                report.count(unit.label, "failed")
                del batch[i]
                continue
            label = batch[0][0].label
            for rtype, c in counts.items():
                name = label if rtype == "Claim" else rtype
                for k, v in c.items():
                    report.count(name, k, v)
            self.progress(sum(u.lines for u, _rs in batch), batch[-1][0].file)
            break


def _label(unit: Unit, model: str) -> str:
    return unit.label if model == "Claim" else model
