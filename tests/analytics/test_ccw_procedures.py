"""CCW rules beyond the ICD-10-CM diagnosis lists, on hand-built snapshots: procedure codes
(medicare-rules.md §4.1: "conditions whose rule needs NDC drug claims or procedure codes qualify
from those claims as the rule says"), checked against the CCW reference list in shared/data, and
HIV's screening code R75 (the reference's additional logic: "R75 requires a second qualifying
claim that is not R75")."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from careloop.analytics.chronic_conditions import CONDITIONS
from careloop.analytics.engine import DuckDBEngine
from careloop.analytics.pipeline import run_marts
from support.snapshot_record import Record, T

REFERENCE = "codesets/tuva_value_sets_2024-02/chronic_conditions/chronic_conditions__cms_chronic_conditions_hierarchy.csv"  # noqa: E501
LIVER = "liver_disease_cirrhosis_and_other_liver_conditions_except_viral_hepatitis"
HIV = "human_immunodeficiency_virus_and_or_acquired_immunodeficiency_syndrome_hiv_aids"
# reference codes not taken, each with its reason
NOT_TAKEN = {
    # "Procedures must have at least one associated liver disease diagnosis on claim": such a
    # claim already counts through its diagnosis, so the procedure adds no claim
    (LIVER, "ICD-10-PCS"): "needs a liver diagnosis on the claim, which qualifies it alone",
    # Part D NDCs are not mapped yet (the naltrexone exclusion needs them too)
    ("opioid_use_disorder_oud", "NDC"): "drug claims: NDC not mapped yet",
    # the snapshot keeps no MS-DRG; one row names an HCC, not a code
    (HIV, "MS-DRG"): "no DRG in the snapshot",
    (HIV, "HCC"): "an HCC, not a claim code",
}


@pytest.fixture
def met(tmp_path):
    """Run the chronic-condition marts on a record: {(patient_id, condition_id): row}."""

    def run(record: Record) -> dict[tuple[int, str], dict]:
        engine = DuckDBEngine(threads=1)
        try:
            folder = record.write(tmp_path / f"snap{len(list(tmp_path.iterdir()))}")
            run_marts(engine, folder, T, wanted=["chronic_conditions"])
            rows = engine.read_table("chronic_conditions").to_pylist()
            run.evidence = engine.read_table("chronic_condition_evidence").to_pylist()  # type: ignore[attr-defined]
        finally:
            engine.close()
        return {(r["patient_id"], r["condition_id"]): r for r in rows}

    return run


def test_one_claim_with_a_detoxification_procedure_meets_alcohol_and_drug_use(met):
    r = Record()
    r.patient(1, date(1950, 1, 1))
    r.claim(1, date(2026, 3, 2), claim_type="outpatient", procedures=("HZ2ZZZZ",))
    r.patient(2, date(1950, 1, 1))  # the same code on a DME claim is not a non-drug service
    r.claim(2, date(2026, 3, 2), claim_type="dme", procedures=("HZ2ZZZZ",))
    r.patient(3, date(1950, 1, 1))  # before the 2-year reference period
    r.claim(3, date(2024, 11, 1), claim_type="outpatient", procedures=("HZ2ZZZZ",))
    found = met(r)
    for condition in ("alcohol_use_disorders", "drug_use_disorders"):
        row = found[(1, condition)]
        assert row["met_by_claims"] and row["first_met_date"] == date(2026, 3, 2)
        assert (2, condition) not in found and (3, condition) not in found
    [proc] = [e for e in met.evidence if e["condition_id"] == "alcohol_use_disorders"
              and e["patient_id"] == 1]  # fmt: skip
    assert (proc["claim_type"], proc["code"], proc["source_table"]) == (
        "PROCEDURE",
        "HZ2ZZZZ",
        "claim",
    )


def test_one_claim_with_a_cessation_counseling_code_meets_tobacco_use(met):
    r = Record()
    r.patient(1, date(1950, 1, 1))
    r.claim(1, date(2026, 5, 4), lines=("99406",))
    r.patient(2, date(1950, 1, 1))  # one carrier claim with the diagnosis only: 2 are needed
    r.claim(2, date(2026, 5, 4), dx=("F17210",))
    found = met(r)
    assert found[(1, "tobacco_use")]["met_by_claims"]
    assert (2, "tobacco_use") not in found


def test_oud_procedure_codes_count_like_its_diagnoses_and_hcpcs_on_one_claim(met):
    r = Record()
    r.patient(1, date(1950, 1, 1))  # ICD-10-PCS on two carrier claims: the 2-claim alternative
    r.claim(1, date(2026, 1, 5), procedures=("HZ81ZZZ",))
    r.claim(1, date(2026, 2, 5), procedures=("HZ81ZZZ",))
    r.patient(2, date(1950, 1, 1))  # ICD-10-PCS on one carrier claim: not enough
    r.claim(2, date(2026, 1, 5), procedures=("HZ81ZZZ",))
    r.patient(3, date(1950, 1, 1))  # a buprenorphine injection (HCPCS) on one claim
    r.claim(3, date(2026, 4, 1), lines=("Q9991", "J0572"))
    r.patient(4, date(1950, 1, 1))  # a diagnosis and the PCS code on one claim: one evidence row
    r.claim(4, date(2026, 1, 5), dx=("F1120",), procedures=("HZ81ZZZ",))
    found = met(r)
    assert found[(1, "opioid_use_disorder_oud")]["first_met_date"] == date(2026, 2, 5)
    assert (2, "opioid_use_disorder_oud") not in found
    assert found[(3, "opioid_use_disorder_oud")]["met_by_claims"]
    assert (4, "opioid_use_disorder_oud") not in found
    [row] = [e for e in met.evidence
             if e["patient_id"] == 4 and e["condition_id"] == "opioid_use_disorder_oud"]  # fmt: skip
    assert (row["claim_type"], row["code"]) == ("CARRIER", "F1120")


def test_hiv_r75_needs_a_second_claim_that_is_not_r75(met):
    r = Record()
    r.patient(1, date(1950, 1, 1))  # R75 on an inpatient claim alone: not met
    r.claim(1, date(2026, 2, 1), claim_type="inpatient", dx=("R75",))
    r.patient(2, date(1950, 1, 1))  # two R75 carrier claims: not met
    r.claim(2, date(2026, 2, 1), dx=("R75",))
    r.claim(2, date(2026, 3, 1), dx=("R75",))
    r.patient(3, date(1950, 1, 1))  # R75, then a B20 claim: two claims, one not R75
    r.claim(3, date(2026, 2, 1), dx=("R75",))
    r.claim(3, date(2026, 6, 1), dx=("B20",))
    r.patient(4, date(1950, 1, 1))  # R75 beside Z21 on one inpatient claim: not screening-only
    r.claim(4, date(2026, 2, 1), claim_type="inpatient", dx=("R75", "Z21"))
    r.patient(5, date(1950, 1, 1))  # R75 on the problem list alone meets nothing
    r.problem(5, "R75")
    found = met(r)
    assert (1, HIV) not in found and (2, HIV) not in found and (5, HIV) not in found
    assert found[(3, HIV)]["first_met_date"] == date(2026, 6, 1)
    assert found[(4, HIV)]["first_met_date"] == date(2026, 2, 1)
    screening = {(e["patient_id"], e["evidence_date"]): e["screening"] for e in met.evidence}
    assert screening[(3, date(2026, 2, 1))] and not screening[(3, date(2026, 6, 1))]
    assert not screening[(4, date(2026, 2, 1))]


@pytest.mark.shared_data
def test_procedure_lists_match_the_ccw_reference(shared_data):
    reference: dict[tuple[str, str], set[str]] = {}
    with (shared_data / REFERENCE).open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["code_system"] != "ICD-10-CM":
                key = (row["condition_column_name"], row["code_system"])
                reference.setdefault(key, set()).add(row["code"])
    ours: dict[tuple[str, str], set[str]] = {}
    for cid, cond in CONDITIONS.items():
        for code in cond.icd10pcs + cond.qualifying_procedures:
            system = "ICD-10-PCS" if len(code) == 7 else "HCPCS"
            ours.setdefault((cid, system), set()).add(code)
    taken = {k: v for k, v in reference.items() if k not in NOT_TAKEN}
    assert ours == taken
    assert set(NOT_TAKEN) <= set(reference)


@pytest.mark.spark
def test_procedure_and_screening_evidence_is_equal_on_duckdb_and_spark(tmp_path):
    from test_spark_parity import duckdb_rows_equal_on_spark

    r = Record()
    for pid in (1, 2, 3):
        r.patient(pid, date(1950, 1, 1))
    r.claim(1, date(2026, 3, 2), claim_type="outpatient", procedures=("HZ2ZZZZ",))
    r.claim(2, date(2026, 5, 4), lines=("99406",), dx=("F17210",))
    r.claim(3, date(2026, 1, 5), dx=("F1120",), procedures=("HZ81ZZZ",))
    r.claim(3, date(2026, 2, 5), procedures=("HZ81ZZZ",), lines=("J0572",))
    r.patient(4, date(1950, 1, 1))  # R75 then B20; R75 alone
    r.claim(4, date(2026, 2, 1), claim_type="inpatient", dx=("R75",))
    r.claim(4, date(2026, 6, 1), dx=("B20",))
    r.patient(5, date(1950, 1, 1))
    r.claim(5, date(2026, 2, 1), claim_type="inpatient", dx=("R75",))
    folder = r.write(tmp_path / "snapshot")
    marts = ("cc_code_map", "chronic_condition_evidence", "chronic_conditions")
    rows = duckdb_rows_equal_on_spark(folder, T, ["chronic_conditions"], marts)
    found = {(r["patient_id"], r["condition_id"]) for r in rows["chronic_conditions"]}
    assert {
        (1, "alcohol_use_disorders"),
        (2, "tobacco_use"),
        (3, "opioid_use_disorder_oud"),
        (4, HIV),
    } <= found
    assert (5, HIV) not in found
