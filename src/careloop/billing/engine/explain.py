"""`careloop billing explain` without Django: a scenario in, the explanation as JSON or text."""

from __future__ import annotations

from typing import Any

from careloop.billing.engine.context import money
from careloop.billing.engine.evaluate import evaluate
from careloop.billing.engine.model import Explanation, PatientMonth
from careloop.billing.engine.scenario import month_of, parse_scenario
from careloop.billing.rules import Rules, rules_for_year


def read_scenario(data: Any, rules_year: int | None = None) -> tuple[PatientMonth, Rules]:
    """The scenario and the rules year it is billed under (the month's year unless given).
    Raises ScenarioError for a bad scenario and UnknownRulesYear for a year without rules."""
    year = rules_year if rules_year is not None else month_of(data).year
    rules = rules_for_year(year)
    return parse_scenario(data, rules.settings), rules


def explanation_to_dict(explanation: Explanation) -> dict[str, Any]:
    return {
        "month": explanation.month.key,
        "rules_year": explanation.rules_year,
        "lines": [
            {
                "code": line.code,
                "units": line.units,
                "program": line.program,
                "national_payment": money(line.amount_cents),
                "date_of_service": line.date_of_service.isoformat()
                if line.date_of_service
                else None,
                "time_entries": list(line.time_entries),
                "facts": list(line.facts),
                "rules": list(line.rules),
            }
            for line in explanation.lines
        ],
        "not_billable": [
            {
                "program": item.program,
                "reasons": [reason.text for reason in item.reasons],
                "rules": [reason.rule for reason in item.reasons],
            }
            for item in explanation.not_billable
        ],
        "notes": list(explanation.notes),
        "reversals": list(explanation.reversals),
        "national_payment": money(explanation.amount_cents),
    }


def explain(data: Any, rules_year: int | None = None) -> dict[str, Any]:
    pm, rules = read_scenario(data, rules_year)
    return explanation_to_dict(evaluate(pm, rules))


def explanation_to_text(result: dict[str, Any]) -> str:
    """A biller's table: the lines, then what does not bill and why, then the notes."""
    out = [f"Patient-month {result['month']} (rules year {result['rules_year']})", ""]
    if result["lines"]:
        rows = [("code", "units", "program", "national payment", "rests on")]
        for line in result["lines"]:
            rests = "; ".join(line["facts"])
            rows.append(
                (line["code"], str(line["units"]), line["program"], line["national_payment"], rests)
            )
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            out.append(
                "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4]
            )
        out.append(f"total national payment {result['national_payment']}")
    else:
        out.append("no lines this month")
    for item in result["not_billable"]:
        out.append("")
        out.append(f"{item['program']} does not bill:")
        for reason, rule in zip(item["reasons"], item["rules"], strict=True):
            out.append(f"  - {reason} ({rule})")
    if result["notes"]:
        out.append("")
        out.append("notes:")
        out.extend(f"  - {note}" for note in result["notes"])
    if result["reversals"]:
        out.append("")
        out.append("flag for reversal: " + ", ".join(result["reversals"]))
    return "\n".join(out) + "\n"
