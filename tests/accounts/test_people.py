"""Organizations and people: staff types, credentials with expiry warnings, memberships in
several organizations, care-team assignment (issue 3 point 1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from careloop.accounts import care_teams, credentials, policies, selectors, services
from careloop.accounts.models import CareTeamAssignment, Membership
from careloop.audit.models import ChangeEvent

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def _credential(admin, user, days, number):
    return credentials.add_credential(
        acting_user=admin,
        organization=admin.memberships.get().organization,
        user=user,
        kind="license",
        number=number,
        state="ma",
        issuer="Massachusetts Board of Registration in Nursing",
        expires_on=TODAY + dt.timedelta(days=days),
    )


def _admin_of(org):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(f"admin-{org.slug}", password="x" * 16)
    Membership.objects.create(user=user, organization=org, role="program_admin")
    return user


def test_credentials_expiring(org_a, org_b, admin, cm_a, cm_b):
    soon = _credential(admin, cm_a, 30, "RN-1")
    _credential(admin, cm_a, 200, "RN-2")
    expired = _credential(admin, cm_a, -3, "RN-0")
    _credential(_admin_of(org_b), cm_b, 10, "RN-B")
    credentials.add_credential(
        acting_user=admin,
        organization=org_a,
        user=cm_a,
        kind="ccm",
        number="CCM-77",
        issuer="CCMC",
        expires_on=None,
    )
    assert list(selectors.credentials_expiring(org_a, within_days=60)) == [expired, soon]
    assert [c.number for c in selectors.credentials_expiring(org_a, within_days=365)] == [
        "RN-0",
        "RN-1",
        "RN-2",
    ]
    assert soon.state == "MA"
    assert ChangeEvent.objects.filter(entity_type="accounts.credential").count() == 5


def test_home_page_banner_for_own_expiring_credentials(login, admin, cm_a):
    _credential(admin, cm_a, 20, "RN-123")
    page = login(cm_a).get("/").content.decode()
    assert "Your credentials need attention" in page and "RN-123" in page
    assert "Your credentials" not in login(admin).get("/").content.decode()


def test_members_screen_warns_about_credentials(login, admin, cm_a):
    _credential(admin, cm_a, 20, "RN-123")
    page = login(admin).get("/account/members/").content.decode()
    assert "Credentials expiring soon" in page and "RN-123" in page


def test_staff_profile(admin, cm_a):
    services.set_staff_profile(acting_user=admin, user=cm_a, staff_type="rn", title="RN, CCM")
    services.set_staff_profile(acting_user=admin, user=cm_a, staff_type="lpn")
    cm_a.refresh_from_db()
    assert cm_a.staff_profile.get_staff_type_display() == "Licensed practical nurse (LPN)"
    actions = list(
        ChangeEvent.objects.filter(entity_type="accounts.staffprofile").values_list(
            "action", flat=True
        )
    )
    assert actions == ["create", "update"]


def test_several_organizations_and_the_switch(login, org_a, org_b, cm_a, patient_a, patient_b):
    Membership.objects.create(user=cm_a, organization=org_b, role="case_manager")
    client = login(cm_a)
    assert "Alvarez" in client.get("/patients/").content.decode()
    assert client.post("/organization/", {"organization": org_b.pk}).status_code == 302
    page = client.get("/patients/").content.decode()
    assert "Brennan" in page and "Alvarez" not in page
    assert client.get(f"/patients/{patient_a.pk}/").status_code == 404
    assert client.post("/organization/", {"organization": 999999}).status_code == 404


def test_assign_care_team(org_a, org_b, admin, cm_a, cm_b, auditor, patient_a):
    a = care_teams.assign_care_team(
        acting_user=admin, patient=patient_a, user=cm_a, role="primary_care_manager", start=TODAY
    )
    assert a.organization == org_a
    event = ChangeEvent.objects.get(entity_type="accounts.careteamassignment")
    assert event.action == "create" and event.after["role"] == "primary_care_manager"
    assert event.user == admin and event.organization == org_a
    assert list(policies.care_team_patient_ids(cm_a, org_a)) == [{"patient_id": patient_a.pk}]
    # somebody of another organization, a role the person does not hold, a non-administrator
    with pytest.raises(ValidationError):
        care_teams.assign_care_team(
            acting_user=admin,
            patient=patient_a,
            user=cm_b,
            role="primary_care_manager",
            start=TODAY,
        )
    with pytest.raises(ValidationError):
        care_teams.assign_care_team(
            acting_user=admin,
            patient=patient_a,
            user=cm_a,
            role="billing_practitioner",
            start=TODAY,
        )
    with pytest.raises(PermissionDenied):
        care_teams.assign_care_team(
            acting_user=auditor, patient=patient_a, user=cm_a, role="case_manager", start=TODAY
        )
    ended = care_teams.end_care_team_assignment(acting_user=admin, assignment=a, end=TODAY)
    assert ended.end == TODAY
    assert CareTeamAssignment.objects.count() == 1
    tomorrow = TODAY + dt.timedelta(days=1)
    assert not list(policies.care_team_patient_ids(cm_a, org_a, on=tomorrow))


def test_caseload_selector(rf, org_a, admin, cm_a, patient_a):
    from careloop.clinical.selectors import caseload

    assert not caseload(cm_a).exists()
    care_teams.assign_care_team(
        acting_user=admin, patient=patient_a, user=cm_a, role="primary_care_manager", start=TODAY
    )
    assert list(caseload(cm_a)) == [patient_a]


def test_billing_practitioner_needs_an_npi(org_a, admin, cm_a):
    m = Membership.objects.get(user=cm_a)
    with pytest.raises(ValidationError):
        services.change_role(acting_user=admin, membership=m, role="billing_practitioner")
    with pytest.raises(ValidationError, match="fails its check digit"):  # a mistyped NPI
        services.change_role(
            acting_user=admin, membership=m, role="billing_practitioner", npi="1234567890"
        )
    services.change_role(
        acting_user=admin, membership=m, role="billing_practitioner", npi="1234567893"
    )
    m.refresh_from_db()
    assert m.role == "billing_practitioner" and m.npi == "1234567893"
