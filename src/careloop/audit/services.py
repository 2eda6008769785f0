"""Writing the audit trail: `record_change`, `record_access`, and the request context.

Every service that changes an audited row calls `record_change` inside its own
`transaction.atomic()` block, so the event commits or rolls back with the change
(architecture §2 rule 3, SEC-005). Every view, export or report that shows PHI calls
`record_access` (SEC-005, SEC-009).

The request id and the source ("screen", "import", "api", "task", "cli") come from
`audit_context`, which `careloop.audit.middleware.AuditContextMiddleware` sets for each web
request; imports, tasks and commands wrap their work in `audit_context(source=...)`.
Neither service needs a request object.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from django.db import models, transaction

from .models import AccessEvent, ChangeEvent, Source

DEFAULT_SOURCE = str(Source.CLI)  # the value; mypy types a bare TextChoices member as a tuple
REDACTED = "[redacted]"
SECRET_NAMES = frozenset({"password", "key", "token", "otp_secret", "secret"})

_request_id: ContextVar[str | None] = ContextVar("careloop_audit_request_id", default=None)
_source: ContextVar[str | None] = ContextVar("careloop_audit_source", default=None)


class TransactionRequired(RuntimeError):
    """`record_change` was called outside the caller's transaction."""


@contextmanager
def audit_context(*, request_id: str | None = None, source: str | None = None) -> Iterator[None]:
    """Carry the request id and source to every audit event written inside the block."""
    if source is not None and source not in Source.values:
        raise ValueError(f"unknown audit source {source!r}; one of {', '.join(Source.values)}")
    tokens = []
    if request_id is not None:
        tokens.append((_request_id, _request_id.set(request_id)))
    if source is not None:
        tokens.append((_source, _source.set(source)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current_request_id() -> str | None:
    return _request_id.get()


def current_source() -> str:
    return _source.get() or DEFAULT_SOURCE


def new_request_id() -> str:
    return uuid.uuid4().hex


def json_safe(value: Any) -> Any:
    """A JSON-safe copy: instants in UTC ISO 8601, dates ISO, Decimal and UUID as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [json_safe(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return str(value)


def snapshot(instance: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """The instance's concrete field values, JSON-safe; foreign keys as their id.

    Keys are field names (`organization`, not `organization_id`). Fields that hold secrets
    (password, TOTP key, tokens) are replaced by "[redacted]" (SEC-012); `auto_now` stamps are
    left out so that they do not show as a change of their own.
    """
    skip = set(exclude)
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in skip or getattr(field, "auto_now", False):
            continue
        value = getattr(instance, field.attname)
        data[field.name] = REDACTED if field.name in SECRET_NAMES else json_safe(value)
    return data


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Field-level changes: `{field: {"before": old, "after": new}}` for each field that differs.

    A field missing on one side counts as None there.
    """
    before = before or {}
    after = after or {}
    changes: dict[str, dict[str, Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = json_safe(before.get(name)), json_safe(after.get(name))
        if old != new:
            changes[name] = {"before": old, "after": new}
    return changes


def _entity(instance_or_entity: Any, before: Any) -> tuple[str, str, int | None]:
    """(entity type, entity id, organization id if the row has one)."""
    if isinstance(instance_or_entity, models.Model):
        meta = instance_or_entity._meta
        pk = instance_or_entity.pk
        if pk is None and before:  # after Model.delete() Django clears the pk
            pk = before.get(meta.pk.name)
        if pk is None:
            raise ValueError("record_change needs a saved instance (call it after save())")
        org_id = getattr(instance_or_entity, "organization_id", None)
        return f"{meta.app_label}.{meta.model_name}", str(pk), org_id
    entity_type, entity_id = instance_or_entity
    return str(entity_type), str(entity_id), None


def _actor(actor: Any) -> tuple[Any, str]:
    """(user or None, username text kept even if the user is later renamed)."""
    if actor is None:
        return None, ""
    if not getattr(actor, "is_authenticated", False):
        return None, "anonymous"
    return actor, actor.get_username()


def _org_id(organization: Any) -> int | None:
    if organization is None:
        return None
    return organization if isinstance(organization, int) else organization.pk


def _context(source: str | None, request_id: str | None) -> tuple[str, str]:
    source = source or current_source()
    if source not in Source.values:
        raise ValueError(f"unknown audit source {source!r}; one of {', '.join(Source.values)}")
    request_id = request_id or current_request_id() or ""
    return source, request_id[:128]


def record_change(
    *,
    actor: Any,
    organization: Any,
    instance_or_entity: Any,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    source: str | None = None,
    request_id: str | None = None,
    using: str = "default",
) -> ChangeEvent | None:
    """Write the change event of one create, update or delete, in the caller's transaction.

    `instance_or_entity` is the saved model instance (for a delete, the deleted instance with
    its `before` snapshot) or an `(entity_type, entity_id)` pair. `before`/`after` are `snapshot()`s
    (None on create / delete). An update that changes no field writes nothing (returns None).
    """
    if not transaction.get_connection(using).in_atomic_block:
        raise TransactionRequired(
            "record_change must run inside the transaction of the change it records "
            "(wrap the write and the call in transaction.atomic())"
        )
    if action not in ChangeEvent.Action.values:
        raise ValueError(
            f"unknown action {action!r}; one of {', '.join(ChangeEvent.Action.values)}"
        )
    entity_type, entity_id, row_org_id = _entity(instance_or_entity, before)
    if action == ChangeEvent.Action.UPDATE:
        changes = diff(before, after)
        if not changes:
            return None
        before = {k: v["before"] for k, v in changes.items()}
        after = {k: v["after"] for k, v in changes.items()}
    else:
        before = json_safe(before) if action == ChangeEvent.Action.DELETE else None
        after = json_safe(after) if action == ChangeEvent.Action.CREATE else None
    user, username = _actor(actor)
    source, request_id = _context(source, request_id)
    org_id = _org_id(organization)
    event = ChangeEvent(
        user=user,
        username=username,
        organization_id=org_id if org_id is not None else row_org_id,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        before=before,
        after=after,
        source=source,
        request_id=request_id,
    )
    event.save(using=using)
    return event


def record_access(
    *,
    actor: Any,
    organization: Any,
    patient_ids: Iterable[Any],
    view: str,
    purpose: str,
    request_id: str | None = None,
    break_glass: bool = False,
    source: str | None = None,
    using: str = "default",
) -> AccessEvent:
    """Write the access event of one read of PHI (a chart, a list page, an export, a report).

    `patient_ids` are the patients whose data the response shows (ids or Patient instances);
    for a paged list, the patients of the page. Runs in the caller's transaction when there
    is one, else in its own.
    """
    if not view:
        raise ValueError("record_access needs the view name")
    if not purpose:
        raise ValueError("record_access needs the purpose of the access")
    user, username = _actor(actor)
    source, request_id = _context(source, request_id)
    event = AccessEvent(
        user=user,
        username=username,
        organization_id=_org_id(organization),
        patient_ids=[int(getattr(p, "pk", p)) for p in patient_ids],
        view=view[:200],
        purpose=purpose[:64],
        break_glass=bool(break_glass),
        source=source,
        request_id=request_id,
    )
    event.save(using=using)
    return event
