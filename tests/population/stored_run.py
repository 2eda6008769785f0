"""A hand-written analytics run on known values, without running the pipeline (fast).

`write_run` writes a run directory by hand — manifest.json, the eligibility, condition,
utilization, LACE and TCM marts in the columns the SQL marts write, and the risk and care-gap
marts in their contract's types (contract_marts.py) — for three patients of organization A
(Rosa Alvarez, Ada Quinn, Ben Ortiz) and Tom Brennan of organization B, for `store_results`
to store (the `stored_run` fixture in conftest.py). Tests that need the real pipeline run it
themselves (test_registry.py, test_results_stored.py).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from contract_marts import high_risk_patient, low_risk_patient, write_contract_marts

AS_OF = date(2024, 6, 30)
RUN_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def _write(run_dir: Path, mart: str, rows: list[dict]) -> None:
    pq.write_table(pa.Table.from_pylist(rows), run_dir / f"{mart}.parquet")


def eligibility_row(pid: int, **values) -> dict:
    row = {
        "patient_id": pid,
        "as_of": AS_OF,
        "alive": True,
        "accepted_payer": True,
        "payer_kind": "part-b",
        "qmb": False,
        "chronic_conditions": 0,
        "high_risk_conditions": 0,
        "high_risk_condition": None,
        "acute_use_for_chronic_condition": False,
        "last_qualifying_visit": None,
        "last_visit_code": None,
        "last_visit_source_table": None,
        "last_visit_source_id": None,
        "tcm_discharges": 0,
        "tcm_last_discharge": None,
        "tcm_contact_deadline": None,
        "ccm_status": "not_eligible",
        "ccm_reasons": "CCM-001: 0 chronic condition(s), 2 needed",
        "pcm_candidate": False,
        "apcm_level": "G0556",
        "tcm_candidate": False,
    }
    row.update(values)
    return row


def condition_row(pid: int, condition_id: str, name: str, **values) -> dict:
    row = {
        "patient_id": pid,
        "condition_id": condition_id,
        "ccw_id": 1,
        "name": name,
        "chronic": True,
        "is_common": True,
        "counts_as": condition_id,
        "as_of": AS_OF,
        "reference_start": date(2022, 7, 1),
        "met_by_claims": True,
        "met_by_ehr_encounters": False,
        "met_by_problem_list": False,
        "first_met_date": date(2019, 5, 2),
        "last_evidence_date": date(2024, 3, 1),
        "evidence_in_period": 2,
        "claims_rule": "At least 1 inpatient/SNF/HHA claim OR 2 HOP/carrier claims with DX codes",
    }
    row.update(values)
    return row


def evidence_row(pid: int, condition_id: str, day: date, code: str, source_id: int) -> dict:
    return {
        "patient_id": pid,
        "condition_id": condition_id,
        "family": "claims",
        "claim_type": "carrier",
        "is_ed": False,
        "evidence_date": day,
        "source_table": "claim",
        "source_id": source_id,
        "code": code,
    }


def write_run(run_dir: Path, rosa: int, ada: int, ben: int, tom: int, *, risk: bool = True):
    """Rosa: CCM eligible, very high risk; Ada: needs the initiating visit, TCM, PCM;
    Ben: not eligible, low risk; Tom (organization B): not eligible."""
    run_dir.mkdir(parents=True, exist_ok=True)
    manifest = {
        "run_id": RUN_ID,
        "started_at": "2024-07-01T02:00:00+00:00",
        "as_of": AS_OF.isoformat(),
        "engine": "duckdb 1.x",
        "input_hash": "ab" * 32,
        "value_set_version": "ccw-2024.1",
        "rules_version": "2026.1",
        "charlson_version": "quan-2011",
        "seconds": 1.5,
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    _write(run_dir, "program_eligibility", [
        eligibility_row(rosa, chronic_conditions=2, ccm_status="eligible",
                        last_qualifying_visit=date(2024, 3, 1), last_visit_code="99214",
                        last_visit_source_table="claim", last_visit_source_id=501,
                        ccm_reasons="CCM-001: 2 chronic conditions; CCM-020: visit 99214 on 2024-03-01",
                        apcm_level="G0557"),
        eligibility_row(ada, chronic_conditions=2, ccm_status="needs_initiating_visit",
                        high_risk_conditions=1,
                        high_risk_condition="heart_failure_and_non_ischemic_heart_disease",
                        pcm_candidate=True, tcm_candidate=True, tcm_discharges=1,
                        ccm_reasons="CCM-001: 2 chronic conditions; CCM-020: no qualifying visit "
                                    "with a billing practitioner in 12 months",
                        apcm_level="G0557"),
        eligibility_row(ben, payer_kind=None, accepted_payer=False, apcm_level=None,
                        ccm_reasons="CCM-002: no accepted payer (Part B) on the as-of date; "
                                    "CCM-001: 0 chronic condition(s), 2 needed"),
        eligibility_row(tom),
    ])  # fmt: skip
    _write(run_dir, "chronic_conditions", [
        condition_row(rosa, "diabetes", "Diabetes"),
        condition_row(rosa, "hypertension", "Hypertension", reference_start=date(2023, 7, 1)),
        condition_row(ada, "diabetes", "Diabetes"),
        condition_row(ada, "heart_failure_and_non_ischemic_heart_disease",
                      "Heart Failure and Non-Ischemic Heart Disease"),
        condition_row(ben, "acute_myocardial_infarction", "Acute Myocardial Infarction",
                      chronic=False),
    ])  # fmt: skip
    _write(run_dir, "chronic_condition_evidence", [
        evidence_row(rosa, "diabetes", date(2024, 3, 1), "E11.22", 501),
        evidence_row(rosa, "diabetes", date(2023, 11, 5), "E11.22", 502),
        evidence_row(rosa, "hypertension", date(2024, 3, 1), "I10", 501),
        evidence_row(rosa, "hypertension", date(2022, 1, 9), "I10", 400),  # before the period
        evidence_row(ada, "diabetes", date(2024, 5, 2), "E11.9", 601),
    ])  # fmt: skip
    _write(run_dir, "utilization", [
        {"patient_id": p, "as_of": AS_OF, "inpatient_admissions": n, "ed_visits": e,
         "readmissions_30d": r, "observation_stays": 0, "snf_days": s, "total_cost": c}
        for p, n, e, r, s, c in ((rosa, 3, 2, 1, 4, 48210.5), (ada, 1, 0, 0, 0, 9100.0),
                                 (ben, 0, 0, 0, 0, 120.0), (tom, 0, 1, 0, 0, 300.0))
    ])  # fmt: skip
    _write(run_dir, "lace", [
        {"patient_id": ada, "stay_seq": 1, "admit_date": date(2024, 6, 20),
         "discharge_date": date(2024, 6, 25), "los_days": 5, "emergent": True, "ed_visits_6m": 0,
         "charlson": 2, "l_points": 4, "a_points": 3, "c_points": 2, "e_points": 0, "lace": 9,
         "high_risk": False},
    ])  # fmt: skip
    _write(run_dir, "tcm_candidate", [
        {"patient_id": ada, "kind": "inpatient", "source_table": "encounter", "source_id": 77,
         "admit_date": date(2024, 6, 20), "discharge_date": date(2024, 6, 25),
         "discharge_disposition": "home", "contact_deadline": date(2024, 6, 27),
         "face_to_face_by_7": date(2024, 7, 2), "face_to_face_by_14": date(2024, 7, 9),
         "period_end": date(2024, 7, 24)},
    ])  # fmt: skip
    if risk:
        ada_marts = low_risk_patient(ada)
        ada_marts["risk_tier"] = [
            {"patient_id": ada, "tier": "high", "recommended_program": "ccm",
             "reasons": ["TIER-002: 1 inpatient admission in 12 months",
                         "TIER-005: CCM candidate"]}
        ]  # fmt: skip
        write_contract_marts(
            run_dir,
            {rosa: high_risk_patient(rosa), ada: ada_marts, ben: low_risk_patient(ben)},
        )
    return run_dir
