"""The second factors: TOTP with its key encrypted at rest, and single-use recovery codes.

Both are django-otp devices (subclasses of `django_otp.models.Device`), so `match_token`,
`user_has_device`, `otp_login` and the OTP middleware treat them like any other device.

- `TOTPDevice` is django-otp's TOTP device with one change: `key` is an
  `EncryptedTextField` (SEC-012; decision 0010). django-otp's TOTP model is concrete and keeps
  its key in plain hex, so it cannot be subclassed with another key column; the fields are
  declared again and the TOTP behaviour (`verify_token`, `bin_key`, `config_url`) is
  django-otp's own, taken from its class rather than copied.
- `RecoveryCodeDevice` holds ten `RecoveryCode`s, each stored as a salted SHA-256 hash and
  usable once. django-otp's static plugin stores its tokens in
  plain text, which SEC-012 rules out.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp import models as otp_totp

from .field_encryption import EncryptedTextField


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """An authenticator app (RFC 6238), its secret encrypted in the database."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="totp_devices",
        help_text="The user that this device belongs to.",
    )
    key = EncryptedTextField(
        validators=[otp_totp.key_validator],
        default=otp_totp.default_key,
        help_text="A hex-encoded secret key of up to 40 bytes (stored encrypted).",
    )
    step = models.PositiveSmallIntegerField(default=30, help_text="The time step in seconds.")
    t0 = models.BigIntegerField(
        default=0, help_text="The Unix time at which to begin counting steps."
    )
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(
        default=1, help_text="The number of time steps in the past or future to allow."
    )
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(
        default=-1, help_text="The time step of the last verified token (no replays)."
    )

    class Meta(Device.Meta):
        verbose_name = "TOTP device"

    # django-otp's TOTP behaviour, unchanged: only where `key` is stored differs.
    bin_key = otp_totp.TOTPDevice.bin_key
    verify_token = otp_totp.TOTPDevice.verify_token
    get_throttle_factor = otp_totp.TOTPDevice.get_throttle_factor
    config_url = otp_totp.TOTPDevice.config_url
    _read_str_from_settings = otp_totp.TOTPDevice._read_str_from_settings


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A user's set of recovery codes (one device per user; a new set replaces the old)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="recovery_code_devices",
        help_text="The user that this device belongs to.",
    )
    codes_issued_at = models.DateTimeField(null=True, blank=True)

    class Meta(Device.Meta):
        verbose_name = "recovery codes"
        constraints = [models.UniqueConstraint(fields=["user"], name="one_recovery_device")]

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1))

    def verify_token(self, token: Any) -> bool:
        """Accept (and use up) one unused code; audited in `mfa_services`."""
        from .mfa_services import use_recovery_code

        return use_recovery_code(device=self, code=str(token))


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=256, help_text="sha256$salt$digest of the code")
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code {self.pk} of device {self.device_id}"
