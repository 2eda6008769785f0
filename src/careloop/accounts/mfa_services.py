"""State changes of a person's second factors: TOTP enrolment, recovery codes and an
administrator's MFA reset (SEC-007).

Each change is audited in its own transaction (architecture §2 rule 3); secrets never reach
the audit trail: TOTP keys are redacted by `snapshot`, recovery-code hashes are left out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from careloop.audit.services import record_change, snapshot

from . import policies
from .mfa_devices import RecoveryCode, RecoveryCodeDevice, TOTPDevice
from .models import Membership

RECOVERY_CODE_COUNT = 10
# Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives.
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_CODE_LENGTH = 16  # 80 random bits, shown as four groups of four
_READ_AS = str.maketrans({"o": "0", "i": "1", "l": "1"})


def start_totp_enrolment(*, user: Any) -> TOTPDevice:
    """The user's unconfirmed TOTP device (a new random key), created on first call.

    Not audited: an unconfirmed device authenticates nothing; the confirmation is.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="careloop", confirmed=False)
        return device


def confirm_totp_device(*, user: Any, device: TOTPDevice, token: str) -> bool:
    """Confirm an enrolment with a code from the authenticator; audited, key redacted."""
    with transaction.atomic():
        if not device.verify_token(token):
            return False
        before = snapshot(device)
        device.confirmed = True
        device.save()
        # the other unconfirmed devices of the user are abandoned enrolments
        TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
        record_change(
            actor=user,
            organization=None,
            instance_or_entity=device,
            action="update",
            before=before,
            after=snapshot(device),
        )
        return True


def format_recovery_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_recovery_code(text: str) -> str | None:
    """The code as stored (lower case, no spaces or dashes), or None when `text` cannot be
    a recovery code (a six-digit TOTP code, for example), so it costs no hash check."""
    code = "".join(ch for ch in text.lower() if ch not in " -").translate(_READ_AS)
    if len(code) != RECOVERY_CODE_LENGTH or any(ch not in RECOVERY_ALPHABET for ch in code):
        return None
    return code


def hash_recovery_code(code: str, salt: str | None = None) -> str:
    """`sha256$salt$digest` of a normalized code. The codes are machine-made with 80 random
    bits, so a slow password hash would add nothing but ~100 MB of Argon2 memory per code
    tried; a per-code salt rules out matching many codes at once (decision 0010)."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def _matches(code: str, stored: str) -> bool:
    _algorithm, salt, _digest = stored.split("$", 2)
    return hmac.compare_digest(hash_recovery_code(code, salt), stored)


def _unused(device: RecoveryCodeDevice) -> int:
    return device.codes.filter(used_at__isnull=True).count()


def _device_state(device: RecoveryCodeDevice) -> dict[str, Any]:
    return {**snapshot(device), "unused_codes": _unused(device)}


def generate_recovery_codes(*, user: Any) -> list[str]:
    """Ten new codes for `user`, replacing any earlier set; returned once, stored hashed.

    The caller shows them to the user and nowhere else (its view needs a recent sign-in).
    """
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    hashes = [hash_recovery_code(code) for code in codes]
    with transaction.atomic():
        device = RecoveryCodeDevice.objects.select_for_update().filter(user=user).first()
        created = device is None
        if device is None:
            device = RecoveryCodeDevice(user=user, name="recovery codes", confirmed=True)
            device.save()
        before = None if created else _device_state(device)
        device.codes.all().delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(device=device, code_hash=h) for h in hashes)
        device.codes_issued_at = timezone.now()
        device.throttle_reset(commit=False)
        device.save()
        record_change(
            actor=user,
            organization=None,
            instance_or_entity=device,
            action="create" if created else "update",
            before=before,
            after=_device_state(device),
        )
    return [format_recovery_code(code) for code in codes]


def use_recovery_code(*, device: RecoveryCodeDevice, code: str) -> bool:
    """Use up one unused code of `device` (the second sign-in step in place of a TOTP code).

    Audited as an update of the code's row (`used_at`). A wrong code counts towards the
    device's throttling (1, 2, 4 ... seconds between tries) like a wrong TOTP code.
    """
    wanted = normalize_recovery_code(code)
    if wanted is None:
        return False
    with transaction.atomic():
        device = RecoveryCodeDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            return False
        for row in device.codes.select_for_update().filter(used_at__isnull=True).order_by("pk"):
            if not _matches(wanted, row.code_hash):
                continue
            before = snapshot(row, exclude=("code_hash",))
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
            device.throttle_reset(commit=False)
            device.set_last_used_timestamp(commit=False)
            device.save()
            record_change(
                actor=device.user,
                organization=None,
                instance_or_entity=row,
                action="update",
                before=before,
                after=snapshot(row, exclude=("code_hash",)),
            )
            return True
        device.throttle_increment(commit=True)
        return False


def reset_mfa(*, acting_user: Any, membership: Membership) -> int:
    """A program administrator's MFA reset for a member who lost their authenticator: the
    member's TOTP devices and recovery codes are deleted (each deletion audited, secrets
    redacted), so at the next sign-in they enrol a new authenticator with their password.
    Returns how many second factors were removed. Nobody resets their own (SEC-007: a second
    person decides); the view asks for a recent sign-in (SEC-010)."""
    with transaction.atomic():
        org = membership.organization
        if not policies.can_manage_members(acting_user, org):
            raise PermissionDenied("only a program administrator of the organization may do this")
        user = membership.user
        if user.pk == acting_user.pk:
            raise ValidationError("you cannot reset your own MFA: ask another administrator")
        removed = 0
        devices: list[tuple[Any, dict[str, Any]]] = [
            (d, snapshot(d)) for d in TOTPDevice.objects.select_for_update().filter(user=user)
        ]
        devices += [
            (d, _device_state(d))
            for d in RecoveryCodeDevice.objects.select_for_update().filter(user=user)
        ]
        for device, before in devices:
            record_change(
                actor=acting_user,
                organization=org,
                instance_or_entity=device,
                action="delete",
                before=before,
                after=None,
            )
            device.delete()
        removed = len(devices)
        return removed
