"""`careloop generate --patients N --seed S --out DIR [--as-of DATE] [--gzip] [--workers W]`.

Writes a synthetic Medicare population as FHIR R4 Bulk Data NDJSON (one file per resource
type) with `careloop.interop.synth`. The default as-of date is fixed
(`careloop.interop.synth.clock.DEFAULT_AS_OF`, 2026-12-01) so the same seed always gives the
same bytes; `--as-of today` dates the data relative to today instead (for a live demo).
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from careloop.interop.synth.clock import DEFAULT_AS_OF
from careloop.interop.synth.writer import generate


def _as_of(value: str | None) -> date:
    if value is None:
        return DEFAULT_AS_OF
    if value == "today":
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of: not a date (YYYY-MM-DD or 'today'): {value!r}") from exc


class Command(BaseCommand):
    help = "Generate a synthetic Medicare population as FHIR R4 Bulk Data NDJSON."
    requires_system_checks: list[str] = []  # writes files only: no database, no models

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, required=True, help="number of patients")
        parser.add_argument(
            "--seed", type=int, default=1, help="random seed (same seed, same bytes)"
        )
        parser.add_argument("--out", required=True, help="output directory")
        parser.add_argument(
            "--as-of",
            dest="as_of",
            default=None,
            help=f"the date the data leads up to, YYYY-MM-DD or 'today' (default {DEFAULT_AS_OF.isoformat()})",
        )
        parser.add_argument("--gzip", action="store_true", help="write .ndjson.gz files")
        parser.add_argument(
            "--workers", type=int, default=None, help="worker processes (default: CPU count)"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")

    def handle(self, *args: Any, **opts: Any) -> None:
        patients = opts["patients"]
        if patients < 1:
            raise CommandError("--patients must be at least 1")
        if opts["seed"] < 0:
            raise CommandError("--seed must be a non-negative integer")
        as_of = _as_of(opts["as_of"])
        workers = opts["workers"] or os.cpu_count() or 1
        console = Console(stderr=True)
        show = not opts["quiet"] and console.is_terminal
        with Progress(
            TextColumn("[bold]generating"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "patients · {task.fields[resources]:,} resources · {task.fields[rate]:,.0f} patients/s"
            ),
            TimeElapsedColumn(),
            console=console,
            disable=not show,
        ) as progress:
            task = progress.add_task("generate", total=patients, resources=0, rate=0.0)

            def on_progress(done: int, resources: int) -> None:
                elapsed = max(progress.tasks[0].elapsed or 0.0, 1e-9)
                progress.update(task, completed=done, resources=resources, rate=done / elapsed)

            summary = generate(
                opts["out"],
                patients=patients,
                seed=opts["seed"],
                as_of=as_of,
                compress=opts["gzip"],
                workers=workers,
                on_progress=on_progress,
            )
        if not opts["quiet"]:
            rate = summary.patients / summary.seconds if summary.seconds else 0.0
            self.stdout.write(
                f"{summary.patients:,} patients, {summary.resources:,} resources in {summary.seconds:.1f} s "
                f"({rate:,.0f} patients/s, {summary.resources / max(summary.seconds, 1e-9):,.0f} resources/s), "
                f"as of {as_of.isoformat()}, into {opts['out']}"
            )
            for kind, count in summary.counts.items():
                self.stdout.write(f"  {kind:22s} {count:>12,}")
