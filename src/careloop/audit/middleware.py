"""Carry the request id and the source of a web request to the audit services."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .models import Source
from .services import audit_context

API_PREFIX = "/api/"


class AuditContextMiddleware:
    """Every audit event written while serving the request gets its request id and source.

    Place it after `careloop.web.middleware.RequestIdMiddleware`, whose `request.request_id`
    it reuses (a fresh id otherwise). Paths under /api/ are recorded as source "api",
    everything else as "screen".
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = getattr(request, "request_id", None) or uuid.uuid4().hex
        source = str(Source.API if request.path.startswith(API_PREFIX) else Source.SCREEN)
        with audit_context(request_id=request_id, source=source):
            return self.get_response(request)
