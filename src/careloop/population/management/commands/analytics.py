"""`careloop analytics run`: snapshot the clinical record to Parquet and run the marts (issue 4).

    careloop analytics run [--as-of YYYY-MM-DD|data] [--engine duckdb|spark] [--out DIR]
                           [--organization SLUG]

``--as-of`` defaults to today; ``data`` takes the data's own latest date. The Django side only
gathers the settings (the database connection, the organization's billing practitioners) and
calls the pure pipeline in ``careloop.analytics``; results and ``manifest.json`` are written to
``--out`` (default ``$CARELOOP_HOME/analytics/latest``).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from careloop.analytics.engine import make_engine
from careloop.analytics.pipeline import latest_data_date, run_marts
from careloop.analytics.reference import AnalyticsConfig
from careloop.analytics.snapshot import snapshot
from careloop.population.services import store_results


class Command(BaseCommand):
    help = "Population analytics. `run`: snapshot the record and run the marts."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        run = sub.add_parser("run", help="snapshot the clinical record and run every mart")
        run.add_argument("--as-of", default="today", help="YYYY-MM-DD, 'today' or 'data'")
        run.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
        run.add_argument("--out", type=Path, help="results directory")
        run.add_argument("--organization", help="slug: only this organization's patients")
        run.add_argument("--quiet", action="store_true")
        sub.add_parser(
            "score-hcc",
            help="score a members/diagnoses extract with CMS-HCC "
            "(careloop analytics score-hcc --help)",
            add_help=False,
        )

    def run_from_argv(self, argv: list[str]) -> None:
        # `score-hcc` is a plain CLI over the pure scorer, with its own arguments and exit
        # status (0 scored, 1 extract errors, 2 bad arguments); it needs no database.
        if len(argv) > 2 and argv[2] == "score-hcc":
            from careloop.analytics.hcc.cli import main

            raise SystemExit(main(argv[3:]))
        super().run_from_argv(argv)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "run":
            self._run(options)

    def _run(self, options: dict[str, Any]) -> None:
        from careloop.accounts.models import Membership, Organization, Role

        out: Path = options["out"] or Path(settings.HOME) / "analytics" / "latest"
        snap_dir = out / "snapshot"
        if snap_dir.exists():
            shutil.rmtree(snap_dir)
        org_id = None
        npis: list[str] = []
        memberships = Membership.objects.filter(role=Role.BILLING_PRACTITIONER).exclude(npi="")
        if options["organization"]:
            org = Organization.objects.filter(slug=options["organization"]).first()
            if org is None:
                raise CommandError(f"no organization with slug {options['organization']!r}")
            org_id = org.pk
            memberships = memberships.filter(organization=org)
        npis = sorted(set(memberships.values_list("npi", flat=True)))
        connection.ensure_connection()
        snap = snapshot(connection.connection, snap_dir, organization_id=org_id)
        as_of = self._as_of(options["as_of"], snap_dir)
        config = AnalyticsConfig(billing_practitioner_npis=tuple(npis))
        engine = make_engine(options["engine"])
        quiet = options["quiet"]

        def progress(name: str, i: int, n: int) -> None:
            if not quiet:
                self.stdout.write(f"  [{i + 1}/{n}] {name}")

        try:
            manifest = run_marts(
                engine,
                snap_dir,
                as_of,
                out=out,
                config=config,
                progress=progress,
                snapshot_rows=snap.rows,
            )
        finally:
            engine.close()
        total = snap.seconds + manifest.seconds
        self.stdout.write(
            f"analytics run {manifest.run_id} as of {manifest.as_of} on {manifest.engine}: "
            f"{snap.rows.get('patient', 0)} patients, snapshot {snap.seconds:.2f} s, "
            f"marts {manifest.seconds:.2f} s, total {total:.2f} s; results in {out}"
        )
        store_results(out)

    @staticmethod
    def _as_of(value: str, snap_dir: Path) -> date:
        if value == "today":
            return date.today()
        if value == "data":
            latest = latest_data_date(snap_dir)
            if latest is None:
                raise CommandError("--as-of data: the record has no dated claims or encounters")
            return latest
        try:
            return date.fromisoformat(value)
        except ValueError as err:
            raise CommandError(
                f"--as-of: expected YYYY-MM-DD, 'today' or 'data', got {value!r}"
            ) from err
