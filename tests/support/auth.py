"""Signing a test client in without the forms."""

from __future__ import annotations

import time
from typing import Any

from django.test import Client


def signed_in_now(user: Any, client: Client | None = None) -> Client:
    """`client` (or a new one) signed in as `user`, as if the password had just been entered,
    so pages behind re-authentication (`require_recent_auth`: exports, role changes, care-team
    changes) open without the re-enter-password step."""
    from careloop.accounts.decorators import AUTH_AT

    client = client or Client()
    client.force_login(user)
    session = client.session
    session[AUTH_AT] = time.time()
    session.save()
    return client
