"""The audit trail: append-only change and access events in two hash chains (SEC-005, SEC-006).

Each table is its own chain (docs/decisions/0005-audit-hash-chain.md): `seq` is the event's
position in its chain *and* its primary key, so every stored column is covered by the hash.
`hash = SHA-256(canonical JSON of the event's fields + prev_hash)`; the first event of a chain
links to `GENESIS`. Appends are serialized by locking the chain's `ChainHead` row
(`select_for_update`), so two writers can never give out the same `seq` or fork the chain.

Nothing here updates or deletes an event: `save()` of a stored row, `delete()`, and the
queryset's `update()`, `delete()` and `bulk_*()` raise `AppendOnlyError`. In production the
database role has no UPDATE/DELETE grant either (docs/postgresql-audit-role.md), and the
migration adds triggers as a second fence.

This module imports nothing from `accounts` (layers contract in pyproject.toml); the foreign
keys name their targets by label.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from typing import Any, ClassVar

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

GENESIS = "0" * 64
HASH_VERSION = 1


class AppendOnlyError(Exception):
    """An attempt to change or remove an audit event."""


def _canonical(value: Any) -> Any:
    """The form a JSON value has after a database round trip, so hashes survive jsonb."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("audit payloads may not contain NaN or infinity")
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def json_roundtrip(value: Any) -> Any:
    """Exactly what a JSON column gives back (string keys, lists, no tuples)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, allow_nan=False))


def canonical_instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_hash(payload: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 over sorted-key, compact, UTF-8 JSON of the payload plus `prev_hash`."""
    body = dict(_canonical(payload), prev_hash=prev_hash, v=HASH_VERSION)
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Source(models.TextChoices):
    SCREEN = "screen", "Screen"
    IMPORT = "import", "Import"
    API = "api", "API"
    TASK = "task", "Background task"
    CLI = "cli", "Command line"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: update() refused")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: delete() refused")

    def _raw_delete(self, using: Any) -> int:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: delete refused")

    def bulk_update(self, objs: Any, fields: Any, batch_size: Any = None) -> int:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: bulk_update() refused")

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(
            f"{self.model.__name__} rows are append-only: update_or_create() refused"
        )


class ChainedQuerySet(AppendOnlyQuerySet):
    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        raise AppendOnlyError(
            f"{self.model.__name__}: bulk_create() would skip the hash chain; save() each event"
        )


class ChainHead(models.Model):
    """The last `seq` and `hash` of one chain; its row lock serializes appends."""

    chain = models.CharField(max_length=16, primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)

    def __str__(self) -> str:
        return f"{self.chain} head at seq {self.seq}"

    @classmethod
    def lock(cls, chain: str, using: str) -> ChainHead:
        """The head row, locked for the rest of the transaction (created on first use)."""
        heads = cls.objects.using(using).select_for_update()
        head = heads.filter(chain=chain).first()
        if head is None:
            try:
                with transaction.atomic(using=using):
                    cls.objects.using(using).create(chain=chain)
            except IntegrityError:  # another writer created it first
                pass
            head = heads.get(chain=chain)
        return head


class ChainedEvent(models.Model):
    """Abstract base of a chained, append-only event."""

    CHAIN: ClassVar[str]
    HASHED_FIELDS: ClassVar[tuple[str, ...]]

    seq = models.BigIntegerField(primary_key=True, editable=False)
    occurred_at = models.DateTimeField(editable=False, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request_id = models.CharField(max_length=128, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = ChainedQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["seq"]
        indexes = [
            models.Index(
                fields=["organization", "occurred_at"], name="%(app_label)s_%(class)s_org_at"
            ),
            models.Index(fields=["user", "occurred_at"], name="%(app_label)s_%(class)s_user_at"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(
                f"{type(self).__name__} seq {self.seq} is stored; it cannot change"
            )
        using = kwargs.get("using") or self._state.db or "default"
        with transaction.atomic(using=using):
            head = ChainHead.lock(self.CHAIN, using)
            self.seq = head.seq + 1
            self.prev_hash = head.hash
            self.occurred_at = timezone.now().astimezone(UTC)
            self._normalize()
            self.hash = self.compute_hash()
            kwargs["force_insert"] = True
            super().save(*args, **kwargs)
            ChainHead.objects.using(using).filter(chain=self.CHAIN).update(
                seq=self.seq, hash=self.hash
            )
            self._after_insert(using)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(
            f"{type(self).__name__} seq {self.seq}: audit events are never deleted"
        )

    def payload(self) -> dict[str, Any]:
        """The hashed fields, in the form the database gives them back."""
        data: dict[str, Any] = {"chain": self.CHAIN, "seq": self.seq}
        data["occurred_at"] = canonical_instant(self.occurred_at)
        for name in ("user_id", "username", "organization_id", "request_id", "source"):
            data[name] = getattr(self, name)
        for name in self.HASHED_FIELDS:
            data[name] = getattr(self, name)
        return data

    def compute_hash(self) -> str:
        return chain_hash(self.payload(), self.prev_hash)

    def _normalize(self) -> None:
        """Bring JSON fields to their stored form before hashing."""

    def _after_insert(self, using: str) -> None:
        """Rows derived from the event, written in the same transaction."""


class ChangeEvent(ChainedEvent):
    """One create, update or delete of an audited row, with field-level before/after."""

    CHAIN = "change"
    HASHED_FIELDS = ("entity_type", "entity_id", "action", "before", "after")

    class Action(models.TextChoices):
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        DELETE = "delete", "Delete"

    entity_type = models.CharField(
        max_length=100, help_text='"app_label.model", e.g. clinical.patient'
    )
    entity_id = models.CharField(max_length=64)
    action = models.CharField(max_length=8, choices=Action.choices)
    before = models.JSONField(
        null=True, blank=True, help_text="changed fields before (all on delete)"
    )
    after = models.JSONField(
        null=True, blank=True, help_text="changed fields after (all on create)"
    )

    class Meta(ChainedEvent.Meta):
        indexes = [
            *ChainedEvent.Meta.indexes,
            models.Index(
                fields=["entity_type", "entity_id", "seq"], name="audit_changeevent_entity"
            ),
        ]

    def __str__(self) -> str:
        return f"change {self.seq}: {self.action} {self.entity_type} {self.entity_id} by {self.username}"

    def _normalize(self) -> None:
        self.before = _canonical(json_roundtrip(self.before))
        self.after = _canonical(json_roundtrip(self.after))


class AccessEvent(ChainedEvent):
    """One read of PHI: a chart, a list with patient rows, an export, a report."""

    CHAIN = "access"
    HASHED_FIELDS = ("patient_ids", "patient_count", "view", "purpose", "break_glass")

    class Purpose(models.TextChoices):
        TREATMENT = "treatment", "Treatment / care management"
        PAYMENT = "payment", "Payment / billing"
        OPERATIONS = "operations", "Health care operations"
        AUDIT = "audit", "Audit"
        EMERGENCY = "emergency", "Emergency (break the glass)"

    patient_ids = models.JSONField(default=list, help_text="sorted, distinct patient ids")
    patient_count = models.PositiveIntegerField(default=0)
    view = models.CharField(max_length=200)
    purpose = models.CharField(max_length=64)
    break_glass = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"access {self.seq}: {self.view} ({self.patient_count} patients) by {self.username}"

    def _normalize(self) -> None:
        self.patient_ids = sorted({int(p) for p in self.patient_ids})
        self.patient_count = len(self.patient_ids)

    def _after_insert(self, using: str) -> None:
        rows = [
            AccessEventPatient(event_id=self.seq, patient_id=p, occurred_at=self.occurred_at)
            for p in self.patient_ids
        ]
        AccessEventPatient.objects.using(using).bulk_create(rows, batch_size=1000)


class AccessEventPatient(models.Model):
    """One row per patient of an access event: "who saw patient X" on SQLite and PostgreSQL.

    Derived from the hashed `AccessEvent.patient_ids`; `careloop audit verify` checks that
    the two agree, so a removed or added row here is caught too.
    """

    event = models.ForeignKey(AccessEvent, on_delete=models.PROTECT, related_name="patients")
    patient_id = models.BigIntegerField()
    occurred_at = models.DateTimeField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["patient_id", "occurred_at"])]

    def __str__(self) -> str:
        return f"patient {self.patient_id} in access {self.event_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("AccessEventPatient rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("AccessEventPatient rows are never deleted")
