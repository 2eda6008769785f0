"""Care teams, staff credentials and recovery codes in a real browser (issue 3): a program
administrator assigns and ends a care-team member and keeps credentials current from the
keyboard; a user signs in with a recovery code and sees how many are left. axe-core on every
screen (serious and critical violations fail); screenshots in test-artifacts/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from test_browser import _assert_skip_link_first, _sign_in, _tab_to, expect_heading

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = dt.date.today()


def _member(username, org, role, first, last, npi=""):
    from django.contrib.auth import get_user_model

    from careloop.accounts.models import Membership

    user = get_user_model().objects.create_user(
        username, password="x" * 16, first_name=first, last_name=last
    )
    Membership.objects.create(user=user, organization=org, role=role, npi=npi)
    return user


def _press_on(page, locator, limit: int = 80) -> None:
    _tab_to(page, locator, limit=limit)
    page.keyboard.press("Enter")


def test_admin_manages_a_care_team_by_keyboard(
    new_page, live_server, admin, cm_a, patient_a, org_a, password, axe, artifacts
):
    _member("drno", org_a, "billing_practitioner", "Sam", "Noe, MD")
    page = new_page()
    base = live_server.url
    _sign_in(page, base, admin.username, password)

    # the People link in the main navigation, then Care teams
    _press_on(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="People"))
    expect_heading(page, re.compile(r"^Members of"), level=1)
    _press_on(page, page.get_by_role("link", name="Care teams"))
    expect_heading(page, re.compile(r"^Care teams"), level=1)
    _assert_skip_link_first(page)

    # a billing practitioner without an NPI: the error sits at the person field
    _tab_to(page, page.get_by_label("Patient (careloop id, MRN or MBI)"))
    page.keyboard.type("MRN-A1")
    _tab_to(page, page.get_by_label("Person", exact=True))
    page.get_by_label("Person", exact=True).select_option(label="Sam Noe, MD (drno)")
    page.get_by_label("Care-team role").select_option("billing_practitioner")
    _press_on(page, page.get_by_role("button", name="Assign"))
    error = page.locator("#id_user_error")
    error.wait_for()
    assert "has no NPI on their billing practitioner membership" in error.inner_text()
    assert page.get_by_label("Person", exact=True).get_attribute("aria-invalid") == "true"
    axe.check(page, "care_teams-error")
    page.screenshot(path=artifacts / "care_teams-error.png", full_page=True)

    # the care manager as primary care manager: saved, listed
    page.get_by_label("Person", exact=True).select_option(label="cm_a (cm_a)")
    page.get_by_label("Care-team role").select_option("primary_care_manager")
    _press_on(page, page.get_by_role("button", name="Assign"))
    page.get_by_text(re.compile(r"cm_a is primary care manager of Alvarez, Rosa")).wait_for()
    table = page.get_by_role("table", name="Assignments")
    assert table.get_by_role("cell", name="Primary care manager").is_visible()
    axe.check(page, "care_teams")
    page.screenshot(path=artifacts / "care_teams.png", full_page=True)

    # the patient's care team, and ending the assignment from the keyboard
    _press_on(page, table.get_by_role("link", name="Alvarez, Rosa"))
    expect_heading(page, "Care team of Alvarez, Rosa", level=1)
    assert page.get_by_role("cell", name="Current").is_visible()
    axe.check(page, "care_team_patient")
    page.screenshot(path=artifacts / "care_team_patient.png", full_page=True)
    _press_on(page, page.get_by_role("button", name="End assignment"))
    page.get_by_text(re.compile(r"assignment as primary care manager ends on")).wait_for()
    from careloop.accounts.models import CareTeamAssignment

    assert CareTeamAssignment.objects.get().end == TODAY

    assert not axe.blocking, axe.report()


def test_admin_keeps_credentials_current(
    new_page, live_server, admin, cm_a, org_a, password, axe, artifacts
):
    from careloop.accounts import credentials
    from careloop.accounts.models import Credential

    soon = credentials.add_credential(
        acting_user=admin, organization=org_a, user=cm_a, kind="license", number="RN-20417",
        state="MA", issuer="MA Board of Registration in Nursing",
        expires_on=TODAY + dt.timedelta(days=12),
    )  # fmt: skip
    credentials.add_credential(
        acting_user=admin, organization=org_a, user=cm_a, kind="ccm", number="CCM-88120",
        issuer="CCMC", expires_on=TODAY + dt.timedelta(days=500),
    )  # fmt: skip
    page = new_page()
    base = live_server.url
    _sign_in(page, base, admin.username, password)
    page.goto(f"{base}/account/credentials/")
    expect_heading(page, re.compile(r"^Staff credentials"), level=1)
    _assert_skip_link_first(page)
    warnings = page.get_by_role("status", name="Credentials expiring soon")
    assert "RN-20417" in warnings.inner_text() and "CCM-88120" not in warnings.inner_text()

    # a wider window from the keyboard
    window = page.get_by_label("Warn about credentials expiring within (days)")
    _tab_to(page, window)
    page.keyboard.type("600")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"within=600"))
    expect_heading(page, "Expiring within 600 days", level=2)
    assert "CCM-88120" in page.get_by_role("status", name="Credentials expiring soon").inner_text()
    axe.check(page, "credentials")
    page.screenshot(path=artifacts / "credentials.png", full_page=True)

    # adding a licence without its state: the error says what to enter
    form = page.get_by_role("form", name="Add a credential")
    form.get_by_label("Person", exact=True).select_option(label="cm_a (cm_a)")
    form.get_by_label("Credential type").select_option("license")
    _tab_to(page, form.get_by_label("Number"), limit=120)
    page.keyboard.type("LPN-3391")
    _press_on(page, form.get_by_role("button", name="Add credential"))
    page.locator("#id_state_error").wait_for()
    assert "issued by a state" in page.locator("#id_state_error").inner_text()
    axe.check(page, "credentials-error")
    page.screenshot(path=artifacts / "credentials-error.png", full_page=True)
    _tab_to(page, page.get_by_label("State (two letters; required for a licence)"), limit=120)
    page.keyboard.type("ma")
    _press_on(page, page.get_by_role("button", name="Add credential"))
    page.get_by_text("Added Professional licence LPN-3391.").wait_for()

    # renewing the expiring licence
    page.goto(f"{base}/account/credentials/{soon.pk}/")
    expect_heading(page, re.compile(r"^Edit Professional licence RN-20417"), level=1)
    renewed = TODAY + dt.timedelta(days=730)
    page.get_by_label("Expires on").fill(renewed.isoformat())
    axe.check(page, "credential_edit")
    page.screenshot(path=artifacts / "credential_edit.png", full_page=True)
    _press_on(page, page.get_by_role("button", name="Save"))
    page.get_by_text("Saved Professional licence RN-20417.").wait_for()
    soon.refresh_from_db()
    assert soon.expires_on == renewed
    assert Credential.objects.filter(number="LPN-3391", state="MA").exists()

    assert not axe.blocking, axe.report()


def test_sign_in_with_a_recovery_code(new_page, live_server, cm_mfa, password, axe, artifacts):
    from careloop.accounts import mfa_services
    from careloop.accounts.models import TOTPDevice

    TOTPDevice.objects.create(user=cm_mfa, name="phone", confirmed=True)
    codes = mfa_services.generate_recovery_codes(user=cm_mfa)
    page = new_page()
    base = live_server.url
    page.goto(f"{base}/login/")
    _tab_to(page, page.get_by_label("Username"))
    page.keyboard.type(cm_mfa.username)
    _tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/login/token/"))
    expect_heading(page, "Enter your verification code", level=1)

    # the disclosure opens from the keyboard, the code is typed as printed
    _press_on(page, page.locator("summary", has_text="No phone? Use a recovery code"))
    field = page.get_by_label("Recovery code")
    field.wait_for()
    axe.check(page, "login_token-recovery")
    page.screenshot(path=artifacts / "login_token-recovery.png", full_page=True)
    _tab_to(page, field)
    page.keyboard.type(codes[0])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/account/mfa/")
    expect_heading(page, "Recovery codes", level=2)
    assert re.search(r"9 of 10 recovery codes left", page.locator("#codes-left").inner_text())
    axe.check(page, "mfa-recovery_codes")
    page.screenshot(path=artifacts / "mfa.png", full_page=True)

    # new codes, shown once (the sign-in was just now, so no password prompt)
    _press_on(page, page.get_by_role("button", name="Generate new recovery codes"))
    expect_heading(page, "Your recovery codes", level=1)
    shown = page.get_by_role("list", name="Recovery codes").locator("code").all_inner_texts()
    assert len(set(shown)) == 10 and not set(shown) & set(codes)
    axe.check(page, "recovery_codes")
    page.screenshot(path=artifacts / "recovery_codes.png", full_page=True)

    assert not axe.blocking, axe.report()


def test_admin_resets_a_members_mfa_by_keyboard(
    new_page, live_server, admin, cm_a, org_a, password, axe, artifacts
):
    from careloop.accounts.models import TOTPDevice

    TOTPDevice.objects.create(user=cm_a, name="phone", confirmed=True)
    page = new_page()
    _sign_in(page, live_server.url, admin.username, password)
    page.goto(f"{live_server.url}/account/members/")
    expect_heading(page, re.compile(r"^Members of"), level=1)
    axe.check(page, "members")
    _press_on(page, page.get_by_role("button", name="Reset MFA of cm_a"))
    page.get_by_text("MFA reset for cm_a: they set up a new authenticator").wait_for()
    axe.check(page, "members-mfa-reset")
    page.screenshot(path=artifacts / "members-mfa-reset.png", full_page=True)
    assert not TOTPDevice.objects.filter(user=cm_a).exists()
    # no button to reset one's own MFA
    assert page.get_by_role("button", name=f"Reset MFA of {admin.username}").count() == 0
