"""TOTP keys encrypted at rest (SEC-012; decision 0010): the database holds a Fernet token,
never the hex key; the data migration moves django-otp's plain devices; the sign-in still
works and rotation to a new key keeps old rows readable."""

from __future__ import annotations

import importlib

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from careloop.accounts import field_encryption
from careloop.accounts.models import TOTPDevice

pytestmark = pytest.mark.django_db
MIGRATION = importlib.import_module("careloop.accounts.migrations.0004_encrypt_totp_keys")
HEX_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret


def _stored_key(device) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key FROM {TOTPDevice._meta.db_table} WHERE id = %s", [device.pk])
        return cursor.fetchone()[0]


def test_the_database_holds_a_token_and_python_the_key(cm_mfa):
    device = TOTPDevice.objects.create(user=cm_mfa, name="phone", key=HEX_KEY)
    stored = _stored_key(device)
    assert stored.startswith(field_encryption.TOKEN_PREFIX) and HEX_KEY not in stored
    assert TOTPDevice.objects.get(pk=device.pk).key == HEX_KEY
    assert TOTPDevice.objects.get(pk=device.pk).bin_key == b"12345678901234567890"
    device.save()  # every save encrypts afresh: the token changes, the key does not
    assert _stored_key(device) != stored
    assert TOTPDevice.objects.get(pk=device.pk).key == HEX_KEY


def test_sign_in_with_an_encrypted_device(client, cm_mfa, cast_password, totp_code):
    device = TOTPDevice.objects.create(user=cm_mfa, name="phone", confirmed=True)
    client.post("/login/", {"username": "cm_mfa", "password": cast_password})
    response = client.post("/login/token/", {"token": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["otp_device_id"] == f"accounts.totpdevice/{device.pk}"


def test_key_rotation_new_key_first_keeps_old_rows_readable(settings, cm_mfa):
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    device = TOTPDevice.objects.create(user=cm_mfa, name="phone", key=HEX_KEY)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *old_keys]
    assert TOTPDevice.objects.get(pk=device.pk).key == HEX_KEY  # read with the old key
    TOTPDevice.objects.get(pk=device.pk).save()  # re-encrypted with the new one
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert TOTPDevice.objects.get(pk=device.pk).key == HEX_KEY
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        TOTPDevice.objects.get(pk=device.pk)


def _historical_apps():
    executor = MigrationExecutor(connection)
    return executor.loader.project_state(("accounts", "0004_encrypt_totp_keys")).apps


def test_data_migration_encrypts_existing_plain_devices(client, cm_mfa, cast_password, totp_code):
    apps = _historical_apps()
    plain = apps.get_model("otp_totp", "TOTPDevice")
    old = plain.objects.create(
        user_id=cm_mfa.pk, name="phone", key=HEX_KEY, confirmed=True, drift=1, last_t=42
    )
    created_at = plain.objects.get(pk=old.pk).created_at

    MIGRATION.encrypt_keys(apps, None)

    assert not plain.objects.exists()
    device = TOTPDevice.objects.get(user=cm_mfa)
    assert (device.key, device.name, device.confirmed, device.drift, device.last_t) == (
        HEX_KEY, "phone", True, 1, 42,
    )  # fmt: skip
    assert device.created_at == created_at
    assert HEX_KEY not in _stored_key(device)
    client.post("/login/", {"username": "cm_mfa", "password": cast_password})
    assert client.post("/login/token/", {"token": totp_code(device)}).status_code == 302

    MIGRATION.decrypt_keys(apps, None)  # the reverse puts the plain key back
    assert plain.objects.get(user_id=cm_mfa.pk).key == HEX_KEY
    assert not TOTPDevice.objects.exists()


def test_nothing_creates_plain_totp_devices_any_more(org_mfa):
    """The demo's devices are the encrypted kind (django-otp's table stays empty)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice as PlainTOTPDevice

    from careloop.web.management.commands.demo import DEMO_USERS, Command

    Command()._users(org_mfa)
    assert TOTPDevice.objects.filter(name="demo").count() == len(DEMO_USERS)
    assert not PlainTOTPDevice.objects.exists()
