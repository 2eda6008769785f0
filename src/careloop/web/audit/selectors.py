"""Reading the audit trail for the audit screens, always for an acting user.

Who may read it is decided once, in `audit_organization`: auditors and program
administrators of the active organization (accounts/policies.py), everyone else gets the
same 404 as for a page that does not exist. Every query here is scoped to that organization.

The log is one list of both chains, newest first: a UNION of (kind, seq, occurred_at) rows
that the database orders and pages, after which only the page's events are loaded.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db.models import CharField, Count, Max, Q, QuerySet, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Concat
from django.http import Http404

from careloop.accounts import policies
from careloop.audit.models import AccessEvent, AccessEventPatient, ChangeEvent
from careloop.clinical.models import Patient

AUDIT_ROLES = frozenset({"auditor", "program_admin"})
PATIENT_ENTITY = "clinical.patient"
ACCESS_ACTIONS = ("view", "break-glass")
NAMES_PER_ROW = 5
AUDIT_VIEW_PREFIX = "audit:"


def audit_organization(user: Any, session: Any = None) -> Any:
    """The active organization if the user may read its audit trail; else 404."""
    org = policies.active_organization(user, session)
    if org is None:
        raise Http404("No audit log")
    if not policies.roles_in(user, org) & AUDIT_ROLES:
        raise Http404("No audit log")
    return org


def org_zone(org: Any) -> ZoneInfo:
    return ZoneInfo(org.time_zone or "UTC")


def patient_in(org: Any, patient_id: int) -> Patient:
    """The organization's patient, or the same 404 for "not yours" and "does not exist"."""
    patient = Patient.objects.filter(organization=org, pk=patient_id).first()
    if patient is None:
        raise Http404("No such patient")
    return patient


def match_patients(org: Any, text: str, limit: int = 50) -> list[Patient]:
    """The organization's patients matching an id, MRN, MBI or name ("Alvarez", "Rosa Alv")."""
    text = text.strip()
    if not text:
        return []
    qs = Patient.objects.filter(organization=org)
    cond = Q(mrn__iexact=text) | Q(mbi__iexact=text)
    if text.isdigit():
        cond |= Q(pk=int(text))
    else:
        name_q = Q()
        for term in text.replace(",", " ").split():
            name_q &= Q(family_name__istartswith=term) | Q(given_name__istartswith=term)
        cond |= name_q
    return list(qs.filter(cond).order_by("family_name", "given_name", "id")[:limit])


@dataclass(frozen=True)
class AuditFilter:
    """The viewer's filters; `patient_ids` None means "any patient", [] means "none matched"."""

    username: str = ""
    patient_ids: list[int] | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    action: str = ""
    source: str = ""
    without_audit_reads: bool = False  # leave out the reads of these screens themselves
    access_upto: int | None = None  # a snapshot: no events after these seqs
    change_upto: int | None = None


def _day_start(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def _patient_record_models() -> list[Any]:
    """Models whose rows belong to one patient (a `patient` foreign key to clinical.Patient)."""
    found = []
    for model in apps.get_models():
        try:
            fk = model._meta.get_field("patient")
        except Exception:  # noqa: BLE001 - FieldDoesNotExist
            continue
        if getattr(fk, "related_model", None) is Patient:
            found.append(model)
    return found


def _label(model: Any) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _changes_about(patient_ids: list[int]) -> Q:
    """Change events about the patients: the patient row, and rows that name the patient.

    A create or delete snapshot carries `patient`; an update lists only changed fields, so
    rows that still exist are found through their own `patient` column. Imports record the
    rows they create per table and write (entity `import-run:<id>`), found through the
    import run each row names.
    """
    text_ids = [str(p) for p in patient_ids]
    cond = Q(entity_type=PATIENT_ENTITY, entity_id__in=text_ids)
    cond |= Q(before__patient__in=patient_ids) | Q(after__patient__in=patient_ids)
    patients = Patient.objects.filter(pk__in=patient_ids)
    cond |= Q(entity_type=PATIENT_ENTITY, entity_id__in=_import_batches(patients))
    for model in _patient_record_models():
        rows = model.objects.filter(patient_id__in=patient_ids)
        own = rows.annotate(text_pk=Cast("pk", CharField())).values("text_pk")
        cond |= Q(entity_type=_label(model), entity_id__in=own)
        if any(f.name == "import_run" for f in model._meta.concrete_fields):
            cond |= Q(entity_type=_label(model), entity_id__in=_import_batches(rows))
    return cond


def _import_batches(rows: QuerySet) -> QuerySet:
    """The `import-run:<id>` entity ids of the imports that wrote these rows."""
    return (
        rows.filter(import_run__isnull=False)
        .annotate(batch=Concat(Value("import-run:"), Cast("import_run_id", CharField())))
        .values("batch")
    )


def _in_range(qs: QuerySet, f: AuditFilter, zone: ZoneInfo, prefix: str = "") -> QuerySet:
    if f.date_from:
        qs = qs.filter(**{f"{prefix}occurred_at__gte": _day_start(f.date_from, zone)})
    if f.date_to:
        end = _day_start(f.date_to + dt.timedelta(days=1), zone)
        qs = qs.filter(**{f"{prefix}occurred_at__lt": end})
    return qs


def access_events(org: Any, f: AuditFilter) -> QuerySet[AccessEvent]:
    qs = AccessEvent.objects.filter(organization=org)
    if f.action and f.action not in ACCESS_ACTIONS:
        return qs.none()
    if f.action == "break-glass":
        qs = qs.filter(break_glass=True)
    if f.access_upto is not None:
        qs = qs.filter(seq__lte=f.access_upto)
    if f.without_audit_reads:
        qs = qs.exclude(view__startswith=AUDIT_VIEW_PREFIX)
    if f.username:
        qs = qs.filter(username__iexact=f.username.strip())
    if f.source:
        qs = qs.filter(source=f.source)
    if f.patient_ids is not None:
        rows = AccessEventPatient.objects.filter(patient_id__in=f.patient_ids)
        qs = qs.filter(seq__in=_in_range(rows, f, org_zone(org)).values("event_id"))
    return _in_range(qs, f, org_zone(org))


def change_events(org: Any, f: AuditFilter) -> QuerySet[ChangeEvent]:
    qs = ChangeEvent.objects.filter(organization=org)
    if f.action and f.action not in ChangeEvent.Action.values:
        return qs.none()
    if f.action:
        qs = qs.filter(action=f.action)
    if f.change_upto is not None:
        qs = qs.filter(seq__lte=f.change_upto)
    if f.username:
        qs = qs.filter(username__iexact=f.username.strip())
    if f.source:
        qs = qs.filter(source=f.source)
    if f.patient_ids is not None:
        qs = qs.filter(_changes_about(f.patient_ids)) if f.patient_ids else qs.none()
    return _in_range(qs, f, org_zone(org))


def event_keys(org: Any, f: AuditFilter) -> QuerySet:
    """(kind, seq, occurred_at) of every matching event of both chains, newest first."""
    access = access_events(org, f).order_by().values_list(Value("access"), "seq", "occurred_at")
    change = change_events(org, f).order_by().values_list(Value("change"), "seq", "occurred_at")
    return access.union(change, all=True).order_by("-occurred_at", "-seq")


@dataclass(frozen=True)
class Counts:
    access: int
    change: int

    @property
    def total(self) -> int:
        return self.access + self.change


def last_seqs() -> tuple[int, int]:
    """The last access and change seq now: the bounds of a consistent export."""
    access = AccessEvent.objects.aggregate(m=Max("seq"))["m"] or 0
    change = ChangeEvent.objects.aggregate(m=Max("seq"))["m"] or 0
    return access, change


def counts(org: Any, f: AuditFilter) -> Counts:
    return Counts(access_events(org, f).count(), change_events(org, f).count())


def viewers(org: Any, f: AuditFilter) -> list[dict[str, Any]]:
    """Who read PHI under the filter: username, number of reads, last read (for "who saw X")."""
    qs = access_events(org, f).order_by().values("username")
    return list(qs.annotate(reads=Count("seq"), last=Max("occurred_at")).order_by("-last"))


# --- rows ------------------------------------------------------------------------------------


@dataclass
class PatientLink:
    id: int
    name: str


@dataclass
class FieldChange:
    name: str
    before: Any
    after: Any


@dataclass
class AuditRow:
    """One event as the screens and the export show it."""

    kind: str  # "access" or "change"
    seq: int
    at: dt.datetime  # in the organization's time zone
    username: str
    action: str  # create / update / delete / view / break-glass
    what: str
    purpose: str
    source: str
    request_id: str
    patient_ids: list[int]
    patients: list[PatientLink] = field(default_factory=list)
    more_patients: int = 0
    changes: list[FieldChange] = field(default_factory=list)
    event: Any = None


def change_patient_ids(events: Iterable[ChangeEvent]) -> dict[int, int]:
    """seq → patient id for change events about one patient (patient rows and their records)."""
    found: dict[int, int] = {}
    pending: dict[str, dict[str, list[int]]] = {}
    models = {_label(m): m for m in _patient_record_models()}
    for e in events:
        if e.entity_type == PATIENT_ENTITY:
            found[e.seq] = int(e.entity_id)
            continue
        named = (e.after or {}).get("patient") or (e.before or {}).get("patient")
        if isinstance(named, int):
            found[e.seq] = named
        elif e.entity_type in models:
            pending.setdefault(e.entity_type, {}).setdefault(e.entity_id, []).append(e.seq)
    for label, by_id in pending.items():
        owners = models[label].objects.filter(pk__in=list(by_id)).values_list("pk", "patient_id")
        for pk, patient_id in owners:
            for seq in by_id.get(str(pk), []):
                found[seq] = patient_id
    return found


def _access_row(e: AccessEvent, zone: ZoneInfo) -> AuditRow:
    return AuditRow(
        kind="access",
        seq=e.seq,
        at=e.occurred_at.astimezone(zone),
        username=e.username,
        action="break-glass" if e.break_glass else "view",
        what=e.view,
        purpose=e.purpose,
        source=e.source,
        request_id=e.request_id,
        patient_ids=list(e.patient_ids),
        event=e,
    )


def _shown(values: dict[str, Any], name: str) -> str:
    """A field value as text: absent is blank, null is "(empty)", the rest as JSON."""
    if name not in values:
        return ""
    value = values[name]
    if value is None:
        return "(empty)"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _change_row(e: ChangeEvent, zone: ZoneInfo, patient_id: int | None) -> AuditRow:
    before, after = e.before or {}, e.after or {}
    changes = [
        FieldChange(name, _shown(before, name), _shown(after, name))
        for name in sorted(set(before) | set(after))
    ]
    return AuditRow(
        kind="change",
        seq=e.seq,
        at=e.occurred_at.astimezone(zone),
        username=e.username,
        action=e.action,
        what=f"{e.entity_type} {e.entity_id}",
        purpose="",
        source=e.source,
        request_id=e.request_id,
        patient_ids=[patient_id] if patient_id is not None else [],
        changes=changes,
        event=e,
    )


def rows_for(org: Any, keys: Iterable[tuple[str, int, Any]]) -> list[AuditRow]:
    """The events behind (kind, seq, …) keys, in the keys' order, in the organization's zone."""
    keys = list(keys)
    zone = org_zone(org)
    access_seqs = [k[1] for k in keys if k[0] == "access"]
    change_seqs = [k[1] for k in keys if k[0] == "change"]
    access = AccessEvent.objects.filter(organization=org, seq__in=access_seqs).in_bulk()
    change = ChangeEvent.objects.filter(organization=org, seq__in=change_seqs).in_bulk()
    owners = change_patient_ids(change.values())
    rows = []
    for kind, seq, *_ in keys:
        if kind == "access" and seq in access:
            rows.append(_access_row(access[seq], zone))
        elif kind == "change" and seq in change:
            rows.append(_change_row(change[seq], zone, owners.get(seq)))
    return rows


def name_patients(org: Any, rows: list[AuditRow], per_row: int = NAMES_PER_ROW) -> None:
    """Fill each row's first `per_row` patients with their names (one query for the page)."""
    wanted = {p for r in rows for p in r.patient_ids[:per_row]}
    names = {
        p.pk: f"{p.family_name}, {p.given_name}".strip(", ")
        for p in Patient.objects.filter(organization=org, pk__in=wanted).only(
            "pk", "family_name", "given_name"
        )
    }
    for r in rows:
        shown = r.patient_ids[:per_row]
        r.patients = [PatientLink(p, names.get(p, f"patient {p}")) for p in shown]
        r.more_patients = len(r.patient_ids) - len(shown)


def iter_rows(org: Any, f: AuditFilter, chunk: int = 500) -> Iterator[AuditRow]:
    """Every matching event, newest first, `chunk` events in memory at a time."""
    batch: list[tuple[str, int, Any]] = []
    for key in event_keys(org, f).iterator(chunk_size=chunk):
        batch.append(key)
        if len(batch) == chunk:
            yield from rows_for(org, batch)
            batch = []
    if batch:
        yield from rows_for(org, batch)


def patient_ids_in(org: Any, f: AuditFilter, limit: int) -> list[int]:
    """Distinct patients the matching events are about (at most `limit`), for an export's
    own access event."""
    ids: set[int] = set(
        AccessEventPatient.objects.filter(event__in=access_events(org, f).values("seq"))
        .order_by()
        .values_list("patient_id", flat=True)
        .distinct()[:limit]
    )
    changes = change_events(org, f).only("seq", "entity_type", "entity_id")
    batch: list[ChangeEvent] = []
    for e in changes.annotate(bp=KT("before__patient"), ap=KT("after__patient")).iterator(
        chunk_size=1000
    ):
        batch.append(e)
        if len(batch) == 1000:
            ids.update(_owners_light(batch))
            batch = []
        if len(ids) >= limit:
            break
    ids.update(_owners_light(batch))
    return sorted(ids)[:limit]


def _owners_light(events: list[ChangeEvent]) -> set[int]:
    """Patient ids of change events loaded without before/after (see `patient_ids_in`)."""
    for e in events:
        e.before = {"patient": int(e.bp)} if e.bp not in (None, "") else None  # type: ignore[attr-defined]
        e.after = {"patient": int(e.ap)} if e.ap not in (None, "") else None  # type: ignore[attr-defined]
    return set(change_patient_ids(events).values())
