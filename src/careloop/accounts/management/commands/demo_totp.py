"""`careloop demo_totp USERNAME`: the current TOTP code of a demo user's device.

Only for the devices `careloop demo` creates (named "demo") and never in production, so it
cannot become a way around anyone's real second factor.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP

from careloop.accounts.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo user (careloop demo)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **opts: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo_totp is for the demo only, not in production")
        device = TOTPDevice.objects.filter(
            user__username=opts["username"], name="demo", confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"no demo TOTP device for {opts['username']!r} (run careloop demo)")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        code = f"{totp.token():0{device.digits}d}"
        left = device.step - int(time.time() - device.t0) % device.step
        self.stdout.write(code)
        self.stderr.write(f"valid for {left} more seconds")
