"""State changes of organizations, users and memberships."""

from __future__ import annotations

from django.db import transaction

from .models import Organization


@transaction.atomic
def get_or_create_organization(slug: str, name: str | None = None) -> Organization:
    org, _created = Organization.objects.get_or_create(
        slug=slug, defaults={"name": name or slug.replace("-", " ").title()}
    )
    return org
