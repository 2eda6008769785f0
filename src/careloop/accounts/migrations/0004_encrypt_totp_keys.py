"""Move django-otp's plain-hex TOTP devices to `accounts.TOTPDevice`, whose key is encrypted.

Each device keeps its user, name, counters and timestamps; only the persistent id changes
(`otp_totp.totpdevice/N` → `accounts.totpdevice/M`), so a session verified before the move is
asked for a code once more. Reversible: the reverse writes the keys back in plain hex.
"""

from django.db import migrations

FIELDS = (
    "user_id",
    "name",
    "confirmed",
    "key",
    "step",
    "t0",
    "digits",
    "tolerance",
    "drift",
    "last_t",
    "throttling_failure_timestamp",
    "throttling_failure_count",
    "last_used_at",
)


def _move(source, target):
    for old in source.objects.order_by("pk").iterator():
        new = target(**{name: getattr(old, name) for name in FIELDS})
        new.save()
        # created_at is auto_now_add: set it after the insert to keep the original time
        target.objects.filter(pk=new.pk).update(created_at=old.created_at)
        old.delete()


def encrypt_keys(apps, schema_editor):
    _move(apps.get_model("otp_totp", "TOTPDevice"), apps.get_model("accounts", "TOTPDevice"))


def decrypt_keys(apps, schema_editor):
    _move(apps.get_model("accounts", "TOTPDevice"), apps.get_model("otp_totp", "TOTPDevice"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_second_factors"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(encrypt_keys, decrypt_keys)]
