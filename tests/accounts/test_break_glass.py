"""Break the glass (SEC-003): a stated reason, time-limited, flagged, listed for review; never
across organizations. Organization A scopes charts by care team here."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from careloop.accounts import care_teams, services
from careloop.accounts.models import BreakGlassGrant
from careloop.audit.models import AccessEvent, ChangeEvent

pytestmark = pytest.mark.django_db
REASON = "Patient called the after-hours line with chest pain; her care manager is out"


@pytest.fixture
def care_team_org(org_a):
    org_a.chart_access = "care_team"
    org_a.save()
    return org_a


def test_care_team_scoping_hides_other_patients_of_the_organization(
    login, care_team_org, cm_a, admin, auditor, patient_a
):
    client = login(cm_a)
    chart = client.get(f"/patients/{patient_a.pk}/")
    assert chart.status_code == 404
    # the 404 offers break-the-glass; the same offer for an id that does not exist
    assert f"/account/break-glass/?patient={patient_a.pk}" in chart.content.decode()
    assert (
        "/account/break-glass/?patient=999999" in client.get("/patients/999999/").content.decode()
    )
    assert "Alvarez" not in client.get("/patients/").content.decode()
    # organization-wide roles still see the patient; nothing to break for them
    assert login(admin).get(f"/patients/{patient_a.pk}/").status_code == 200
    assert login(auditor).get("/account/break-glass/").status_code == 403


def test_assigned_care_manager_sees_the_patient(login, care_team_org, cm_a, admin, patient_a):
    care_teams.assign_care_team(
        acting_user=admin,
        patient=patient_a,
        user=cm_a,
        role="primary_care_manager",
        start=dt.date.today() - dt.timedelta(days=1),
    )
    assert login(cm_a).get(f"/patients/{patient_a.pk}/").status_code == 200
    assert not AccessEvent.objects.filter(break_glass=True).exists()


def test_break_the_glass_grants_time_limited_flagged_access(
    login, care_team_org, cm_a, patient_a, settings
):
    client = login(cm_a)
    form = client.get(f"/account/break-glass/?patient={patient_a.pk}")
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    short = client.post("/account/break-glass/", {"patient": patient_a.pk, "reason": "urgent"})
    assert short.status_code == 200 and not BreakGlassGrant.objects.exists()
    response = client.post("/account/break-glass/", {"patient": patient_a.pk, "reason": REASON})
    assert response.status_code == 302 and response["Location"] == f"/patients/{patient_a.pk}/"
    grant = BreakGlassGrant.objects.get()
    assert grant.user == cm_a and grant.reason == REASON
    assert grant.expires_at - grant.granted_at == dt.timedelta(minutes=settings.BREAK_GLASS_MINUTES)
    assert settings.BREAK_GLASS_MINUTES == 60
    assert ChangeEvent.objects.filter(entity_type="accounts.breakglassgrant").count() == 1
    assert client.get(f"/patients/{patient_a.pk}/").status_code == 200
    flagged = AccessEvent.objects.filter(break_glass=True, purpose="emergency")
    assert {e.view for e in flagged} == {
        "accounts:break_glass",
        "clinical:patient_under_break_glass",
    }
    assert all(e.patient_ids == [patient_a.pk] and e.user == cm_a for e in flagged)
    # an hour later the glass is whole again
    BreakGlassGrant.objects.filter(pk=grant.pk).update(
        expires_at=grant.granted_at - dt.timedelta(seconds=1)
    )
    assert client.get(f"/patients/{patient_a.pk}/").status_code == 404


def test_break_the_glass_by_mrn(login, care_team_org, cm_a, patient_a):
    response = login(cm_a).post("/account/break-glass/", {"patient": "mrn-a1", "reason": REASON})
    assert response.status_code == 302
    assert BreakGlassGrant.objects.get().patient == patient_a


def test_never_across_organizations(login, care_team_org, cm_a, patient_b, org_b):
    client = login(cm_a)
    for ref in (str(patient_b.pk), "MRN-B1"):
        response = client.post("/account/break-glass/", {"patient": ref, "reason": REASON})
        assert response.status_code == 404
    assert not BreakGlassGrant.objects.exists()
    with pytest.raises(PermissionDenied):
        services.break_the_glass(
            acting_user=cm_a, organization=care_team_org, patient=patient_b, reason=REASON
        )
    assert client.get(f"/patients/{patient_b.pk}/").status_code == 404


def test_reason_is_required_by_the_service(care_team_org, cm_a, patient_a):
    with pytest.raises(ValidationError):
        services.break_the_glass(
            acting_user=cm_a, organization=care_team_org, patient=patient_a, reason="   x   "
        )


def test_organization_wide_mode_has_nothing_to_break(login, org_a, cm_a):
    assert login(cm_a).get("/account/break-glass/").status_code == 403


def test_review_list_for_administrators_and_auditors(
    login, care_team_org, cm_a, admin, auditor, patient_a
):
    grant = services.break_the_glass(
        acting_user=cm_a, organization=care_team_org, patient=patient_a, reason=REASON
    )
    for reviewer in (admin, auditor):
        page = login(reviewer).get("/account/break-glass/review/").content.decode()
        assert REASON in page and "Alvarez" in page
    assert login(cm_a).get("/account/break-glass/review/").status_code == 404
    # the auditor reads but does not write; the administrator records the review
    url = f"/account/break-glass/{grant.pk}/review/"
    assert login(auditor).post(url, {"note": "ok"}).status_code == 403
    assert login(admin).post(url, {"note": "Confirmed with the on-call nurse"}).status_code == 302
    grant.refresh_from_db()
    assert grant.reviewed_by == admin and grant.review_note == "Confirmed with the on-call nurse"
    with pytest.raises(PermissionDenied):
        services.review_break_glass(acting_user=cm_a, grant=grant, note="my own")
    assert AccessEvent.objects.filter(view="accounts:break_glass_review").exists()
