"""Lockout (django-axes), idle timeout, re-authentication, Argon2, security headers, and the
production settings that refuse to start (SEC-004, SEC-007, SEC-008, SEC-010)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client

from careloop.accounts.models import TOTPDevice

pytestmark = pytest.mark.django_db


def _login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_five_failed_passwords_lock_the_account(client, cm_a, cast_password):
    assert django_settings.AXES_FAILURE_LIMIT == 5
    assert django_settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert django_settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    for _ in range(4):
        assert _login(client, "cm_a", "wrong-password-123").status_code == 200
    locked = _login(client, "cm_a", "wrong-password-123")
    assert locked.status_code == 429 and "Sign-in locked" in locked.content.decode()
    # the right password is refused too, from another browser as well, during the cool-off
    assert _login(Client(), "cm_a", cast_password).status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_ends_after_the_cool_off(client, cm_a, cast_password):
    for _ in range(5):
        _login(client, "cm_a", "wrong-password-123")
    assert _login(client, "cm_a", cast_password).status_code == 429
    cooled = django_settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1)
    assert cooled > dt.timedelta(minutes=15)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - cooled
        )
    assert _login(client, "cm_a", cast_password).status_code == 302


def test_failed_mfa_codes_count_towards_the_lockout(client, cm_mfa, cast_password, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    TOTPDevice.objects.create(user=cm_mfa, name="phone", confirmed=True)
    for _ in range(5):
        assert _login(client, "cm_mfa", cast_password).status_code == 302
        client.post("/login/token/", {"token": "000000"})
    assert _login(client, "cm_mfa", cast_password).status_code == 429


def test_idle_timeout_signs_out(client, cm_a, settings):
    assert settings.IDLE_TIMEOUT_SECONDS == 900  # 15 minutes by default (SEC-004)
    client.force_login(cm_a)
    assert client.get("/patients/").status_code == 200
    session = client.session
    session["last_seen"] = int(time.time()) - 901
    session.save()
    response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/") and "timeout=1" in response["Location"]
    assert client.get("/").status_code == 302  # signed out for good
    page = client.get(response["Location"]).content.decode()
    assert "signed out after a period of inactivity" in page


def test_activity_keeps_the_session(client, cm_a, settings):
    settings.IDLE_TIMEOUT_SECONDS = 60
    client.force_login(cm_a)
    client.get("/")
    session = client.session
    session["last_seen"] = int(time.time()) - 59
    session.save()
    assert client.get("/").status_code == 200


def _membership_role_post(client, admin, cm_a):
    from careloop.accounts.models import Membership

    m = Membership.objects.get(user=cm_a)
    return m, client.post(
        f"/account/members/{m.pk}/role/",
        {"role": "case_manager"},
        headers={"Referer": "http://testserver/account/members/"},
    )


def test_role_change_needs_a_recent_sign_in(client, admin, cm_a, cast_password):
    from careloop.audit.models import ChangeEvent

    client.force_login(admin)  # no password entered in this session
    m, response = _membership_role_post(client, admin, cm_a)
    assert response.status_code == 302
    assert response["Location"] == "/account/reauth/?next=%2Faccount%2Fmembers%2F"
    m.refresh_from_db()
    assert m.role == "care_manager"
    wrong = client.post(
        "/account/reauth/", {"password": "nope-nope-nope", "next": "/account/members/"}
    )
    assert wrong.status_code == 200 and "not correct" in wrong.content.decode()
    ok = client.post("/account/reauth/", {"password": cast_password, "next": "/account/members/"})
    assert ok.status_code == 302 and ok["Location"] == "/account/members/"
    _m, again = _membership_role_post(client, admin, cm_a)
    assert again.status_code == 302 and again["Location"] == "/account/members/"
    m.refresh_from_db()
    assert m.role == "case_manager"
    event = ChangeEvent.objects.get(entity_type="accounts.membership", action="update")
    assert event.before == {"role": "care_manager"} and event.after == {"role": "case_manager"}


def test_recent_sign_in_expires(client, admin, cm_a, cast_password, settings):
    _login(client, "admin", cast_password)
    _m, fresh = _membership_role_post(client, admin, cm_a)
    assert fresh["Location"] == "/account/members/"
    session = client.session
    session["careloop_auth_at"] = int(time.time()) - settings.REAUTH_MAX_AGE_SECONDS - 1
    session["last_seen"] = int(time.time())
    session.save()
    _m, stale = _membership_role_post(client, admin, cm_a)
    assert stale["Location"].startswith("/account/reauth/")


def test_reauth_asks_for_the_code_when_the_user_has_mfa(
    client, cm_mfa, cast_password, totp_code, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no wait after the failed attempt below
    device = TOTPDevice.objects.create(user=cm_mfa, name="phone", confirmed=True)
    _login(client, "cm_mfa", cast_password)
    client.post("/login/token/", {"token": totp_code(device)})
    page = client.get("/account/reauth/?next=/").content.decode()
    assert 'name="token"' in page
    no_code = client.post("/account/reauth/", {"password": cast_password, "next": "/"})
    assert no_code.status_code == 200
    ok = client.post(
        "/account/reauth/", {"password": cast_password, "token": totp_code(device, 1), "next": "/"}
    )
    assert ok.status_code == 302 and ok["Location"] == "/"


def test_passwords_are_hashed_with_argon2_and_the_policy_applies(argon2_hashers, cm_a):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    cm_a.set_password("a-long-enough-passphrase")
    assert cm_a.password.startswith("argon2")
    for weak in ("short-pw-1", "123456789012", "password1234"):
        with pytest.raises(ValidationError):
            validate_password(weak, cm_a)


def test_security_headers(login, cm_a):
    response = login(cm_a).get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_script_or_style():
    """What the CSP would block: inline <script>, <style>, style= and on*= attributes."""
    import re
    from pathlib import Path

    import careloop

    root = Path(careloop.__file__).parent
    bad = re.compile(r"<script(?![^>]*\ssrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.I)
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for path in root.rglob("templates/**/*.html")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if bad.search(line)
    ]
    assert not offenders, offenders


def _settings_in_subprocess(**env):
    code = "import django; django.setup(); from django.conf import settings; print(settings.SESSION_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS)"
    full = {k: v for k, v in os.environ.items() if not k.startswith(("CARELOOP_", "DATABASE_URL"))}
    full.update(DJANGO_SETTINGS_MODULE="careloop.config.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", code], env=full, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_the_default_secret_key(tmp_path):
    result = _settings_in_subprocess(CARELOOP_ENV="production", CARELOOP_HOME=str(tmp_path))
    assert result.returncode != 0
    assert "CARELOOP_SECRET_KEY must be set" in result.stderr


def test_production_refuses_debug(tmp_path):
    result = _settings_in_subprocess(
        CARELOOP_ENV="production",
        CARELOOP_HOME=str(tmp_path),
        CARELOOP_SECRET_KEY="k" * 50,
        CARELOOP_DEBUG="1",
    )
    assert result.returncode != 0 and "CARELOOP_DEBUG must not be on" in result.stderr


FIELD_KEY = "q9Lh1X3b6rBv0mU4cZ8fN2wYtE5sJ7aK1dG3hP6oRiM="  # a Fernet key (32 bytes, base64)


def test_production_refuses_to_start_without_a_field_key(tmp_path):
    """TOTP keys are encrypted at rest with CARELOOP_FIELD_KEY (SEC-012): no silent default."""
    result = _settings_in_subprocess(
        CARELOOP_ENV="production", CARELOOP_HOME=str(tmp_path), CARELOOP_SECRET_KEY="k" * 50
    )
    assert result.returncode != 0 and "CARELOOP_FIELD_KEY must be set" in result.stderr


def test_a_field_key_that_is_not_a_fernet_key_is_refused(tmp_path):
    result = _settings_in_subprocess(
        CARELOOP_HOME=str(tmp_path), CARELOOP_FIELD_KEY="not-a-key-of-32-bytes"
    )
    assert result.returncode != 0 and "not a Fernet key" in result.stderr


def test_production_with_a_real_secret_starts_with_tls_settings(tmp_path):
    result = _settings_in_subprocess(
        CARELOOP_ENV="production",
        CARELOOP_HOME=str(tmp_path),
        CARELOOP_SECRET_KEY="k" * 50,
        CARELOOP_FIELD_KEY=FIELD_KEY,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "31536000"]  # secure cookies, HSTS for a year
