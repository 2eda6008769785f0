"""Request id, idle session timeout (HIPAA automatic logoff), login required by default, and
MFA required where the organization asks for it (SEC-004, SEC-007)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from careloop.accounts import policies

PUBLIC_PREFIXES = ("/login/", "/static/", "/healthz")
# What a signed-in user who still owes an MFA code or enrolment may reach.
MFA_PENDING_PREFIXES = ("/login/", "/logout/", "/static/", "/healthz", "/account/mfa/")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-Id"] = request.request_id  # type: ignore[attr-defined]
        return response


class IdleTimeoutMiddleware:
    """Log a user out after `IDLE_TIMEOUT_SECONDS` without a request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get("last_seen")
            if last is not None and now - int(last) > settings.IDLE_TIMEOUT_SECONDS:
                logout(request)
                return redirect(f"{settings.LOGIN_URL and '/login/'}?next={request.path}&timeout=1")
            request.session["last_seen"] = now
        return self.get_response(request)


class LoginRequiredMiddleware:
    """Every page needs a signed-in user unless it is public; API-style requests get 401."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            if request.headers.get("HX-Request") or request.headers.get("Accept", "").startswith(
                "application/json"
            ):
                return HttpResponse("authentication required", status=401)
            return redirect(f"/login/?next={request.path}")
        return self.get_response(request)


class MfaRequiredMiddleware:
    """Before anything else, a session must be OTP-verified when the user has a confirmed TOTP
    device, and users with a PHI role in an organization with `mfa_required` must enrol.

    Needs `django_otp.middleware.OTPMiddleware` (for `request.user.is_verified()`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(MFA_PENDING_PREFIXES)
            and not user.is_verified()  # type: ignore[union-attr]
        ):
            from django_otp import user_has_device

            if user_has_device(user, confirmed=True):
                return redirect(f"/login/token/?next={request.path}")
            if policies.mfa_required(user):
                return redirect(f"/account/mfa/?next={request.path}")
        return self.get_response(request)
