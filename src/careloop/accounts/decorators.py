"""`require_recent_auth`: sensitive actions need a sign-in of the last few minutes (SEC-010).

Exports, role changes and the billing close wrap their view (or the part of it after the
access checks) in `@require_recent_auth()`. A user whose last password (+ MFA code) entry is
older than `max_age_seconds` is sent to the re-enter-password page and back: a GET returns to
the same URL; a POST, whose body cannot survive the round trip, returns to the page the form
was on (same origin only), where the user submits again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

AUTH_AT = "careloop_auth_at"


def mark_authenticated(request: HttpRequest) -> None:
    """Record that the user entered their password (and MFA code) just now."""
    request.session[AUTH_AT] = int(time.time())


def auth_age(request: HttpRequest) -> float | None:
    at = request.session.get(AUTH_AT)
    return None if at is None else time.time() - float(at)


def _return_to(request: HttpRequest) -> str:
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return reverse("web:home")


def require_recent_auth(
    view: Callable[..., HttpResponse] | None = None, *, max_age_seconds: int | None = None
) -> Any:
    """Decorator; `@require_recent_auth()`, `@require_recent_auth(max_age_seconds=60)` or bare."""

    def decorate(fn: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(fn)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            limit = settings.REAUTH_MAX_AGE_SECONDS if max_age_seconds is None else max_age_seconds
            age = auth_age(request)
            if age is None or age > limit:
                query = urlencode({"next": _return_to(request)})
                return redirect(f"{reverse('accounts:reauth')}?{query}")
            return fn(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
