"""Read one run's patient-level marts (Parquet) into per-patient values and explanations.

Each reader takes the run directory and a range of patient ids (``Patients``; None: all) and
returns ``{patient_id: ...}`` for the patients in it, so a run of any size is read in batches
of patients with bounded memory (a sliced run writes its marts a slice of patients at a time,
so a range reads the row groups of one or two slices). A mart the run did not write (an older run, or a mart not built yet) reads as no
rows, so every reader tolerates its file being absent; the column names are the marts'
contracts (docs/analytics.md).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import pyarrow.parquet as pq

Row = dict[str, Any]


class Patients(NamedTuple):
    """Patient ids ``first`` .. ``last``, both included."""

    first: int
    last: int


CONDITION_KEYS = (
    "condition_id",
    "name",
    "counts_as",
    "met_by_claims",
    "met_by_ehr_encounters",
    "met_by_problem_list",
    "first_met_date",
    "last_evidence_date",
    "evidence_in_period",
    "reference_start",
    "claims_rule",
)
EVIDENCE_KEYS = ("evidence_date", "family", "claim_type", "code", "source_table", "source_id")
EVIDENCE_SHOWN = 5  # per condition, latest first: enough to show why, small enough to store
LACE_KEYS = (
    "admit_date",
    "discharge_date",
    "lace",
    "l_points",
    "a_points",
    "c_points",
    "e_points",
    "high_risk",
)
TCM_KEYS = (
    "kind",
    "admit_date",
    "discharge_date",
    "discharge_disposition",
    "contact_deadline",
    "face_to_face_by_7",
    "face_to_face_by_14",
)
UTILIZATION_KEYS = (
    "inpatient_admissions",
    "ed_visits",
    "readmissions_30d",
    "observation_stays",
    "snf_days",
    "total_cost",
)
DRIVER_KEYS = ("term", "kind", "hcc", "label", "coefficient", "source_codes")
GAP_KEYS = ("gap_id", "name", "status", "last_evidence_date", "detail")
PREFERRED_HCC_MODEL = "V28"  # HCC-005: PY2026 and later are 100 % V28


def rows(run_dir: Path, mart: str, patients: Patients | None = None) -> list[Row]:
    path = run_dir / f"{mart}.parquet"
    if not path.exists():
        return []
    where = None
    if patients is not None:
        where = [("patient_id", ">=", patients.first), ("patient_id", "<=", patients.last)]
    return pq.read_table(path, filters=where).to_pylist()  # type: ignore[no-any-return]


def patient_ids(run_dir: Path) -> list[int]:
    """Every patient of the run (program_eligibility has one row per patient), in order."""
    path = run_dir / "program_eligibility.parquet"
    if not path.exists():
        return []
    ids = pq.read_table(path, columns=["patient_id"]).column("patient_id").to_pylist()
    return sorted(set(ids))


def jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def clean(row: Row, keys: tuple[str, ...]) -> Row:
    return {k: jsonable(row.get(k)) for k in keys}


# the latest EVIDENCE_SHOWN rows in the reference period of each condition met (a problem-list
# item has no period), latest first; chosen in SQL, so the run's evidence rows (~64 per patient
# in the benchmark population) never become Python objects
_SHOWN_EVIDENCE = f"""
WITH met AS (
  SELECT patient_id, condition_id, reference_start
  FROM read_parquet($conditions)
  WHERE patient_id BETWEEN $first AND $last AND chronic IS DISTINCT FROM FALSE
),
ranked AS (
  SELECT
    e.patient_id, e.condition_id, {", ".join(f"e.{k}" for k in EVIDENCE_KEYS)},
    row_number() OVER (
      PARTITION BY e.patient_id, e.condition_id
      ORDER BY e.evidence_date DESC NULLS LAST, e.source_id DESC, e.code DESC, e.family DESC
    ) AS n
  FROM read_parquet($evidence) AS e
  JOIN met AS m ON m.patient_id = e.patient_id AND m.condition_id = e.condition_id
  WHERE e.patient_id BETWEEN $first AND $last
    AND (e.family = 'problem_list' OR m.reference_start IS NULL
         OR e.evidence_date >= m.reference_start)
)
SELECT
  patient_id, condition_id,
  {", ".join("CAST(evidence_date AS VARCHAR)" if k == "evidence_date" else k for k in EVIDENCE_KEYS)}
FROM ranked WHERE n <= {EVIDENCE_SHOWN}
ORDER BY patient_id, condition_id, n
"""


def conditions(run_dir: Path, patients: Patients | None = None) -> dict[int, list[Row]]:
    """Chronic conditions met (CC-001..006), each with its latest evidence in the period."""
    evidence: dict[tuple[int, str], list[Row]] = defaultdict(list)
    evidence_path = run_dir / "chronic_condition_evidence.parquet"
    conditions_path = run_dir / "chronic_conditions.parquet"
    if evidence_path.exists() and conditions_path.exists():
        first, last = patients or (-(2**62), 2**62)
        with duckdb.connect() as con:
            found = con.execute(
                _SHOWN_EVIDENCE,
                {
                    "conditions": str(conditions_path),
                    "evidence": str(evidence_path),
                    "first": first,
                    "last": last,
                },
            ).fetchall()
        for patient_id, condition_id, *values in found:  # dates come as ISO text
            evidence[(patient_id, condition_id)].append(
                dict(zip(EVIDENCE_KEYS, values, strict=True))
            )
    out: dict[int, list[Row]] = defaultdict(list)
    for row in rows(run_dir, "chronic_conditions", patients):
        if not row.get("chronic", True):
            continue
        item = clean(row, CONDITION_KEYS)
        item["evidence"] = evidence.get((row["patient_id"], row["condition_id"]), [])
        out[row["patient_id"]].append(item)
    for items in out.values():
        items.sort(key=lambda c: c["name"] or "")
    return out


def latest_lace(run_dir: Path, patients: Patients | None = None) -> dict[int, Row]:
    """The latest discharge's LACE (§5.5) per patient."""
    latest: dict[int, Row] = {}
    for row in rows(run_dir, "lace", patients):
        seen = latest.get(row["patient_id"])
        if seen is None or (row["discharge_date"], row["stay_seq"]) > (
            seen["discharge_date"],
            seen["stay_seq"],
        ):
            latest[row["patient_id"]] = row
    return latest


def latest_tcm(run_dir: Path, patients: Patients | None = None) -> dict[int, Row]:
    """The latest TCM discharge (ELIG-004) per patient."""
    latest: dict[int, Row] = {}
    for row in rows(run_dir, "tcm_candidate", patients):
        seen = latest.get(row["patient_id"])
        if seen is None or row["discharge_date"] > seen["discharge_date"]:
            latest[row["patient_id"]] = row
    return latest


def by_patient(run_dir: Path, mart: str, patients: Patients | None = None) -> dict[int, Row]:
    return {row["patient_id"]: row for row in rows(run_dir, mart, patients)}


def hcc_scores(run_dir: Path, patients: Patients | None = None) -> dict[int, Row]:
    """One score per patient (§5.1): the V28 row when the mart holds several models."""
    out: dict[int, Row] = {}
    for row in rows(run_dir, "hcc_score", patients):
        seen = out.get(row["patient_id"])
        if seen is None or row.get("model") == PREFERRED_HCC_MODEL:
            out[row["patient_id"]] = row
    return out


def hcc_drivers(run_dir: Path, patients: Patients | None = None) -> dict[int, dict[str, list[Row]]]:
    """The score's terms (``drivers``, largest first) and the suspect HCCs (HCC-003) apart."""
    out: dict[int, dict[str, list[Row]]] = defaultdict(lambda: {"drivers": [], "suspects": []})
    for row in rows(run_dir, "hcc_driver", patients):
        key = "suspects" if row.get("suspect") else "drivers"
        out[row["patient_id"]][key].append(clean(row, DRIVER_KEYS))
    for parts in out.values():
        for items in parts.values():
            items.sort(key=lambda d: (-(d["coefficient"] or 0.0), d["term"] or ""))
    return dict(out)


def super_utilizer_flags(run_dir: Path, patients: Patients | None = None) -> dict[int, list[Row]]:
    """The SU rules that hold (§5.3), by rule id, each with its detail and evidence."""
    out: dict[int, list[Row]] = defaultdict(list)
    for row in rows(run_dir, "super_utilizer", patients):
        out[row["patient_id"]].append(clean(row, ("rule_id", "detail", "evidence")))
    for items in out.values():
        items.sort(key=lambda r: r["rule_id"] or "")
    return dict(out)


def care_gaps(run_dir: Path, patients: Patients | None = None) -> dict[int, list[Row]]:
    """The gaps whose denominator the patient is in (§8), by gap id."""
    out: dict[int, list[Row]] = defaultdict(list)
    for row in rows(run_dir, "care_gap", patients):
        out[row["patient_id"]].append(clean(row, GAP_KEYS))
    for items in out.values():
        items.sort(key=lambda g: g["gap_id"] or "")
    return dict(out)
