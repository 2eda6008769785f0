"""The registry (issue 4 point 4): stored analytics results, filters, sort, scoping, CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command

from careloop.audit.models import AccessEvent
from careloop.population.models import AnalyticsRun, PatientFinding

pytestmark = pytest.mark.django_db

SYNTHEA_REFERENCE = (
    "0-hospitalInformation1625911868739.json.gz",
    "0-practitionerInformation1625911868739.json.gz",
)


@pytest.fixture
def population(org_a, patient_b, shared_data, tmp_path):
    """Five Synthea patients in organization A, patient B in organization B; one analytics run."""
    from careloop.interop.fhir.importer import FhirImport

    folder = shared_data / "synthea-fhir-r4"
    bundles = sorted(p.name for p in folder.iterdir() if not p.name.startswith("0-"))[:5]
    FhirImport(org_a.pk, source_system="synthea").run(
        [str(folder / n) for n in SYNTHEA_REFERENCE + tuple(bundles)]
    )
    call_command("analytics", "run", "--as-of", "data", "--out", str(tmp_path), "--quiet")
    return AnalyticsRun.objects.get()


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _tweak(org, **values):
    """Give the findings distinct values, so filters and sort have something to tell apart."""
    findings = list(PatientFinding.objects.filter(organization=org).order_by("patient_id"))
    for i, f in enumerate(findings):
        for key, per_row in values.items():
            setattr(f, key, per_row[i % len(per_row)])
        f.save()
    return findings


def test_run_is_stored_with_its_findings(population, org_a, patient_b):
    run = population
    assert run.input_hash and run.engine.startswith("duckdb")
    assert run.rule_versions["rules_version"]
    assert PatientFinding.objects.filter(run=run, organization=org_a).count() == 5
    finding = PatientFinding.objects.get(run=run, patient=patient_b)
    assert finding.organization_id == patient_b.organization_id
    assert finding.ccm_status == "not_eligible"
    assert any(r.startswith("CCM-001") for r in finding.reasons["ccm"])


def test_registry_lists_findings_with_reasons(population, login, cm_a, org_a):
    page = login(cm_a).get("/population/registry/").content.decode()
    assert "5 patients" in page
    assert "Brennan" not in page
    assert "CCM-001" in page
    first = PatientFinding.objects.filter(organization=org_a).select_related("patient").first()
    assert f"/patients/{first.patient_id}/" in page
    assert "Not eligible: <strong>" in page
    event = AccessEvent.objects.get(view="population:registry")
    assert sorted(event.patient_ids) == sorted(
        PatientFinding.objects.filter(organization=org_a).values_list("patient_id", flat=True)
    )


def test_filters_and_sort(population, login, cm_a, org_a):
    findings = _tweak(
        org_a,
        ccm_status=["eligible", "not_eligible", "needs_initiating_visit"],
        inpatient_admissions_12m=[0, 1, 2, 3, 4],
        latest_lace=[None, 12, 3, 7, 9],
        chronic_condition_ids=[["diabetes"], [], ["diabetes", "heart_failure"]],
    )
    names = {f.pk: f"{f.patient.family_name}, {f.patient.given_name}" for f in findings}
    client = login(cm_a)

    def listed(**query):
        html = client.get("/population/registry/", query).content.decode()
        return [f.pk for f in findings if names[f.pk] in html], html

    ids, _ = listed(status="eligible")
    assert ids == [findings[0].pk, findings[3].pk]
    ids, _ = listed(min_admissions="3")
    assert ids == [findings[3].pk, findings[4].pk]
    ids, _ = listed(condition="diabetes")
    assert ids == [findings[0].pk, findings[2].pk, findings[3].pk]
    _, html = listed(sort="-lace")
    order = sorted((f for f in findings if f.latest_lace is not None), key=lambda f: -f.latest_lace)
    positions = [html.index(names[f.pk]) for f in order]
    assert positions == sorted(positions)
    _, html = listed(sort="-admissions")
    positions = [html.index(names[f.pk]) for f in reversed(findings)]
    assert positions == sorted(positions)


def test_paging(population, login, cm_a, org_a):
    from careloop.clinical.models import Patient

    patients = Patient.objects.bulk_create(
        [
            Patient(
                organization=org_a, source_system="t", source_id=f"z{i}", family_name=f"Zed{i:03d}"
            )
            for i in range(30)
        ]
    )
    PatientFinding.objects.bulk_create(
        [
            PatientFinding(run=population, patient=p, organization=org_a, ccm_status="not_eligible")
            for p in patients
        ]
    )
    client = login(cm_a)
    first = client.get("/population/registry/").content.decode()
    assert "Page 1 of 2" in first and "35 patients" in first
    second = client.get("/population/registry/", {"page": 2}).content.decode()
    assert "Zed029" in second and "Zed000" not in second


def test_other_organization_sees_none(population, login, cm_b, org_a):
    client = login(cm_b)
    page = client.get("/population/registry/").content.decode()
    a_names = PatientFinding.objects.filter(organization=org_a).values_list(
        "patient__family_name", flat=True
    )
    assert not any(name in page for name in a_names)
    assert "Brennan" in page  # org B's own patient, from the same (all-organization) run
    body = _body(client.get("/population/registry/export.csv"))
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["family_name"] for r in rows] == ["Brennan"]


def test_csv_export_and_its_access_event(population, login, cm_a, org_a):
    response = login(cm_a).get("/population/registry/export.csv", {"sort": "name"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = _body(response)
    rows = list(csv.DictReader(io.StringIO(body)))
    expected = PatientFinding.objects.filter(organization=org_a)
    assert sorted(int(r["patient_id"]) for r in rows) == sorted(
        expected.values_list("patient_id", flat=True)
    )
    assert all(r["run_id"] == population.run_id and r["ccm_status"] for r in rows)
    assert "Brennan" not in body
    event = AccessEvent.objects.get(view="population:registry_export")
    assert event.purpose == "operations" and event.user == cm_a
    assert sorted(event.patient_ids) == sorted(int(r["patient_id"]) for r in rows)


def test_registry_without_results(login, cm_a):
    page = login(cm_a).get("/population/registry/").content.decode()
    assert "No analytics results yet" in page
    assert not AccessEvent.objects.filter(view="population:registry").exists()
