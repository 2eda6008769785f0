"""MFA recovery codes (SEC-007, SEC-012): ten single-use codes, shown once and stored hashed,
accepted at the second sign-in step in place of a TOTP code, each use audited, regenerated
only after a recent sign-in."""

from __future__ import annotations

import re
import time

import pytest

from careloop.accounts import mfa_services, selectors
from careloop.accounts.decorators import AUTH_AT
from careloop.accounts.models import RecoveryCode, TOTPDevice
from careloop.audit.models import ChangeEvent

pytestmark = pytest.mark.django_db
CODE = re.compile(r"<code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code>")


@pytest.fixture
def enrolled(cm_mfa):
    """cm_mfa with a confirmed authenticator and a fresh set of codes."""
    device = TOTPDevice.objects.create(user=cm_mfa, name="phone", confirmed=True)
    return device, mfa_services.generate_recovery_codes(user=cm_mfa)


def _password_step(client, password):
    return client.post("/login/", {"username": "cm_mfa", "password": password, "next": "/"})


def test_codes_are_ten_random_and_stored_only_as_hashes(cm_mfa, enrolled):
    _, codes = enrolled
    assert len(set(codes)) == 10 and all(
        re.fullmatch(r"[0-9a-z]{4}(-[0-9a-z]{4}){3}", c) for c in codes
    )
    stored = list(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert len(stored) == 10
    plain = {c.replace("-", "") for c in codes}
    assert not plain & set(stored) and not any(p in h for p in plain for h in stored)
    audited = str(list(ChangeEvent.objects.values_list("before", "after")))
    assert not any(p in audited for p in plain) and "code_hash" not in audited
    event = ChangeEvent.objects.get(entity_type="accounts.recoverycodedevice")
    assert event.action == "create" and event.after["unused_codes"] == 10


def test_a_recovery_code_signs_in_once_and_its_use_is_audited(
    client, cm_mfa, cast_password, enrolled
):
    _, codes = enrolled
    _password_step(client, cast_password)
    page = client.get("/login/token/").content.decode()
    assert "Use a recovery code" in page and 'name="recovery_code"' in page
    # typed as a person would: upper case, spaces instead of dashes
    typed = codes[3].upper().replace("-", " ")
    response = client.post("/login/token/", {"recovery_code": typed, "next": "/patients/"})
    assert response.status_code == 302 and response["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200  # a verified session
    assert selectors.recovery_codes_left(cm_mfa) == 9
    use = ChangeEvent.objects.get(entity_type="accounts.recoverycode")
    assert use.action == "update" and use.user == cm_mfa
    assert use.before == {"used_at": None} and use.after["used_at"]

    client.post("/logout/")
    _password_step(client, cast_password)
    again = client.post("/login/token/", {"recovery_code": codes[3]})
    assert again.status_code == 200
    assert "not valid, or it was used already" in again.content.decode()
    assert "_auth_user_id" not in client.session
    assert selectors.recovery_codes_left(cm_mfa) == 9


def test_a_totp_code_is_not_a_recovery_code_and_wrong_codes_count_towards_lockout(
    client, cm_mfa, cast_password, enrolled, totp_code, settings
):
    device, _ = enrolled
    _password_step(client, cast_password)
    refused = client.post("/login/token/", {"recovery_code": totp_code(device)})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/login/token/", {"recovery_code": "zzzz-zzzz-zzzz-zzzz"})
    assert _password_step(client, cast_password).status_code == 429  # locked out
    assert selectors.recovery_codes_left(cm_mfa) == 10


def test_security_page_shows_how_many_codes_are_left(client, cm_mfa, enrolled, totp_code):
    device, codes = enrolled
    mfa_services.use_recovery_code(device=selectors.recovery_device(cm_mfa), code=codes[0])
    client.force_login(cm_mfa)
    client.post("/login/token/", {"token": totp_code(device)})
    page = client.get("/account/mfa/").content.decode()
    assert re.search(r"<strong>9</strong> of 10 recovery codes left", page)
    assert "Generate new recovery codes" in page


def _verified(client, user, device, totp_code, *, auth_age: float):
    client.force_login(user)
    client.post("/login/token/", {"token": totp_code(device)})
    session = client.session
    session[AUTH_AT] = time.time() - auth_age
    session.save()


def test_regeneration_needs_a_recent_sign_in_and_replaces_every_code(
    client, cm_mfa, enrolled, totp_code, settings
):
    device, old_codes = enrolled
    _verified(client, cm_mfa, device, totp_code, auth_age=settings.REAUTH_MAX_AGE_SECONDS + 60)
    stale = client.post("/account/recovery-codes/", HTTP_REFERER="http://testserver/account/mfa/")
    assert stale.status_code == 302 and stale["Location"].startswith("/account/reauth/")
    assert ChangeEvent.objects.filter(entity_type="accounts.recoverycodedevice").count() == 1

    session = client.session
    session[AUTH_AT] = time.time()
    session.save()
    fresh = client.post("/account/recovery-codes/")
    assert fresh.status_code == 200 and "no-store" in fresh["Cache-Control"]
    new_codes = CODE.findall(fresh.content.decode())
    assert len(set(new_codes)) == 10 and not set(new_codes) & set(old_codes)
    recovery = selectors.recovery_device(cm_mfa)
    assert not mfa_services.use_recovery_code(device=recovery, code=old_codes[0])
    recovery.refresh_from_db()
    recovery.throttling_failure_count = 0
    recovery.save()
    assert mfa_services.use_recovery_code(device=recovery, code=new_codes[0])
    update = ChangeEvent.objects.filter(
        entity_type="accounts.recoverycodedevice", action="update"
    ).get()
    assert update.user == cm_mfa and set(update.after) == {"codes_issued_at"}


def test_an_unverified_session_cannot_generate_codes(client, cm_mfa, enrolled):
    device, _ = enrolled
    client.force_login(cm_mfa)  # password only: the second factor is still owed
    session = client.session
    session[AUTH_AT] = time.time()
    session.save()
    response = client.post("/account/recovery-codes/")
    assert response.status_code == 302 and response["Location"].startswith("/login/token/")
    assert ChangeEvent.objects.filter(entity_type="accounts.recoverycodedevice").count() == 1


def test_wrong_codes_are_throttled_on_the_device(cm_mfa, enrolled):
    _, codes = enrolled
    recovery = selectors.recovery_device(cm_mfa)
    assert not mfa_services.use_recovery_code(device=recovery, code="zzzz-zzzz-zzzz-zzzz")
    # the next try within the throttle delay is refused even with a right code
    assert not mfa_services.use_recovery_code(device=recovery, code=codes[0])
    assert selectors.recovery_codes_left(cm_mfa) == 10
