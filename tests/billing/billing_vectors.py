"""Reading and checking billing vectors (medicare-rules.md §9) for the billing tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from careloop.billing.engine.explain import explain

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / "shared" / "spec" / "vectors" / "billing"
OWN = HERE / "vectors"


def load(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]


def mismatches(vector: dict[str, Any]) -> list[str]:
    """What differs between the engine's answer and the vector's expectation (§9)."""
    result = explain(vector["scenario"])
    expect = vector["expect"]
    problems = []
    got_lines = {(line["code"], line["units"]) for line in result["lines"]}
    want_lines = {(line["code"], line["units"]) for line in expect["lines"]}
    if got_lines != want_lines:
        problems.append(f"lines: got {sorted(got_lines)}, expected {sorted(want_lines)}")
    got = {item["program"]: item["reasons"] for item in result["not_billable"]}
    want = {item["program"]: item.get("reasons_mention", []) for item in expect["not_billable"]}
    if set(got) != set(want):
        problems.append(f"not billable: got {sorted(got)}, expected {sorted(want)}")
    for program, words in want.items():
        reasons = [reason.lower() for reason in got.get(program, [])]
        for word in words:
            if not any(word.lower() in reason for reason in reasons):
                problems.append(f"{program}: no reason mentions {word!r}: {got.get(program)}")
    for item in result["not_billable"]:
        if not item["reasons"]:
            problems.append(f"{item['program']} is not billable without a reason (BILL-010)")
    if problems:
        problems.append("answer: " + json.dumps(result, indent=1))
    return problems
