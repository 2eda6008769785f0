"""`careloop analytics`: population analytics from the console (issue 4).

    careloop analytics run [--as-of YYYY-MM-DD|today|data] [--engine duckdb|spark] [--out DIR]
                           [--organization SLUG] [--quiet]
    careloop analytics nightly [--as-of ...] [--organization SLUG ...] [--now]
    careloop analytics ndjson PATH... --out DIR [--as-of ...] [--npi NPI ...] [--workers N]
    careloop analytics score-hcc ...   (careloop analytics score-hcc --help)

``run`` snapshots the clinical record to Parquet, runs the marts and stores the findings
(pipeline_run.run_population_analytics); ``--as-of`` defaults to today, ``data`` takes the
data's own latest date; results and ``manifest.json`` go to ``--out`` (default
``$CARELOOP_HOME/analytics/latest``, or ``.../<slug>/latest`` with ``--organization``).

``ndjson`` analyses a Bulk FHIR NDJSON export without importing it (decision 0013): the
snapshot is made straight from the files, the marts run on it, and the results and manifest go
to ``--out``; nothing is stored in the database (the ids are the snapshot's own, not the
record's). ``--npi`` names the billing practitioners whose visits qualify (CCM-020; none: every one).

``nightly`` is what the schedule calls (docs/analytics.md, "Nightly schedule"): one task per
organization on the django-tasks queue, for the worker (``careloop db_worker``) to run; with
``--now`` the runs happen here, one after another, without a worker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careloop.population.pipeline_run import AsOfError, run_population_analytics


class Command(BaseCommand):
    help = "Population analytics: `run` one pipeline run, `nightly` one per organization."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        run = sub.add_parser("run", help="snapshot the clinical record and run every mart")
        run.add_argument("--as-of", default="today", help="YYYY-MM-DD, 'today' or 'data'")
        run.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
        run.add_argument("--out", type=Path, help="results directory")
        run.add_argument("--organization", help="slug: only this organization's patients")
        run.add_argument("--quiet", action="store_true")
        nightly = sub.add_parser(
            "nightly", help="enqueue one analytics run per organization (the nightly schedule)"
        )
        nightly.add_argument("--as-of", default="today", help="YYYY-MM-DD, 'today' or 'data'")
        nightly.add_argument(
            "--organization",
            action="append",
            metavar="SLUG",
            help="only these organizations (repeatable); default every organization",
        )
        nightly.add_argument(
            "--now", action="store_true", help="run here, one after another, instead of enqueueing"
        )
        nd = sub.add_parser("ndjson", help="analyse a Bulk FHIR NDJSON export without importing it")
        nd.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        nd.add_argument("--out", type=Path, required=True, help="results directory")
        nd.add_argument("--as-of", default="data", help="YYYY-MM-DD, 'today' or 'data' (default)")
        nd.add_argument(
            "--npi", action="append", default=[], help="a billing practitioner's NPI (repeatable)"
        )
        nd.add_argument("--workers", type=int, default=0, help="mapping processes (0: here)")
        nd.add_argument("--quiet", action="store_true")
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
        elif options["subcommand"] == "nightly":
            self._nightly(options)
        elif options["subcommand"] == "ndjson":
            self._ndjson(options)

    @staticmethod
    def _organization(slug: str) -> Any:
        from careloop.accounts.models import Organization

        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            raise CommandError(f"no organization with slug {slug!r}")
        return org

    def _progress(self, quiet: bool) -> Callable[[str, int, int], None]:
        """One line per mart as the run reaches it, unless --quiet."""

        def progress(name: str, i: int, n: int) -> None:
            if not quiet:
                self.stdout.write(f"  [{i + 1}/{n}] {name}")

        return progress

    def _run(self, options: dict[str, Any]) -> None:
        org = self._organization(options["organization"]) if options["organization"] else None
        progress = self._progress(options["quiet"])
        try:
            result = run_population_analytics(
                organization=org,
                as_of=options["as_of"],
                engine_name=options["engine"],
                out=options["out"],
                progress=progress,
            )
        except AsOfError as err:
            raise CommandError(str(err)) from err
        run = result.run
        total = result.snapshot_seconds + result.marts_seconds
        self.stdout.write(
            f"analytics run {run.run_id} as of {run.as_of} on {run.engine}: "
            f"{result.patients} patients, snapshot {result.snapshot_seconds:.2f} s, "
            f"marts {result.marts_seconds:.2f} s, total {total:.2f} s; results in {result.out}"
        )

    def _ndjson(self, options: dict[str, Any]) -> None:
        from careloop.population.pipeline_run import analyse_ndjson

        missing = [str(p) for p in options["paths"] if not p.exists()]
        if missing:
            raise CommandError(f"no such file or folder: {', '.join(missing)}")
        progress = self._progress(options["quiet"])
        try:
            result = analyse_ndjson(
                options["paths"],
                options["out"],
                as_of=options["as_of"],
                npis=tuple(options["npi"]),
                workers=options["workers"],
                progress=progress,
            )
        except AsOfError as err:
            raise CommandError(str(err)) from err
        for where, message in result.problems[:20]:
            place = ", ".join(f"{k} {v}" for k, v in where.items())
            self.stderr.write(f"{place}: {message}")
        if result.problem_count > 20:
            self.stderr.write(f"... and {result.problem_count - 20} more problems")
        self.stdout.write(
            f"analytics run {result.manifest.run_id} as of {result.manifest.as_of}: "
            f"{result.patients} patients, {result.problem_count} problems, "
            f"snapshot {result.snapshot_seconds:.2f} s, marts {result.manifest.seconds:.2f} s; "
            f"results in {result.out}"
        )

    def _nightly(self, options: dict[str, Any]) -> None:
        from careloop.accounts.models import Organization
        from careloop.population.tasks import run_organization_analytics

        if options["organization"]:
            orgs = [self._organization(slug) for slug in options["organization"]]
        else:
            orgs = list(Organization.objects.order_by("slug"))
        if not orgs:
            self.stdout.write("no organizations: nothing to run")
            return
        for org in orgs:
            if options["now"]:
                try:
                    result = run_population_analytics(organization=org, as_of=options["as_of"])
                except AsOfError as err:
                    raise CommandError(f"{org.slug}: {err}") from err
                self.stdout.write(
                    f"{org.slug}: analytics run {result.run.run_id} as of {result.run.as_of}, "
                    f"{result.patients} patients"
                )
            else:
                queued = run_organization_analytics.enqueue(org.slug, options["as_of"])
                self.stdout.write(f"{org.slug}: queued analytics run (task {queued.id})")
