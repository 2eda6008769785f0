"""Accounts tests: a fast password hasher for the cast (Argon2 is tested on its own), and a
helper that computes TOTP codes the way an authenticator app does."""

from __future__ import annotations

import time

import pytest


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def argon2_hashers(fast_hasher, settings):
    """The configured hashers (Argon2 first), for the test of the hashing itself."""
    from careloop.config import settings as configured

    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS


@pytest.fixture
def totp_code():
    """`totp_code(device, offset_steps=0)`: the code an authenticator shows now (+ n steps)."""
    from django_otp.oath import TOTP

    def _code(device, offset_steps: int = 0) -> str:
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time() + offset_steps * device.step
        return f"{totp.token():0{device.digits}d}"

    return _code
