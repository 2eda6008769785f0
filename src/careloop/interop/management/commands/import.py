"""`careloop import fhir PATH... [--report report.json] [--organization SLUG]`.

`careloop import claims --format rif|tuva|bluebutton|cclf PATH... [--report report.json]`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from careloop.accounts.services import get_or_create_organization
from careloop.interop.claims.runner import FORMATS as CLAIMS_FORMATS
from careloop.interop.claims.runner import ClaimsImport
from careloop.interop.fhir.importer import FhirImport


class Command(BaseCommand):
    help = "Import data into the clinical record (FHIR R4 Bundles and Bulk NDJSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="source", required=True, metavar="{fhir,claims}")
        fhir = sub.add_parser(
            "fhir", help="FHIR R4 Bundles (.json, .json.gz) and Bulk NDJSON (.ndjson[.gz])"
        )
        fhir.add_argument("paths", nargs="+", metavar="PATH")
        claims = sub.add_parser(
            "claims",
            help="claims files: CCW RIF, Tuva input layer, Blue Button 2.0 FHIR, CCLF8",
        )
        claims.add_argument("--format", dest="claims_format", required=True, choices=CLAIMS_FORMATS)
        claims.add_argument("paths", nargs="+", metavar="PATH")
        for p in (fhir, claims):
            p.add_argument("--report", type=Path, help="write the import report JSON here")
            p.add_argument("--organization", default="demo", help="slug of the owning organization")
            p.add_argument(
                "--source-system", default=None, help="provenance label (default: the format)"
            )
            p.add_argument("--quiet", action="store_true", help="no progress bar or summary")

    def handle(self, *args: Any, **opts: Any) -> None:
        org = get_or_create_organization(opts["organization"])
        console = Console(stderr=True)
        show = not opts["quiet"] and console.is_terminal
        with Progress(
            TextColumn("[bold]importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("resources"),
            TextColumn("{task.fields[rate]:>8} /s"),
            TimeElapsedColumn(),
            console=console,
            disable=not show,
            transient=True,
        ) as progress:
            task = progress.add_task("import", total=None, rate="")
            import time

            t0 = time.perf_counter()

            def tick(n: int, _label: str) -> None:
                progress.advance(task, n)
                done = progress.tasks[0].completed
                progress.update(task, rate=f"{done / max(time.perf_counter() - t0, 1e-9):,.0f}")

            if opts["source"] == "claims":
                fmt = opts["claims_format"]
                claims = ClaimsImport(org.pk, fmt, opts["source_system"] or fmt, progress=tick)
                run, report = claims.run(opts["paths"])
            else:
                fhir = FhirImport(org.pk, opts["source_system"] or "fhir", progress=tick)
                run, report = fhir.run(opts["paths"])
        data = report.as_dict()
        data["run_id"] = run.pk
        if opts["report"]:
            opts["report"].write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
        if not opts["quiet"]:
            self._summary(Console(), data)
        if not report.ok:
            raise CommandError(
                f"import run {run.pk} finished with {report.error_count} error(s); see the report",
                returncode=1,
            )

    def _summary(self, console: Console, data: dict[str, Any]) -> None:
        table = Table(
            title=f"Import run {data['run_id']}: {data['totals']['resources']:,} resources "
            f"in {data['seconds']:.1f} s ({data['resources_per_second'] or 0:,}/s)"
        )
        cols = ("created", "updated", "unchanged", "skipped", "failed", "warned")
        table.add_column("resource type")
        for c in cols:
            table.add_column(c, justify="right")
        for rtype, counts in data["by_type"].items():
            table.add_row(rtype, *(f"{counts[c]:,}" for c in cols))
        console.print(table)
        for err in data["errors"][:20]:
            console.print(f"[red]error[/red] {_where(err)}: {err['message']}")
        if data["error_count"] > 20:
            console.print(f"... and {data['error_count'] - 20} more errors (see the report)")
        if data["warning_count"]:
            console.print(f"{data['warning_count']:,} warning(s) (see the report)")
        sys.stdout.flush()


def _where(err: dict[str, Any]) -> str:
    parts = [str(err.get("file", ""))]
    if "line" in err:
        parts.append(f"line {err['line']}")
    if "entry" in err:
        parts.append(f"entry {err['entry']}")
    if err.get("resource_type"):
        parts.append(f"{err['resource_type']}/{err.get('id') or '?'}")
    if err.get("path"):
        parts.append(str(err["path"]))
    return " ".join(parts)
