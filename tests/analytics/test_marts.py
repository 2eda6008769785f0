"""The marts on a real snapshot (24 demo patients, tests/analytics/fixtures/README.md), on DuckDB."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from careloop.analytics.care_gaps import load_rules as load_care_gap_rules
from careloop.analytics.chronic_conditions import (
    conditions_for_icd10,
    conditions_for_snomed,
    disqualifying_conditions_for_icd10,
)
from careloop.analytics.engine import DuckDBEngine
from careloop.analytics.pipeline import latest_data_date, load_marts, run_marts

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "demo_snapshot"
AS_OF = date(2026, 11, 30)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    engine = DuckDBEngine(threads=1)
    out = tmp_path_factory.mktemp("marts")
    manifest = run_marts(engine, FIXTURE, AS_OF, out=out)
    yield engine, manifest, out
    engine.close()


def rows(engine, name):
    return engine.read_table(name).to_pylist()


def test_as_of_is_the_data_latest_date():
    assert latest_data_date(FIXTURE) == AS_OF


def test_manifest_names_the_run(run):
    engine, manifest, out = run
    saved = json.loads((out / "manifest.json").read_text())
    assert saved["run_id"] == manifest.run_id and len(manifest.run_id) == 32
    assert saved["as_of"] == "2026-11-30"
    assert saved["engine"].startswith("duckdb")
    assert len(saved["input_hash"]) == 64
    assert saved["value_set_version"] and saved["rules_version"]
    assert saved["care_gaps_version"] == load_care_gap_rules().version  # rules/care_gaps.toml
    assert {m["name"] for m in saved["marts"]} == set(load_marts())
    assert all(m["seconds"] >= 0 and len(m["sql_sha256"]) == 64 for m in saved["marts"])
    for mart in load_marts():
        assert (out / f"{mart}.parquet").exists()


def test_code_map_equals_the_one_python_definition(run):
    engine, _, _ = run
    sql_map: dict[tuple[str, str, str], set[str]] = {}
    for r in rows(engine, "cc_code_map"):
        sql_map.setdefault((r["code_system"], r["code"], r["role"]), set()).add(r["condition_id"])
    icd_codes = {code for (system, code, _) in sql_map if system == "icd10cm"}
    icd_codes |= {
        r["code"] for r in engine.run_sql("SELECT DISTINCT code FROM claim_diagnosis").to_pylist()
    }
    for code in icd_codes:
        assert sql_map.get(("icd10cm", code, "include"), set()) == conditions_for_icd10(
            code, include_acute=True
        ), code
        assert sql_map.get(
            ("icd10cm", code, "disqualify"), set()
        ) == disqualifying_conditions_for_icd10(code)
    for (system, code, _), cids in sql_map.items():
        if system == "snomed":
            assert cids == conditions_for_snomed(code, include_acute=True)


def test_every_condition_finding_rests_on_evidence_rows(run):
    engine, _, _ = run
    evidence = {
        (r["patient_id"], r["condition_id"]) for r in rows(engine, "chronic_condition_evidence")
    }
    found = rows(engine, "chronic_conditions")
    assert found
    for r in found:
        assert (r["patient_id"], r["condition_id"]) in evidence
        assert r["met_by_claims"] or r["met_by_ehr_encounters"] or r["met_by_problem_list"]
        assert r["first_met_date"] is None or r["first_met_date"] <= AS_OF
        assert r["evidence_in_period"] >= 1


def test_eligibility_follows_its_rules(run):
    engine, _, _ = run
    groups: dict[int, set[str]] = {}
    for r in rows(engine, "chronic_conditions"):
        if r["chronic"]:
            groups.setdefault(r["patient_id"], set()).add(r["counts_as"])
    elig = rows(engine, "program_eligibility")
    assert len(elig) == 24
    statuses = {r["ccm_status"] for r in elig}
    assert {"eligible", "needs_initiating_visit", "not_eligible"} <= statuses
    for r in elig:
        n = len(groups.get(r["patient_id"], set()))
        assert r["chronic_conditions"] == n
        if r["ccm_status"] == "eligible":
            assert r["alive"] and r["accepted_payer"] and n >= 2
            assert AS_OF - timedelta(days=365) < r["last_qualifying_visit"] <= AS_OF
        if r["ccm_status"] == "needs_initiating_visit":
            assert r["last_qualifying_visit"] is None and "CCM-020" in r["ccm_reasons"]
        if not r["alive"]:
            assert r["ccm_status"] == "not_eligible" and r["apcm_level"] is None
        if r["apcm_level"] == "G0558":
            assert r["qmb"] and n >= 2


def test_tcm_deadline_is_the_second_business_day(run):
    from careloop.billing.engine.business_days import nth_business_day_after

    engine, _, _ = run
    tcm = rows(engine, "tcm_candidate")
    assert tcm
    for r in tcm:
        assert AS_OF - timedelta(days=29) <= r["discharge_date"] <= AS_OF
        assert r["contact_deadline"] == nth_business_day_after(r["discharge_date"], 2)
        assert r["face_to_face_by_14"] == r["discharge_date"] + timedelta(days=14)


def test_utilization_counts_match_their_detail_marts(run):
    engine, _, _ = run
    start = AS_OF - timedelta(days=364)
    stays = rows(engine, "acute_stay")
    readmissions = rows(engine, "readmission")
    for r in rows(engine, "utilization"):
        pid = r["patient_id"]
        assert r["inpatient_admissions"] == sum(
            1 for s in stays if s["patient_id"] == pid and start <= s["admit_date"] <= AS_OF
        )
        assert r["readmissions_30d"] == sum(
            1
            for x in readmissions
            if x["patient_id"] == pid and start <= x["readmit_date"] <= AS_OF
        )
    for x in readmissions:
        assert 1 <= x["days_after_discharge"] <= 30


def test_lace_rests_on_recent_discharges(run):
    engine, _, _ = run
    lace = rows(engine, "lace")
    assert lace
    for r in lace:
        assert AS_OF - timedelta(days=29) <= r["discharge_date"] <= AS_OF
        assert r["lace"] == r["l_points"] + r["a_points"] + r["c_points"] + r["e_points"]
