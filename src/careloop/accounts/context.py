"""Template context: the signed-in user's notices (expiring credentials), computed lazily."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import policies, selectors


def account_notices(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "my_expiring_credentials": SimpleLazyObject(
            lambda: selectors.my_expiring_credentials(user)
        ),
        "can_review_break_glass": SimpleLazyObject(
            lambda: policies.can_review_break_glass(
                user, policies.active_organization(user, getattr(request, "session", None))
            )
        ),
    }
