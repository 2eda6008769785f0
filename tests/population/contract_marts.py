"""Write the risk and care-gap marts into a run directory, in their contract's column types.

The marts (hcc_score, hcc_driver, charlson, super_utilizer, risk_tier, care_gap) are
specified in docs/analytics.md; these files stand in for them so the storage and the screens
are tested on known values, whatever the SQL computes for the data.
"""

from __future__ import annotations

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
