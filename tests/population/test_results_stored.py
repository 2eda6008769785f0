"""store_results (issue 4 point 4): every mart's values on the finding, explanations in reasons."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from careloop.population.models import AnalyticsRun, PatientFinding
from careloop.population.services import store_results
from support.population_marts import RUN_ID, write_run

pytestmark = pytest.mark.django_db


def _finding(run, patient) -> PatientFinding:
    return PatientFinding.objects.get(run=run, patient=patient)


def test_risk_values_are_stored_on_the_finding(stored_run, cast):
    rosa = _finding(stored_run, cast["rosa"])
    assert (rosa.hcc_model, rosa.hcc_payment_year, rosa.hcc_segment) == ("V28", 2026, "CNA")
    assert rosa.hcc_raw_score == pytest.approx(3.412)
    assert rosa.hcc_normalized_score == pytest.approx(3.412)
    assert rosa.hccs == [37, 226]
    assert rosa.charlson_index == 4
    assert rosa.super_utilizer is True
    assert rosa.super_utilizer_rules == ["SU-001", "SU-004"]
    assert (rosa.risk_tier, rosa.recommended_program) == ("very_high", "case_management")
    assert rosa.open_gap_ids == ["GAP-001", "GAP-007"]
    assert (rosa.open_gap_count, rosa.closed_gap_count) == (2, 1)
    assert rosa.payers == ["MassHealth", "Medicare"]
    ben = _finding(stored_run, cast["ben"])
    assert ben.super_utilizer is False and ben.super_utilizer_rules == []
    assert (ben.risk_tier, ben.recommended_program, ben.charlson_index) == ("low", "none", 0)
    assert ben.payers == ["Blue Cross Blue Shield"]


def test_explanations_are_in_reasons(stored_run, cast):
    r = _finding(stored_run, cast["rosa"]).reasons
    drivers = r["hcc"]["drivers"]
    # largest coefficient first; the suspect HCC (HCC-003) kept apart, never among the drivers
    assert [d["term"] for d in drivers] == ["F75_79", "HCC226", "HCC37", "DIABETES_HF_V28"]
    assert drivers[2] == {
        "term": "HCC37", "kind": "hcc", "hcc": 37, "label": "Diabetes with Chronic Complications",
        "coefficient": pytest.approx(0.166), "source_codes": ["E11.22"],
    }  # fmt: skip
    assert [s["term"] for s in r["hcc"]["suspects"]] == ["HCC280"]
    assert r["charlson_conditions"] == ["congestive heart failure", "diabetes with complications"]
    assert [f["rule_id"] for f in r["super_utilizer"]] == ["SU-001", "SU-004"]
    assert r["super_utilizer"][0]["evidence"][0] == "inpatient 2024-01-03..2024-01-07"
    assert r["tier"][0] == "TIER-001: super-utilizer (SU-001, SU-004)"
    gap7 = next(g for g in r["gaps"] if g["gap_id"] == "GAP-007")
    assert gap7["status"] == "open" and gap7["last_evidence_date"] == "2024-03-01"
    assert r["utilization"]["snf_days"] == 4 and r["utilization"]["total_cost"] == 48210.5
    # the condition's evidence inside its reference period only, latest first
    hypertension = next(c for c in r["conditions"] if c["condition_id"] == "hypertension")
    assert [e["evidence_date"] for e in hypertension["evidence"]] == ["2024-03-01"]
    diabetes = next(c for c in r["conditions"] if c["condition_id"] == "diabetes")
    assert [e["source_id"] for e in diabetes["evidence"]] == [501, 502]
    assert r["last_visit_source"] == "claim 501"


def test_eligibility_and_tcm_windows(stored_run, cast):
    ada = _finding(stored_run, cast["ada"])
    assert ada.ccm_status == "needs_initiating_visit" and not ada.ccm_eligible
    assert ada.pcm_eligible and ada.tcm_candidate
    assert ada.reasons["tcm"]["contact_deadline"] == "2024-06-27"
    assert ada.reasons["tcm"]["face_to_face_by_7"] == "2024-07-02"
    assert ada.latest_lace == 9
    ben = _finding(stored_run, cast["ben"])
    assert ben.chronic_condition_ids == []  # acute-event categories are not chronic (§0)


def test_run_provenance(stored_run):
    run = AnalyticsRun.objects.get()
    assert run.run_id == RUN_ID and run.as_of.isoformat() == "2024-06-30"
    assert run.rule_versions == {
        "value_set_version": "ccw-2024.1",
        "rules_version": "2026.1",
        "charlson_version": "quan-2011",
    }


def test_a_run_without_the_risk_marts_stores_empty_risk_fields(cast, tmp_path):
    c = cast
    run_dir = write_run(tmp_path, c["rosa"].pk, c["ada"].pk, c["ben"].pk, c["tom"].pk, risk=False)
    run = store_results(run_dir)
    rosa = _finding(run, c["rosa"])
    assert rosa.ccm_status == "eligible"
    assert (rosa.risk_tier, rosa.recommended_program, rosa.hcc_model) == ("", "", "")
    assert rosa.hcc_normalized_score is None and rosa.charlson_index is None
    assert rosa.super_utilizer is False and rosa.open_gap_ids == []
    assert rosa.reasons["hcc"] is None and rosa.reasons["gaps"] == []


def test_storing_again_replaces_the_run_and_is_atomic(stored_run, cast, tmp_path, monkeypatch):
    c = cast
    run_dir = write_run(tmp_path / "again", c["rosa"].pk, c["ada"].pk, c["ben"].pk, c["tom"].pk)
    store_results(run_dir)
    assert AnalyticsRun.objects.count() == 1 and PatientFinding.objects.count() == 4

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(PatientFinding.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        store_results(run_dir)
    # the failed store left the earlier run as it was
    assert AnalyticsRun.objects.count() == 1 and PatientFinding.objects.count() == 4


def test_store_writes_in_batches(cast, tmp_path, monkeypatch, django_assert_max_num_queries):
    from careloop.population import services

    c = cast
    run_dir = write_run(tmp_path, c["rosa"].pk, c["ada"].pk, c["ben"].pk, c["tom"].pk)
    monkeypatch.setattr(services, "BATCH", 2)
    # delete, run row, payers, patients, two batches of inserts (savepoints aside)
    with django_assert_max_num_queries(12):
        run = store_results(run_dir)
    assert PatientFinding.objects.filter(run=run).count() == 4


def test_batches_of_patients_store_what_one_batch_stores(cast, tmp_path, monkeypatch):
    """A run of any size is read a range of patient ids at a time (bounded memory): batches of
    one patient store exactly the findings one batch of all four does."""
    from careloop.population import services

    c = cast
    run_dir = write_run(tmp_path, c["rosa"].pk, c["ada"].pk, c["ben"].pk, c["tom"].pk)
    fields = [f.name for f in PatientFinding._meta.fields if f.name not in ("id", "run")]

    def stored() -> list[tuple]:
        return sorted(PatientFinding.objects.values_list(*fields))

    store_results(run_dir)
    whole = stored()
    monkeypatch.setattr(services, "BATCH_PATIENTS", 1)
    store_results(run_dir)  # the same run id: replaces the run
    assert stored() == whole and len(whole) == 4


@pytest.mark.shared_data
def test_the_real_pipeline_feeds_the_stored_fields(org_a, shared_data, tmp_path):
    """One Synthea patient through `careloop analytics run`, then the contract marts added."""
    from careloop.clinical.models import Patient
    from careloop.interop.fhir.importer import FhirImport
    from support.population_marts import high_risk_patient, write_contract_marts

    folder = shared_data / "synthea-fhir-r4"
    FhirImport(org_a.pk, source_system="synthea").run(
        [str(folder / "0-hospitalInformation1625911868739.json.gz"),
         str(folder / "0-practitionerInformation1625911868739.json.gz"),
         str(folder / "44717d84-17d5-cefa-acf9-fe51fddc5d1c.json.gz")]
    )  # fmt: skip
    out = tmp_path / "run"
    call_command("analytics", "run", "--as-of", "data", "--out", str(out), "--quiet")
    rose = Patient.objects.get()
    write_contract_marts(out, {rose.pk: high_risk_patient(rose.pk)})
    run = store_results(out)
    f = PatientFinding.objects.get(run=run)
    # Rose Wehner: breast cancer met on her encounters (see test_eligibility_hand_checked.py)
    assert f.chronic_condition_ids == ["cancer_breast"] and f.pcm_eligible
    assert f.payers == ["Medicare"]
    assert f.risk_tier == "very_high" and f.hccs == [37, 226]
