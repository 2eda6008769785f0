"""The first screens through the test client: scoping, paging, search, access events."""

from __future__ import annotations

import pytest

from careloop.audit.models import AccessEvent

pytestmark = pytest.mark.django_db


def test_anonymous_gets_the_login_page(client, patient_a):
    for url in ("/", "/patients/", f"/patients/{patient_a.pk}/", "/imports/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_care_manager_sees_own_patients_only(login, cm_a, patient_a, patient_b):
    client = login(cm_a)
    page = client.get("/patients/").content.decode()
    assert "Alvarez" in page and "Brennan" not in page
    assert client.get(f"/patients/{patient_a.pk}/").status_code == 200
    # another organization's patient: the same 404 as a patient that does not exist
    assert client.get(f"/patients/{patient_b.pk}/").status_code == 404
    assert client.get("/patients/999999/").status_code == 404


@pytest.mark.parametrize(
    "query", ["alv", "Rosa Alvarez", "MRN-A1", "1eg4te5mk73", "1948-03-02", "03/02/1948"]
)
def test_patient_search(login, cm_a, patient_a, query):
    page = login(cm_a).get("/patients/", {"q": query}).content.decode()
    assert "Alvarez, Rosa" in page


def test_chart_read_writes_an_access_event(login, cm_a, patient_a):
    login(cm_a).get(f"/patients/{patient_a.pk}/")
    event = AccessEvent.objects.get(view="web:patient_chart")
    assert event.user == cm_a
    assert event.patient_ids == [patient_a.pk]


def test_paging(login, cm_a, org_a):
    from careloop.clinical.models import Patient

    Patient.objects.bulk_create(
        [
            Patient(
                organization=org_a, source_system="t", source_id=f"x{i}", family_name=f"Zed{i:03d}"
            )
            for i in range(60)
        ]
    )
    client = login(cm_a)
    first = client.get("/patients/").content.decode()
    assert "Page 1 of 3" in first
    third = client.get("/patients/", {"page": 3}).content.decode()
    assert "Zed059" in third and "Zed000" not in third


def test_import_runs_need_an_administrator_or_auditor(login, cm_a, admin):
    assert login(cm_a).get("/imports/").status_code == 404
    assert login(admin).get("/imports/").status_code == 200
