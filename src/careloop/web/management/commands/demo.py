"""`careloop demo`: migrate, generate a demo population, import it, create demo users, serve.

Idempotent: running it again re-uses the generated files and the users, and the import is a
no-op. `--no-serve` stops after setting up (used by tests and CI).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from careloop.accounts.models import Membership, Organization, Role, TOTPDevice

DEMO_PASSWORD = "careloop-demo-2026"
DEMO_USERS = [
    ("admin", "Avery", "Admin", Role.PROGRAM_ADMIN),
    ("carol", "Carol", "Nguyen, RN", Role.CARE_MANAGER),
    ("casey", "Casey", "Ortiz, LCSW", Role.CASE_MANAGER),
    ("drpatel", "Priya", "Patel, MD", Role.BILLING_PRACTITIONER),
    ("bill", "Bill", "Okafor", Role.BILLER),
    ("audrey", "Audrey", "Kim", Role.AUDITOR),
]


class Command(BaseCommand):
    help = "Set up the demo (population, users) and serve it on http://127.0.0.1:8000."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=300)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--no-serve", action="store_true", help="set up, then stop")
        parser.add_argument("--addrport", default="127.0.0.1:8000")

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", verbosity=0)
        out = Path(settings.HOME) / "demo" / f"population-{opts['patients']}-{opts['seed']}"
        if not (out / "Patient.ndjson").exists():
            self.stdout.write(f"Generating {opts['patients']} patients into {out} ...")
            call_command(
                "generate", patients=opts["patients"], seed=opts["seed"], out=str(out), quiet=True
            )
        org = self._organization()
        self.stdout.write("Importing the demo population ...")
        call_command(
            "import",
            "fhir",
            str(out),
            organization=org.slug,
            quiet=True,
            source_system="careloop-synth",
        )
        self._users(org)
        self.stdout.write("Running population analytics (as of the data's latest date) ...")
        call_command("analytics", "run", "--as-of", "data", "--quiet")
        url = f"http://{opts['addrport']}/"
        self.stdout.write(self.style.SUCCESS(f"\ncareloop demo is ready at {url}"))
        self.stdout.write(f"Sign in with any of these users (password: {DEMO_PASSWORD}):")
        for username, first, last, role in DEMO_USERS:
            self.stdout.write(f"  {username:<8} {first} {last} — {Role(role).label}")
        self._print_totp()
        if not opts["no_serve"]:
            call_command("runserver", opts["addrport"], use_reloader=False, insecure_serving=True)

    @transaction.atomic
    def _organization(self) -> Organization:
        org, _ = Organization.objects.get_or_create(
            slug="demo",
            defaults={"name": "Maple Street Primary Care", "kind": Organization.Kind.PRACTICE},
        )
        return org

    @transaction.atomic
    def _users(self, org: Organization) -> None:
        User = get_user_model()
        for username, first, last, role in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            Membership.objects.get_or_create(user=user, organization=org, role=role)
            self._totp_device(user)

    # --- MFA for the demo users (the organization keeps mfa_required=True) ----------------

    @staticmethod
    def demo_totp_secret(username: str) -> str:
        """A fixed, printed base32 TOTP secret per demo user (demo only, never production)."""
        digest = hashlib.sha256(f"careloop-demo-totp:{username}".encode()).digest()[:20]
        return base64.b32encode(digest).decode()

    def _totp_device(self, user: Any) -> None:
        key = base64.b32decode(self.demo_totp_secret(user.username)).hex()
        TOTPDevice.objects.update_or_create(
            user=user, name="demo", defaults={"key": key, "confirmed": True}
        )

    def _print_totp(self) -> None:
        self.stdout.write(
            "\nThe demo organization requires two-factor sign-in. After the password, enter the\n"
            "current code of the user's authenticator, from any of:\n"
            "  careloop demo_totp USERNAME          (prints the current code)\n"
            "  oathtool --totp -b SECRET            (Debian package oathtool)\n"
            "  an authenticator app, with the secret below as the key\n"
            "TOTP secrets (demo only):"
        )
        for username, *_rest in DEMO_USERS:
            self.stdout.write(f"  {username:<8} {self.demo_totp_secret(username)}")
