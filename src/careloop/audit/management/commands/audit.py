"""`careloop audit verify`: check the audit hash chains (SEC-005, SEC-006).

Exit 0 and print the number of events checked per chain, with the head hash to keep
elsewhere as an anchor; exit 1 and print the first altered, inserted or deleted event of
each broken chain.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careloop.audit.verify import verify_all


class Command(BaseCommand):
    help = "Audit trail tools. `verify`: check the hash chains and name the first bad event."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        verify = sub.add_parser("verify", help="check every audit event against its hash chain")
        verify.add_argument(
            "--database", default="default", help="database alias (default: default)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self._verify(options["database"])

    def _verify(self, using: str) -> None:
        reports = verify_all(using=using)
        broken = [r for r in reports if not r.ok]
        for r in reports:
            state = "intact" if r.ok else "BROKEN"
            self.stdout.write(
                f"{r.table}: {r.checked} events checked, {state}; head seq {r.head_seq} hash {r.head_hash}"
            )
            if r.problem is not None:
                self.stdout.write(f"  first bad event: {r.problem}")
        total = sum(r.checked for r in reports)
        if broken:
            first = "; ".join(str(r.problem) for r in broken)
            raise CommandError(f"audit chain broken — {first}", returncode=1)
        self.stdout.write(f"audit trail intact: {total} events checked")
