"""`careloop billing explain`: answers from a file or standard input, rejects bad scenarios
with exit status 2 and a message naming the place and the problem. No database."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from billing_vectors import SHARED

from careloop.billing.engine.scenario import ScenarioError, parse_scenario
from careloop.cli import main

VECTOR = json.loads((SHARED / "ccm-03.json").read_text())


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(["billing", "explain", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _scenario_file(tmp_path: Path, scenario: object) -> str:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario))
    return str(path)


def test_explain_prints_lines_reasons_and_notes_as_json(tmp_path: Path, capsys) -> None:
    code, out, _ = _run(capsys, "--scenario", _scenario_file(tmp_path, VECTOR["scenario"]))
    assert code == 0
    result = json.loads(out)
    assert [(line["code"], line["units"]) for line in result["lines"]] == [
        ("99490", 1),
        ("99439", 1),
    ]
    assert result["not_billable"] == []
    assert "CCM: 15 more minutes for another 99439" in result["notes"]
    assert result["lines"][0]["time_entries"] == [0, 1]


def test_explain_reads_standard_input_and_prints_a_table(monkeypatch, capsys) -> None:
    scenario = dict(VECTOR["scenario"], time=[dict(VECTOR["scenario"]["time"][0], minutes=13)])
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(scenario)))
    code, out, _ = _run(capsys, "--scenario", "-", "--format", "text")
    assert code == 0
    assert "CCM does not bill:" in out
    assert "7 more minutes of clinical staff time for 99490 (13 of 20 countable) (CCM-010)" in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: s["time"].extend([s["time"][0]] + [dict(s["time"][0], minutes=-5)]),
            "time[3].minutes: must be a whole number ≥ 0, got -5",
        ),
        (lambda s: s["time"][0].update(minuts=3), 'unknown field "minuts" in time[0]'),
        (lambda s: s.update(month="2026-3"), 'month: expected YYYY-MM, got "2026-3"'),
        (lambda s: s.update(month="March"), 'month: expected YYYY-MM, got "March"'),
        (
            lambda s: s["time"][1].update(date="2026-02-30"),
            'time[1].date: expected a date YYYY-MM-DD, got "2026-02-30"',
        ),
        (
            lambda s: s["time"][0].update(role="nurse"),
            'time[0].role: expected one of clinical_staff, billing_practitioner, got "nurse"',
        ),
        (
            lambda s: s["consents"].update(XYZ="2026-01-01"),
            "consents.XYZ: unknown program (expected one of CCM, PCM, BHI, RPM, APCM, TCM)",
        ),
        (
            lambda s: s.update(config={"max_99437": -1}),
            "config.max_99437: must be a whole number ≥ 0, got -1",
        ),
        (
            lambda s: s.update(config={"complex_ccm": "by_payment"}),
            "config.complex_ccm: unknown CONFIG setting",
        ),
        (
            lambda s: s["patient"].pop("chronic_condition_codes"),
            'missing field "chronic_condition_codes" in patient',
        ),
        (
            lambda s: s.update(mdm="medium"),
            'mdm: expected one of straightforward, low, moderate, high, got "medium"',
        ),
    ],
    ids=[
        "negative-minutes",
        "unknown-field",
        "month-format",
        "month-word",
        "bad-date",
        "role",
        "program",
        "config-value",
        "config-name",
        "missing-field",
        "mdm",
    ],
)
def test_a_bad_scenario_exits_2_with_the_exact_place_and_problem(
    tmp_path: Path, capsys, change, message
) -> None:
    scenario = json.loads(json.dumps(VECTOR["scenario"]))
    change(scenario)
    code, out, err = _run(capsys, "--scenario", _scenario_file(tmp_path, scenario))
    assert code == 2
    assert err.strip() == f"CommandError: {message}"
    assert out == ""
    with pytest.raises(ScenarioError) as caught:  # the same message from the pure reader
        from careloop.billing.engine.explain import read_scenario

        read_scenario(scenario)
    assert caught.value.problems == [message]


def test_every_problem_is_listed(tmp_path: Path, capsys) -> None:
    scenario = json.loads(json.dumps(VECTOR["scenario"]))
    scenario["time"][0]["minutes"] = 2.5
    scenario["time"][1]["program"] = "XYZ"
    code, _, err = _run(capsys, "--scenario", _scenario_file(tmp_path, scenario))
    assert code == 2
    assert "time[0].minutes: must be a whole number ≥ 0, got 2.5" in err
    assert 'time[1].program: expected one of CCM, PCM, BHI, RPM, APCM, TCM, got "XYZ"' in err


def test_a_rules_year_without_a_file_is_an_error(tmp_path: Path, capsys) -> None:
    scenario = dict(VECTOR["scenario"], month="2024-03")
    code, _, err = _run(capsys, "--scenario", _scenario_file(tmp_path, scenario))
    assert code == 2
    assert "no billing rules for year 2024 (rules years available: 2025, 2026)" in err
    code, _, err = _run(
        capsys, "--scenario", _scenario_file(tmp_path, VECTOR["scenario"]), "--rules-year", "2031"
    )
    assert code == 2
    assert "no billing rules for year 2031" in err


def test_unreadable_input_exits_2(tmp_path: Path, capsys) -> None:
    code, _, err = _run(capsys, "--scenario", str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read" in err
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    code, _, err = _run(capsys, "--scenario", str(bad))
    assert code == 2 and "scenario: not valid JSON: line 1 column 2" in err


def test_the_pure_reader_needs_no_django() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"month": "2026-13", "patient": {}})
    assert caught.value.problems == [
        'month: expected YYYY-MM, got "2026-13"',
        'missing field "chronic_condition_codes" in patient',
        'missing field "seen_by_billing_practitioner_on" in patient',
    ]
