"""Care-team screens (issue 3 points 1-2; SEC-002): a program administrator lists, assigns and
ends assignments per patient; the role must fit; every change is audited in its transaction
and needs a recent sign-in; other organizations and other roles get 404."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from careloop.accounts import care_teams, credentials, services
from careloop.accounts.models import CareTeamAssignment, Membership
from careloop.audit.models import AccessEvent, ChangeEvent

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def _member(username, org, role, npi="", first="", last=""):
    user = get_user_model().objects.create_user(
        username, password="x" * 16, first_name=first or username, last_name=last
    )
    Membership.objects.create(user=user, organization=org, role=role, npi=npi)
    return user


@pytest.fixture
def team(org_a, admin, cm_a):
    """A billing practitioner without an NPI, one with an NPI, a case manager (LCSW)."""
    return {
        "no_npi": _member("drno", org_a, "billing_practitioner", last="Noe"),
        "drpatel": _member(
            "drpatel", org_a, "billing_practitioner", npi="1234567893", last="Patel"
        ),
        "casey": _member("casey", org_a, "case_manager", last="Ortiz"),
    }


def _assign(client, patient, user, role, start=TODAY, end=""):
    return client.post(
        "/account/care-teams/",
        {"patient": patient.mrn, "user": user.pk, "role": role, "start": start, "end": end},
    )


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'id="id_{field}_error"[^>]*>([^<]+)<', html)
    return html_lib.unescape(match.group(1)) if match else ""


def test_admin_assigns_through_the_form_and_it_is_audited(login, admin, cm_a, patient_a, org_a):
    client = login(admin)
    page = client.get("/account/care-teams/").content.decode()
    assert 'for="id_patient"' in page and 'for="id_user"' in page and 'for="id_role"' in page
    response = _assign(client, patient_a, cm_a, "primary_care_manager")
    assert response.status_code == 302
    assignment = CareTeamAssignment.objects.get()
    assert (assignment.patient, assignment.user, assignment.start) == (patient_a, cm_a, TODAY)
    event = ChangeEvent.objects.get(entity_type="accounts.careteamassignment")
    assert event.user == admin and event.organization == org_a and event.source == "screen"
    assert event.request_id  # the request that made the change
    listing = client.get("/account/care-teams/").content.decode()
    assert "Alvarez, Rosa" in listing and "Primary care manager" in listing
    read = AccessEvent.objects.filter(view="accounts:care_teams").latest("pk")
    assert read.patient_ids == [patient_a.pk] and read.purpose == "operations"


def test_assigning_needs_a_recent_sign_in(admin, cm_a, patient_a):
    client = Client()
    client.force_login(admin)  # signed in, but the password was not entered recently
    response = _assign(client, patient_a, cm_a, "primary_care_manager")
    assert response.status_code == 302 and response["Location"].startswith("/account/reauth/")
    assert not CareTeamAssignment.objects.exists()


def test_the_role_must_fit_and_the_errors_say_why(login, admin, cm_a, patient_a, team, org_a):
    client = login(admin)
    no_npi = _assign(client, patient_a, team["no_npi"], "billing_practitioner")
    assert no_npi.status_code == 400
    assert "has no NPI on their billing practitioner membership" in _field_error(
        no_npi.content.decode(), "user"
    )
    care_manager_as_bp = _assign(client, patient_a, cm_a, "billing_practitioner")
    assert "has no active billing practitioner membership" in _field_error(
        care_manager_as_bp.content.decode(), "user"
    )
    services.set_staff_profile(acting_user=admin, user=team["drpatel"], staff_type="rn")
    rn_as_bp = _assign(client, patient_a, team["drpatel"], "billing_practitioner")
    assert "physician, NP, PA, CNS or CNM" in _field_error(rn_as_bp.content.decode(), "user")
    services.set_staff_profile(acting_user=admin, user=team["drpatel"], staff_type="physician")
    assert _assign(client, patient_a, team["drpatel"], "billing_practitioner").status_code == 302

    unlicensed = _assign(client, patient_a, team["casey"], "case_manager")
    assert "needs a professional licence current on" in _field_error(
        unlicensed.content.decode(), "user"
    )
    credentials.add_credential(
        acting_user=admin, organization=org_a, user=team["casey"], kind="license",
        number="LCSW-118", state="MA", expires_on=TODAY - dt.timedelta(days=1),
    )  # fmt: skip
    expired = _assign(client, patient_a, team["casey"], "case_manager")
    assert "needs a professional licence current on" in _field_error(
        expired.content.decode(), "user"
    )
    credentials.add_credential(
        acting_user=admin, organization=org_a, user=team["casey"], kind="license",
        number="LCSW-119", state="MA", expires_on=TODAY + dt.timedelta(days=400),
    )  # fmt: skip
    assert _assign(client, patient_a, team["casey"], "case_manager").status_code == 302
    assert CareTeamAssignment.objects.count() == 2


def test_one_primary_care_manager_at_a_time_and_dates_in_order(
    login, admin, cm_a, patient_a, org_a, team
):
    other = _member("nurse2", org_a, "care_manager", first="Dana", last="Reyes")
    client = login(admin)
    assert _assign(client, patient_a, cm_a, "primary_care_manager").status_code == 302
    clash = _assign(client, patient_a, other, "primary_care_manager")
    message = _field_error(clash.content.decode(), "start")
    assert "cm_a is this patient's primary care manager from" in message
    assert "end that assignment first" in message
    twice = _assign(client, patient_a, cm_a, "primary_care_manager", start=TODAY + dt.timedelta(5))
    assert "is already this patient's primary care manager" in _field_error(
        twice.content.decode(), "user"
    )
    backwards = _assign(
        client, patient_a, other, "primary_care_manager",
        start=TODAY + dt.timedelta(days=40), end=TODAY + dt.timedelta(days=30),
    )  # fmt: skip
    assert "must be on or after the start" in _field_error(backwards.content.decode(), "end")
    # after the current one ends, the next one can start
    current = CareTeamAssignment.objects.get()
    end = client.post(f"/account/care-teams/{current.pk}/end/", {"end": TODAY})
    assert (
        end.status_code == 302
        and end["Location"] == f"/account/care-teams/patients/{patient_a.pk}/"
    )
    later = _assign(client, patient_a, other, "primary_care_manager", start=TODAY + dt.timedelta(1))
    assert later.status_code == 302
    assert CareTeamAssignment.objects.count() == 2


def test_unknown_and_foreign_patients_get_the_same_error(login, admin, cm_a, patient_b):
    client = login(admin)
    for reference in (patient_b.mrn, "MRN-NOPE", str(patient_b.pk)):
        response = client.post(
            "/account/care-teams/",
            {"patient": reference, "user": cm_a.pk, "role": "primary_care_manager", "start": TODAY},
        )
        assert response.status_code == 400
        assert _field_error(response.content.decode(), "patient") == (
            f"No patient {reference!r} in Riverside Primary Care."
        )
    assert not CareTeamAssignment.objects.exists()


def test_patient_page_shows_the_team_and_ends_an_assignment(login, admin, cm_a, patient_a):
    assignment = care_teams.assign_care_team(
        acting_user=admin, patient=patient_a, user=cm_a, role="primary_care_manager",
        start=TODAY - dt.timedelta(days=30),
    )  # fmt: skip
    client = login(admin)
    page = client.get(f"/account/care-teams/patients/{patient_a.pk}/").content.decode()
    assert "Care team of Alvarez, Rosa" in page and "Current" in page
    assert f'for="end-{assignment.pk}"' in page
    assert AccessEvent.objects.filter(view="accounts:care_team_patient").exists()
    too_early = client.post(
        f"/account/care-teams/{assignment.pk}/end/", {"end": TODAY - dt.timedelta(days=31)}
    )
    assert too_early.status_code == 302
    followed = client.get(too_early["Location"]).content.decode()
    assert "The end date must be on or after the start" in followed
    client.post(f"/account/care-teams/{assignment.pk}/end/", {"end": TODAY})
    assignment.refresh_from_db()
    assert assignment.end == TODAY
    update = ChangeEvent.objects.get(entity_type="accounts.careteamassignment", action="update")
    assert update.before == {"end": None} and update.after == {"end": TODAY.isoformat()}
    # assigned on the patient's own page: the patient comes from the URL
    other = _member("nurse3", admin.memberships.get().organization, "care_manager")
    response = client.post(
        f"/account/care-teams/patients/{patient_a.pk}/",
        {"user": other.pk, "role": "primary_care_manager", "start": TODAY + dt.timedelta(1)},
    )
    assert response.status_code == 302
    assert CareTeamAssignment.objects.filter(user=other, patient=patient_a).exists()


def test_list_filters_sorts_and_pages(login, admin, org_a, patient_a):
    from careloop.clinical.models import Patient

    people = [_member(f"cm{i:02d}", org_a, "care_manager", last=f"Nurse{i:02d}") for i in range(3)]
    for i in range(27):
        p = Patient.objects.create(
            organization=org_a, source_system="test", source_id=f"p{i}",
            family_name=f"Family{i:02d}", given_name="Pat", birth_date=dt.date(1950, 1, 1),
            mrn=f"MRN-{i:02d}",
        )  # fmt: skip
        care_teams.assign_care_team(
            acting_user=admin, patient=p, user=people[i % 3], role="primary_care_manager",
            start=TODAY - dt.timedelta(days=i),
        )  # fmt: skip
    client = login(admin)
    first = client.get("/account/care-teams/").content.decode()
    assert "27 assignments (current)" in first and "Page 1 of 2" in first
    assert first.index("Family00") < first.index("Family24")
    assert 'aria-sort="ascending"><a href="?sort=-patient">Patient' in first
    by_start = client.get("/account/care-teams/", {"sort": "start"}).content.decode()
    assert by_start.index("Family26") < by_start.index("Family02") and "Family00" not in by_start
    second = client.get("/account/care-teams/", {"sort": "start", "page": 2}).content.decode()
    assert "Family00" in second and "Family01" in second and "Family26" not in second
    assert 'href="?sort=start&amp;page=1"' in second  # the pager keeps the order
    found = client.get("/account/care-teams/", {"q": "Nurse01"}).content.decode()
    assert "9 assignments" in found
    assert (
        "status=current&amp;q="
        in client.get("/account/care-teams/", {"status": "current", "q": "Pat"}).content.decode()
    )  # the pager keeps the filters


def test_admin_of_another_organization_and_other_roles_get_404(
    login, org_b, admin, cm_a, auditor, patient_a
):
    assignment = care_teams.assign_care_team(
        acting_user=admin, patient=patient_a, user=cm_a, role="primary_care_manager", start=TODAY
    )
    admin_b = _member("admin_b", org_b, "program_admin")
    for user in (admin_b, cm_a, auditor):
        client = login(user)
        for url in (
            f"/account/care-teams/patients/{patient_a.pk}/",
            "/account/care-teams/",
        ):
            response = client.get(url)
            if user is admin_b and url == "/account/care-teams/":
                assert response.status_code == 200 and "Alvarez" not in response.content.decode()
            else:
                assert response.status_code == 404, (user, url)
        ended = client.post(f"/account/care-teams/{assignment.pk}/end/", {"end": TODAY})
        assert ended.status_code == 404
    assignment.refresh_from_db()
    assert assignment.end is None


def test_the_form_offers_only_people_in_care_team_roles(login, admin, cm_a, team, org_a):
    """SEC-002: care managers, case managers and billing practitioners may join a care team;
    a biller or the program administrator is not offered."""
    biller = _member("bill", org_a, "biller", last="Ledger")
    page = login(admin).get("/account/care-teams/").content.decode()
    select = re.search(r'<select name="user"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    offered = {int(v) for v in re.findall(r'<option value="(\d+)"', select.group(1))}
    expected = {cm_a.pk, team["no_npi"].pk, team["drpatel"].pk, team["casey"].pk}
    assert offered == expected
    assert biller.pk not in offered and admin.pk not in offered
