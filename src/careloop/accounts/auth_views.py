"""Sign-in with password and TOTP, MFA enrolment, recovery codes, re-authentication
(SEC-007, SEC-010).

Sign-in is two steps when the user has a confirmed TOTP device: the password step stores a
*pending* sign-in in the session (nobody is logged in yet), the code step logs the user in
and marks the session OTP-verified. At the code step a recovery code may stand in for the
TOTP code. Failed passwords and failed codes both count towards the django-axes lockout of
the username.
"""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token, user_has_device

from . import mfa_services, selectors
from .decorators import mark_authenticated, require_recent_auth
from .forms import ReauthForm, RecoveryCodeForm, TokenForm

PENDING = "careloop_mfa_pending"
PENDING_MAX_AGE_SECONDS = 300


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse(settings.LOGIN_REDIRECT_URL)


def _failed_code(request: HttpRequest, username: str) -> None:
    """A wrong MFA code counts like a wrong password (django-axes listens to this signal)."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def _locked(request: HttpRequest, username: str) -> HttpResponse | None:
    credentials = {"username": username}
    if AxesProxyHandler.is_locked(request, credentials):
        return get_lockout_response(request, None, credentials)
    return None


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next(request)
    form = AuthenticationForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        if user_has_device(user, confirmed=True):
            request.session[PENDING] = {
                "user_id": user.pk,
                "backend": user.backend,
                "at": int(time.time()),
            }
            return redirect(f"{reverse('login_token')}?{urlencode({'next': next_url})}")
        auth_login(request, user)
        mark_authenticated(request)
        return redirect(next_url)
    return render(request, "web/login.html", {"form": form, "next": next_url})


def _token_user(request: HttpRequest) -> tuple[Any, dict[str, Any] | None]:
    """(the user the code is for, the pending sign-in) — or (None, None)."""
    if request.user.is_authenticated:
        return request.user, None
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending.get("at", 0) > PENDING_MAX_AGE_SECONDS:
        return None, None
    user = get_user_model().objects.filter(pk=pending["user_id"], is_active=True).first()
    return user, (pending if user is not None else None)


def _signed_in_with(request: HttpRequest, user: Any, pending: Any, device: Any) -> None:
    if pending is not None:
        auth_login(request, user, backend=pending["backend"])
    otp_login(request, device)
    request.session.pop(PENDING, None)
    mark_authenticated(request)


@require_http_methods(["GET", "POST"])
def login_token(request: HttpRequest) -> HttpResponse:
    """The second step: the TOTP code or a recovery code (also for a signed-in but
    unverified session)."""
    next_url = _next(request)
    user, pending = _token_user(request)
    if user is None:
        request.session.pop(PENDING, None)
        return redirect(f"{reverse('login')}?{urlencode({'next': next_url})}")
    if request.user.is_authenticated and request.user.is_verified():
        return redirect(next_url)
    if not user_has_device(user, confirmed=True):
        return redirect(f"{reverse('accounts:mfa')}?{urlencode({'next': next_url})}")
    posted = request.POST if request.method == "POST" else None
    with_recovery = posted is not None and "recovery_code" in posted
    form = TokenForm(None if with_recovery else posted)
    recovery_form = RecoveryCodeForm(posted if with_recovery else None)
    submitted = recovery_form if with_recovery else form
    if submitted.is_valid():
        locked = _locked(request, user.get_username())
        if locked is not None:
            request.session.pop(PENDING, None)
            return locked
        if with_recovery:
            device = selectors.recovery_device(user)
            code = recovery_form.cleaned_data["recovery_code"]
            if device is None or not device.verify_token(code):
                device = None
        else:
            device = match_token(user, form.cleaned_data["token"])
        if device is not None:
            _signed_in_with(request, user, pending, device)
            return redirect(next_url)
        _failed_code(request, user.get_username())
        if with_recovery:
            recovery_form.add_error(
                "recovery_code", "That recovery code is not valid, or it was used already."
            )
        else:
            form.add_error("token", "That code is not valid. Enter the current code.")
    context = {
        "form": form,
        "recovery_form": recovery_form,
        "has_recovery_codes": bool(selectors.recovery_codes_left(user)),
        "next": next_url,
    }
    return render(request, "accounts/login_token.html", context)


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg = image.to_string(encoding="unicode")
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code of the TOTP secret" ', 1)


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@require_http_methods(["GET", "POST"])
def mfa(request: HttpRequest) -> HttpResponse:
    """MFA status and TOTP enrolment: QR code and secret, confirmed with a code."""
    next_url = _next(request)
    user = request.user
    if user_has_device(user, confirmed=True):
        if not user.is_verified():  # type: ignore[union-attr]
            return redirect(f"{reverse('login_token')}?{urlencode({'next': next_url})}")
        enrolled = {"enrolled": True, "codes_left": selectors.recovery_codes_left(user)}
        return render(request, "accounts/mfa.html", enrolled)
    device = mfa_services.start_totp_enrolment(user=user)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        if mfa_services.confirm_totp_device(user=user, device=device, token=token):
            otp_login(request, device)
            mark_authenticated(request)
            return _show_recovery_codes(request, next_url)
        form.add_error("token", "That code does not match. Check the time on your phone.")
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "enrolled": False,
        "form": form,
        "next": next_url,
        "qr_svg": mark_safe(_qr_svg(device.config_url)),  # noqa: S308 - generated SVG, no input
        "secret": _grouped(secret),
    }
    return render(request, "accounts/mfa.html", context)


def _show_recovery_codes(request: HttpRequest, next_url: str) -> HttpResponse:
    """New recovery codes, shown this once (never cached, never stored in plain text)."""
    codes = mfa_services.generate_recovery_codes(user=request.user)
    response = render(request, "accounts/recovery_codes.html", {"codes": codes, "next": next_url})
    add_never_cache_headers(response)
    return response


@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Replace the recovery codes: only in a verified session, after a recent sign-in."""
    if not request.user.is_verified():  # type: ignore[union-attr]
        return redirect(f"{reverse('login_token')}?{urlencode({'next': reverse('accounts:mfa')})}")
    return _regenerate(request)


@require_recent_auth()
def _regenerate(request: HttpRequest) -> HttpResponse:
    return _show_recovery_codes(request, reverse("accounts:mfa"))


@require_http_methods(["GET", "POST"])
def reauth(request: HttpRequest) -> HttpResponse:
    """Re-enter the password (and the MFA code) before a sensitive action."""
    next_url = _next(request)
    user = request.user
    has_device = user_has_device(user, confirmed=True)
    form = ReauthForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        username = user.get_username()
        checked = authenticate(request, username=username, password=form.cleaned_data["password"])
        if checked is None or checked.pk != user.pk:
            form.add_error("password", "That password is not correct.")
        elif has_device:
            locked = _locked(request, username)
            if locked is not None:
                return locked
            device = match_token(user, form.cleaned_data["token"])
            if device is None:
                _failed_code(request, username)
                form.add_error("token", "That code is not valid.")
            else:
                otp_login(request, device)
        if not form.errors:
            mark_authenticated(request)
            return redirect(next_url)
    return render(
        request, "accounts/reauth.html", {"form": form, "next": next_url, "has_device": has_device}
    )
