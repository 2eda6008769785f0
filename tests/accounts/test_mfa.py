"""TOTP multi-factor: enrolment with a QR code, the two-step sign-in, MFA required per
organization, and the demo's codes (SEC-007; issue 3 point 4)."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from careloop.accounts.models import TOTPDevice
from careloop.audit.models import ChangeEvent

pytestmark = pytest.mark.django_db


def _password_step(client, username, password, next_url="/"):
    return client.post("/login/", {"username": username, "password": password, "next": next_url})


def _enrol(client, user, totp_code):
    page = client.get("/account/mfa/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    return page, device, client.post("/account/mfa/", {"token": totp_code(device)})


def test_mfa_required_organization_sends_the_user_to_enrolment_first(
    client, cm_mfa, cast_password, totp_code
):
    response = _password_step(client, "cm_mfa", cast_password)
    assert response.status_code == 302 and response["Location"] == "/"
    for url in ("/", "/patients/", "/imports/"):
        blocked = client.get(url)
        assert blocked.status_code == 302
        assert blocked["Location"].startswith("/account/mfa/"), url
    page, device, confirmed = _enrol(client, cm_mfa, totp_code)
    html = page.content.decode()
    assert "<svg" in html and 'aria-label="QR code' in html  # the QR code, inline SVG
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", html).group(1).replace(" ", "")
    import base64

    assert base64.b32decode(secret).hex() == device.key  # the secret shown is the device key
    # turned on: the ten recovery codes are shown this once, the page is not cached
    assert confirmed.status_code == 200
    assert "no-store" in confirmed["Cache-Control"]
    codes = re.findall(
        r"<code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code>",
        confirmed.content.decode(),
    )
    assert len(set(codes)) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200  # the session is now verified
    event = ChangeEvent.objects.get(entity_type="accounts.totpdevice")
    assert event.after == {"confirmed": True} and event.user == cm_mfa
    assert device.key not in str(ChangeEvent.objects.values_list("before", "after")[::1])


def test_enrolment_refuses_a_wrong_code(client, cm_mfa, cast_password):
    _password_step(client, "cm_mfa", cast_password)
    client.get("/account/mfa/")
    response = client.post("/account/mfa/", {"token": "000000"})
    assert response.status_code == 200 and "does not match" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cm_mfa, confirmed=True).exists()


def test_sign_in_asks_for_the_code_when_the_user_has_a_device(
    client, cm_mfa, cast_password, totp_code
):
    device = TOTPDevice.objects.create(user=cm_mfa, name="phone", confirmed=True)
    response = _password_step(client, "cm_mfa", cast_password, "/patients/")
    assert response.status_code == 302 and response["Location"].startswith("/login/token/")
    # nobody is signed in between the two steps
    assert client.get("/").status_code == 302
    assert "_auth_user_id" not in client.session
    wrong = client.post("/login/token/", {"token": "123456", "next": "/patients/"})
    assert wrong.status_code == 200 and "not valid" in wrong.content.decode()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    right = client.post("/login/token/", {"token": totp_code(device), "next": "/patients/"})
    assert right.status_code == 302 and right["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200
    assert client.session["otp_device_id"] == device.persistent_id


def test_a_code_cannot_be_replayed(client, cm_mfa, cast_password, totp_code):
    device = TOTPDevice.objects.create(user=cm_mfa, name="phone", confirmed=True)
    code = totp_code(device)
    _password_step(client, "cm_mfa", cast_password)
    assert client.post("/login/token/", {"token": code}).status_code == 302
    client.post("/logout/")
    _password_step(client, "cm_mfa", cast_password)
    assert client.post("/login/token/", {"token": code}).status_code == 200  # refused


def test_token_step_without_a_password_step_goes_back_to_login(client):
    response = client.get("/login/token/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_signed_in_session_without_verification_must_give_the_code(client, cm_mfa, totp_code):
    device = TOTPDevice.objects.create(user=cm_mfa, name="phone", confirmed=True)
    client.force_login(cm_mfa)  # e.g. a session from before the device was confirmed
    response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith("/login/token/")
    assert client.post("/login/token/", {"token": totp_code(device)}).status_code == 302
    assert client.get("/patients/").status_code == 200


def test_organizations_without_mfa_required_do_not_force_enrolment(login, cm_a):
    assert login(cm_a).get("/").status_code == 200


def test_demo_users_get_confirmed_devices_and_printed_codes(org_mfa, capsys, totp_code):
    """The TOTP part of `careloop demo`: fixed printed secrets; demo_totp prints the code."""
    from careloop.web.management.commands.demo import DEMO_USERS, Command

    cmd = Command()
    cmd._users(org_mfa)
    cmd._print_totp()
    out = capsys.readouterr().out
    for username, *_ in DEMO_USERS:
        device = TOTPDevice.objects.get(user__username=username, name="demo", confirmed=True)
        assert Command.demo_totp_secret(username) in out
        call_command("demo_totp", username)
        printed = capsys.readouterr().out.strip()
        assert printed in {totp_code(device, -1), totp_code(device), totp_code(device, 1)}
    cmd._users(org_mfa)  # idempotent
    assert TOTPDevice.objects.filter(name="demo").count() == len(DEMO_USERS)
