"""`careloop billing explain --scenario FILE|- [--format json|text] [--rules-year YEAR]`.

Runs the pure billing engine on one patient-month described in JSON (the scenario schema,
docs/billing-scenario.schema.json) and prints the claim lines, the programs that do not
bill with every reason, and the notes. A bad scenario, an unreadable file or a rules year
without a rules file exits with status 2 and a message naming the place and the problem.
No database is touched.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from careloop.billing.engine.explain import explain, explanation_to_text
from careloop.billing.engine.scenario import ScenarioError
from careloop.billing.rules import RulesError, UnknownRulesYear


class Command(BaseCommand):  # type: ignore[misc]  # Django ships no type stubs here
    help = (
        "Billing: explain what one patient-month bills and why (`billing explain --scenario FILE`)."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        actions.required = True
        explain_parser = actions.add_parser(
            "explain",
            help="run the billing engine on one scenario and explain the result",
            description="Run the billing engine on one patient-month scenario (JSON).",
        )
        explain_parser.add_argument(
            "--scenario",
            required=True,
            metavar="FILE",
            help="scenario JSON file, or - for standard input",
        )
        explain_parser.add_argument(
            "--format",
            choices=("json", "text"),
            default="json",
            help="json (default) or a readable table",
        )
        explain_parser.add_argument(
            "--rules-year",
            type=int,
            default=None,
            metavar="YEAR",
            help="rules year (default: the year of the scenario's month)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "explain":  # pragma: no cover - argparse allows only explain
            raise CommandError(f"unknown action {options['action']!r}", returncode=2)
        data = _read(options["scenario"])
        if isinstance(data, dict) and "scenario" in data and "month" not in data:
            data = data["scenario"]  # a test vector (§9): explain its scenario
        try:
            result = explain(data, options["rules_year"])
        except ScenarioError as exc:
            raise CommandError(_scenario_message(options["scenario"], exc), returncode=2) from exc
        except (UnknownRulesYear, RulesError) as exc:
            raise CommandError(str(exc.args[0] if exc.args else exc), returncode=2) from exc
        if options["format"] == "text":
            self.stdout.write(explanation_to_text(result), ending="")
        else:
            self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))


def _scenario_message(source: str, exc: ScenarioError) -> str:
    name = "standard input" if source == "-" else source
    if len(exc.problems) == 1:
        return exc.problems[0]
    return f"{len(exc.problems)} problems in {name}:\n" + "\n".join(exc.problems)


def _read(source: str) -> Any:
    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as exc:
        raise CommandError(
            f"--scenario {source}: cannot read: {exc.strerror}", returncode=2
        ) from exc
    except UnicodeDecodeError as exc:
        raise CommandError(f"--scenario {source}: not UTF-8 text", returncode=2) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"scenario: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}",
            returncode=2,
        ) from exc
