"""Staff credentials (licences, certifications) with their expiry: adding and correcting them.

A program administrator's action for people of their organization, audited in its
transaction. Errors are keyed by the form field they belong to.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from careloop.audit.services import snapshot

from . import policies
from .models import Credential, Organization
from .services import create_audited, require_member_admin, update_audited

US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
        "VI",
        "GU",
        "AS",
        "MP",
    ]
)
NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .\-/]*$")


def _problems(
    kind: str, number: str, state: str, issued_on: dt.date | None, expires_on: dt.date | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in Credential.Kind.values:
        errors["kind"] = [f"Unknown credential type {kind!r}."]
    if not number:
        errors["number"] = ["Enter the credential number as printed on it."]
    elif not NUMBER.match(number):
        errors["number"] = ["Use letters, digits, spaces, dots, dashes or slashes only."]
    if kind == Credential.Kind.LICENSE and not state:
        errors["state"] = ["A professional licence is issued by a state: enter its code (e.g. MA)."]
    elif state and state not in US_STATES:
        errors["state"] = [f"{state!r} is not a US state or territory code."]
    if issued_on and expires_on and expires_on < issued_on:
        errors["expires_on"] = [f"The expiry must be on or after the issue date ({issued_on})."]
    return errors


def _validated(
    kind: str,
    number: str,
    state: str,
    issuer: str,
    issued_on: dt.date | None,
    expires_on: dt.date | None,
) -> dict[str, Any]:
    """The credential's fields, tidied; `ValidationError` keyed by field when one is wrong."""
    number, state = number.strip(), state.strip().upper()
    errors = _problems(kind, number, state, issued_on, expires_on)
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "number": number,
        "state": state,
        "issuer": issuer.strip(),
        "issued_on": issued_on,
        "expires_on": expires_on,
    }


def _check(acting_user: Any, organization: Organization, person: Any) -> None:
    require_member_admin(acting_user, organization)
    if not policies.is_active_member(person, organization):
        raise PermissionDenied("the person is not a member of the organization")


def add_credential(
    *,
    acting_user: Any,
    organization: Organization,
    user: Any,
    kind: str,
    number: str,
    state: str = "",
    issuer: str = "",
    issued_on: dt.date | None = None,
    expires_on: dt.date | None = None,
) -> Credential:
    with transaction.atomic():
        _check(acting_user, organization, user)
        fields = _validated(kind, number, state, issuer, issued_on, expires_on)
        return create_audited(acting_user, organization, Credential(user=user, **fields))


def update_credential(
    *,
    acting_user: Any,
    organization: Organization,
    credential: Credential,
    kind: str,
    number: str,
    state: str = "",
    issuer: str = "",
    issued_on: dt.date | None = None,
    expires_on: dt.date | None = None,
) -> Credential:
    """Correct or renew a credential (a renewal is a new expiry date); field-level audit."""
    with transaction.atomic():
        credential = Credential.objects.select_for_update().get(pk=credential.pk)
        _check(acting_user, organization, credential.user)
        fields = _validated(kind, number, state, issuer, issued_on, expires_on)
        before = snapshot(credential)
        for name, value in fields.items():
            setattr(credential, name, value)
        return update_audited(acting_user, organization, credential, before)
