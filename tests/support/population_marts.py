"""Analytics results on known values, for tests of storage and screens (issue 4 point 4).

- `write_mart` / `write_contract_marts`: the risk and care-gap marts (hcc_score, hcc_driver,
  charlson, super_utilizer, risk_tier, care_gap) in their contract's column types (the marts'
  contract, docs/analytics.md), so storage and screens are tested on known values whatever the
  SQL computes for the data;
- `write_run`: a whole run directory by hand — manifest.json, the eligibility, condition,
  utilization, LACE and TCM marts in the columns the SQL marts write, and the risk marts — for
  the cast of `make_cast`: Rosa Alvarez, Ada Quinn, Ben Ortiz (organization A), Tom Brennan (B),
  for `store_results` to store without running the pipeline (fast).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

SCHEMAS = {
    "hcc_score": pa.schema(
        [
            ("patient_id", pa.int64()),
            ("model", pa.string()),
            ("payment_year", pa.int32()),
            ("segment", pa.string()),
            ("raw_score", pa.float64()),
            ("normalized_score", pa.float64()),
            ("hccs", pa.list_(pa.int32())),
        ]
    ),
    "hcc_driver": pa.schema(
        [
            ("patient_id", pa.int64()),
            ("term", pa.string()),
            ("kind", pa.string()),
            ("hcc", pa.int32()),
            ("label", pa.string()),
            ("coefficient", pa.float64()),
            ("source_codes", pa.list_(pa.string())),
            ("suspect", pa.bool_()),
        ]
    ),
    "charlson": pa.schema(
        [
            ("patient_id", pa.int64()),
            ("charlson_index", pa.int32()),
            ("conditions", pa.list_(pa.string())),
        ]
    ),
    "super_utilizer": pa.schema(
        [
            ("patient_id", pa.int64()),
            ("rule_id", pa.string()),
            ("detail", pa.string()),
            ("evidence", pa.list_(pa.string())),
        ]
    ),
    "risk_tier": pa.schema(
        [
            ("patient_id", pa.int64()),
            ("tier", pa.string()),
            ("recommended_program", pa.string()),
            ("reasons", pa.list_(pa.string())),
        ]
    ),
    "care_gap": pa.schema(
        [
            ("patient_id", pa.int64()),
            ("gap_id", pa.string()),
            ("name", pa.string()),
            ("status", pa.string()),
            ("last_evidence_date", pa.date32()),
            ("detail", pa.string()),
        ]
    ),
}


def write_mart(run_dir: Path, mart: str, rows: Iterable[dict[str, Any]]) -> Path:
    schema = SCHEMAS[mart]
    table = pa.Table.from_pylist([{k: r.get(k) for k in schema.names} for r in rows], schema=schema)
    path = Path(run_dir) / f"{mart}.parquet"
    pq.write_table(table, path)
    return path


def high_risk_patient(pid: int) -> dict[str, list[dict[str, Any]]]:
    """A very-high-tier super-utilizer with diabetes and heart failure: every mart has rows."""
    return {
        "hcc_score": [
            {
                "patient_id": pid, "model": "V28", "payment_year": 2026, "segment": "CNA",
                "raw_score": 3.412, "normalized_score": 3.412, "hccs": [37, 226],
            }
        ],
        "hcc_driver": [
            {"patient_id": pid, "term": "F75_79", "kind": "demographic", "hcc": None,
             "label": "Female, 75-79", "coefficient": 0.461, "source_codes": [], "suspect": False},
            {"patient_id": pid, "term": "HCC37", "kind": "hcc", "hcc": 37,
             "label": "Diabetes with Chronic Complications", "coefficient": 0.166,
             "source_codes": ["E11.22"], "suspect": False},
            {"patient_id": pid, "term": "HCC226", "kind": "hcc", "hcc": 226,
             "label": "Heart Failure, Except End-Stage and Acute", "coefficient": 0.360,
             "source_codes": ["I50.22"], "suspect": False},
            {"patient_id": pid, "term": "DIABETES_HF_V28", "kind": "interaction", "hcc": None,
             "label": "Diabetes and heart failure", "coefficient": 0.112, "source_codes": [],
             "suspect": False},
            {"patient_id": pid, "term": "HCC280", "kind": "hcc", "hcc": 280,
             "label": "Chronic Obstructive Pulmonary Disease", "coefficient": 0.319,
             "source_codes": ["J44.9"], "suspect": True},
        ],
        "charlson": [
            {"patient_id": pid, "charlson_index": 4,
             "conditions": ["congestive heart failure", "diabetes with complications"]}
        ],
        "super_utilizer": [
            {"patient_id": pid, "rule_id": "SU-001", "detail": "3 inpatient admissions in 12 months",
             "evidence": ["inpatient 2024-01-03..2024-01-07", "inpatient 2024-03-10..2024-03-12",
                          "inpatient 2024-05-20..2024-05-25"]},
            {"patient_id": pid, "rule_id": "SU-004",
             "detail": "3 inpatient admissions and 2 ED visits in 12 months",
             "evidence": ["ED 2024-02-14", "ED 2024-04-01"]},
        ],
        "risk_tier": [
            {"patient_id": pid, "tier": "very_high", "recommended_program": "case_management",
             "reasons": ["TIER-001: super-utilizer (SU-001, SU-004)",
                         "TIER-001: normalized HCC 3.412 >= 3.0",
                         "TIER-005: case management for very high"]}
        ],
        "care_gap": [
            {"patient_id": pid, "gap_id": "GAP-001", "name": "Annual wellness visit",
             "status": "open", "last_evidence_date": None,
             "detail": "no G0438/G0439 in the 12 months before the as-of date"},
            {"patient_id": pid, "gap_id": "GAP-007", "name": "HbA1c poor control",
             "status": "open", "last_evidence_date": date(2024, 3, 1),
             "detail": "latest HbA1c 9.4 % on 2024-03-01 (> 9.0 %)"},
            {"patient_id": pid, "gap_id": "GAP-002", "name": "Influenza vaccine this season",
             "status": "closed", "last_evidence_date": date(2023, 10, 1),
             "detail": "CVX 140 on 2023-10-01"},
        ],
    }  # fmt: skip


def low_risk_patient(pid: int) -> dict[str, list[dict[str, Any]]]:
    """A low-tier patient: a score, no flags, one closed gap."""
    return {
        "hcc_score": [
            {"patient_id": pid, "model": "V28", "payment_year": 2026, "segment": "CNA",
             "raw_score": 0.512, "normalized_score": 0.512, "hccs": []}
        ],
        "hcc_driver": [
            {"patient_id": pid, "term": "M70_74", "kind": "demographic", "hcc": None,
             "label": "Male, 70-74", "coefficient": 0.512, "source_codes": [], "suspect": False}
        ],
        "charlson": [{"patient_id": pid, "charlson_index": 0, "conditions": []}],
        "super_utilizer": [],
        "risk_tier": [
            {"patient_id": pid, "tier": "low", "recommended_program": "none",
             "reasons": ["TIER-004: no higher tier applies"]}
        ],
        "care_gap": [
            {"patient_id": pid, "gap_id": "GAP-003", "name": "Pneumococcal vaccine",
             "status": "closed", "last_evidence_date": date(2014, 4, 1), "detail": "CVX 33"},
        ],
    }  # fmt: skip


def write_contract_marts(run_dir: Path, patients: dict[int, dict[str, list[dict]]]) -> None:
    """Write all six marts for the given patients (e.g. {pid: high_risk_patient(pid)})."""
    for mart in SCHEMAS:
        write_mart(run_dir, mart, [row for p in patients.values() for row in p.get(mart, [])])


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


def make_cast(org_a, patient_a, patient_b) -> dict:
    """Rosa Alvarez (the shared cast's patient A), Ada Quinn and Ben Ortiz in A; Tom in B,
    each with the coverage the payer filter reads."""
    from careloop.clinical.models import Coverage, Patient

    ada = Patient.objects.create(
        organization=org_a, source_system="test", source_id="pa-2", family_name="Quinn",
        given_name="Ada", birth_date=date(1950, 1, 5), gender="female",
    )  # fmt: skip
    ben = Patient.objects.create(
        organization=org_a, source_system="test", source_id="pa-3", family_name="Ortiz",
        given_name="Ben", birth_date=date(1952, 2, 6), gender="male",
    )  # fmt: skip
    for p, payer, kind in (
        (patient_a, "Medicare", "part-b"),
        (patient_a, "MassHealth", "medicaid"),
        (ada, "Medicare", "part-b"),
        (ben, "Blue Cross Blue Shield", "private"),
        (patient_b, "Medicare", "part-b"),
    ):
        Coverage.objects.create(
            organization=p.organization, patient=p, source_system="test",
            source_id=f"cov-{p.pk}-{kind}", kind=kind, payer=payer, start=date(2015, 1, 1),
        )  # fmt: skip
    return {"rosa": patient_a, "ada": ada, "ben": ben, "tom": patient_b}
