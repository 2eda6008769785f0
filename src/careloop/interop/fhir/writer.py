"""Upsert mapped rows on their natural key and turn reference keys into row ids.

The writer is shared by every reader (FHIR bundles, Bulk NDJSON, and the claims readers):
rows are grouped by model in load order, looked up by `(organization, source_system,
source_id)`, then created, updated or left alone by content hash. Reference keys
(`Patient/123`, `Organization?identifier=system|value`) resolve against rows of this
unit, an id cache, and the database; optional ones that do not resolve yet keep their key in
`<field>_ref` and are linked by `link_pending` when the target arrives, in any load order.

Every write is audited in its own transaction (SEC-005, source "import"): the rows one call
creates in one table make one change event, entity `import-run:<id>`, whose `after` lists
`id<TAB>source id<TAB>content hash`, one line per row (the content hash names the source resource exactly,
so the event does not copy it); each updated row gets its own event with the field-level
before and after; each reference linked later gets one event per table, field and target.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from django.db import connection, models

from careloop.audit.models import Source
from careloop.audit.services import current_request_id, record_change
from careloop.clinical import models as cm

from .fast_insert import FastInsert
from .mappers.common import Row

ROW_MODELS: dict[str, type[models.Model]] = {
    "ProviderOrganization": cm.ProviderOrganization,
    "Location": cm.Location,
    "Practitioner": cm.Practitioner,
    "Patient": cm.Patient,
    "Coverage": cm.Coverage,
    "Encounter": cm.Encounter,
    "Condition": cm.Condition,
    "Observation": cm.Observation,
    "Medication": cm.Medication,
    "Immunization": cm.Immunization,
    "Procedure": cm.Procedure,
    "AllergyIntolerance": cm.AllergyIntolerance,
    "Claim": cm.Claim,
    "ExplanationOfBenefit": cm.Claim,
}
ROW_ORDER = {name: i for i, name in enumerate(ROW_MODELS)}

# FHIR reference type -> (model, prefix of source_id)
REF_TARGETS: dict[str, type[models.Model]] = {
    "Organization": cm.ProviderOrganization,
    "Location": cm.Location,
    "Practitioner": cm.Practitioner,
    "Patient": cm.Patient,
    "Encounter": cm.Encounter,
    "Condition": cm.Condition,
}
IDENTIFIED = {
    "ProviderOrganization": "Organization",
    "Location": "Location",
    "Practitioner": "Practitioner",
}
LOOKUP_CHUNK = 500
CACHE_LIMIT = 300_000
ANALYZE_MIN_ROWS = 5_000


class UnresolvedReference(Exception):
    def __init__(self, row: Row, field: str, key: str) -> None:
        super().__init__(f"dangling reference {key!r}: no such resource has been imported")
        self.row = row
        self.field = field
        self.key = key


REFERENCED = frozenset(REF_TARGETS.values())


class IdCache:
    """Bounded map (model, source_id) -> row id of referenced models; misses go to the database.

    Only the models a reference can point at are kept (a 10,000-patient import creates
    830,937 rows, 660,000 of them observations and claims nobody references), and a hit moves
    its entry to the young end, so the patients every row points at are never the ones
    evicted.
    """

    def __init__(self) -> None:
        self._ids: OrderedDict[tuple[type[models.Model], str], int] = OrderedDict()
        self.journal: list[tuple[type[models.Model], str]] | None = None  # puts of a write

    def forget(self, keys: Iterable[tuple[type[models.Model], str]]) -> None:
        for key in keys:
            self._ids.pop(key, None)

    def get(self, model: type[models.Model], sid: str) -> int | None:
        key = (model, sid)
        pk = self._ids.get(key)
        if pk is not None:
            self._ids.move_to_end(key)
        return pk

    def put(self, model: type[models.Model], sid: str, pk: int) -> None:
        if model not in REFERENCED:
            return
        self._ids[(model, sid)] = pk
        if self.journal is not None:
            self.journal.append((model, sid))
        if len(self._ids) > CACHE_LIMIT:
            for _ in range(CACHE_LIMIT // 4):
                self._ids.popitem(last=False)


def _chunks(items: list[Any], n: int = LOOKUP_CHUNK) -> Iterable[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


class Writer:
    def __init__(
        self,
        organization_id: int,
        source_system: str,
        import_run_id: int | None,
        actor: Any = None,
    ) -> None:
        self.org = organization_id
        self.actor = actor  # the user who started the import, if any (the audit's "who")
        self.source_system = source_system
        self.run = import_run_id
        self.ids = IdCache()
        self.identifier_cache: dict[tuple[str, str, str], str | None] = {}
        self.patient_ids: set[int] = set()
        self._inserters: dict[type[models.Model], FastInsert] = {}
        self._inserted: dict[type[models.Model], int] = {}  # rows since the last ANALYZE
        self._analyzed_at: dict[type[models.Model], int] = {}  # table size then

    # --- reference resolution -------------------------------------------------------------

    def _source_id_for_key(self, key: str) -> tuple[type[models.Model], str] | None:
        if "?" in key:
            rtype, _, query = key.partition("?")
            model = REF_TARGETS.get(rtype)
            if model is None or not query.startswith("identifier="):
                return None
            system, _, value = query[len("identifier=") :].rpartition("|")
            ck = (rtype, system, value)
            if ck not in self.identifier_cache:
                self.identifier_cache[ck] = (
                    cm.SourceIdentifier.objects.filter(
                        organization_id=self.org, resource_type=rtype, system=system, value=value
                    )
                    .values_list("source_id", flat=True)
                    .first()
                )
            sid = self.identifier_cache[ck]
            return (model, sid) if sid else None
        rtype, _, rid = key.partition("/")
        model = REF_TARGETS.get(rtype)
        return (model, rid) if model is not None else None

    def _prefetch(self, keys: Iterable[str]) -> None:
        wanted: dict[type[models.Model], set[str]] = {}
        for key in keys:
            target = self._source_id_for_key(key)
            if target and self.ids.get(*target) is None:
                wanted.setdefault(target[0], set()).add(target[1])
        for model, sids in wanted.items():
            for sid, pk, _h in self._by_source_id(model, sorted(sids)):
                self.ids.put(model, sid, pk)

    def _by_source_id(
        self, model: type[models.Model], sids: list[str]
    ) -> Iterable[tuple[str, int, str]]:
        """(source_id, id, content_hash) of existing rows; one array parameter on PostgreSQL."""
        if not sids:
            return
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(model._meta.db_table)
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT source_id, id, content_hash FROM {table} "
                    "WHERE organization_id = %s AND source_system = %s AND source_id = ANY(%s)",
                    [self.org, self.source_system, sids],
                )
                yield from cur.fetchall()
            return
        for chunk in _chunks(sids):
            yield from model.objects.filter(
                organization_id=self.org, source_system=self.source_system, source_id__in=chunk
            ).values_list("source_id", "id", "content_hash")

    def resolve(self, key: str) -> int | None:
        target = self._source_id_for_key(key)
        if target is None:
            return None
        return self.ids.get(*target)

    # --- writing --------------------------------------------------------------------------

    def write(self, rows: list[Row], hashes: list[str], counts: dict[str, dict[str, int]]) -> None:
        """Write rows (already validated) inside the caller's transaction.

        Raises UnresolvedReference when a required patient reference does not resolve.
        """
        if connection.vendor == "postgresql":
            # An import commits a transaction per bundle or chunk; waiting for each WAL flush
            # was a third of the run. Off for these transactions only: a crash can lose the
            # last chunks committed (never corrupt anything), and re-running the import, which
            # is idempotent, stores them (docs/decisions/0001-fhir-import-write-path.md).
            with connection.cursor() as cur:
                cur.execute("SET LOCAL synchronous_commit TO OFF")
        by_model: dict[str, list[tuple[Row, str]]] = {}
        for row, h in zip(rows, hashes, strict=True):
            by_model.setdefault(row.model, []).append((row, h))
        self._resolve_diagnoses(rows)
        # ids cached by a write that fails are of rows its rollback removes: forget them
        journal: list[tuple[type[models.Model], str]] = []
        self.ids.journal = journal
        try:
            for name in sorted(by_model, key=ROW_ORDER.__getitem__):
                self._write_model(name, by_model[name], counts)
        except BaseException:
            self.ids.forget(journal)
            raise
        finally:
            self.ids.journal = None

    def _write_model(
        self, name: str, items: list[tuple[Row, str]], counts: dict[str, dict[str, int]]
    ) -> None:
        model = ROW_MODELS[name]
        self._prefetch({k for row, _ in items for k in row.refs.values()})
        objs_fields: list[tuple[Row, str, dict[str, Any]]] = []
        resolved: dict[str, int | None] = {}  # keys repeat: a patient's rows share its key
        for row, h in items:
            values = dict(row.fields)
            for field, key in row.refs.items():
                pk = (
                    resolved[key]
                    if key in resolved
                    else resolved.setdefault(key, self.resolve(key))
                )
                if field == "patient":
                    if pk is None:
                        raise UnresolvedReference(row, field, key)
                    self.patient_ids.add(pk)
                else:
                    values[f"{field}_ref"] = key[:300]
                values[f"{field}_id"] = pk
            objs_fields.append((row, h, values))
        existing: dict[str, tuple[int, str]] = {}
        for sid, pk, h in self._by_source_id(model, [row.source_id for row, _ in items]):
            existing[sid] = (pk, h)
        new_rows: list[tuple[str, str, dict[str, Any]]] = []
        seen: set[str] = set()
        rtype_of = _resource_type_name
        for row, h, values in objs_fields:
            if row.source_id in seen:
                counts[rtype_of(row)]["unchanged"] += 1
                continue
            seen.add(row.source_id)
            found = existing.get(row.source_id)
            if found is None:
                new_rows.append((row.source_id, h, values))
                counts[rtype_of(row)]["created"] += 1
            elif found[1] == h:
                self.ids.put(model, row.source_id, found[0])
                counts[rtype_of(row)]["unchanged"] += 1
            else:
                rows_now = model.objects.filter(pk=found[0])
                before = rows_now.values(*values).first()
                rows_now.update(import_run_id=self.run, content_hash=h, **values)
                self.audit(model, found[0], "update", before, values)
                self.ids.put(model, row.source_id, found[0])
                counts[rtype_of(row)]["updated"] += 1
        if new_rows:
            inserter = self._inserters.get(model)
            if inserter is None:
                inserter = self._inserters[model] = FastInsert(model)
            common = {
                "organization_id": self.org,
                "source_system": self.source_system,
                "import_run_id": self.run,
            }
            pks = inserter.insert(
                [
                    {**common, "source_id": sid, "content_hash": h, **values}
                    for sid, h, values in new_rows
                ]
            )
            for (sid, _h, _v), pk in zip(new_rows, pks, strict=True):
                self.ids.put(model, sid, pk)
            self._analyze_if_grown(model, len(new_rows))
            self.audit(
                model,
                f"import-run:{self.run}",
                "create",
                None,
                {
                    "import_run": self.run,
                    "source_system": self.source_system,
                    "count": len(new_rows),
                    # one line per row, "id<TAB>source id<TAB>content hash": a single string
                    # keeps hashing and storing the event cheap (decision 0001)
                    "rows": "\n".join(
                        f"{pk}\t{sid}\t{h}" for (sid, h, _v), pk in zip(new_rows, pks, strict=True)
                    ),
                },
            )
        if name in IDENTIFIED:
            self._index_identifiers(IDENTIFIED[name], [row for row, _ in items])

    def _analyze_if_grown(self, model: type[models.Model], added: int) -> None:
        """Refresh the planner's statistics of a table each time this import has doubled it.

        A natural-key lookup (`organization, source_system, source_id = ANY(...)`) on a table
        whose statistics predate the import is planned as a scan of every row of the
        organization: the planner believes there are none. That made each chunk's lookup cost
        grow with the table (an import of 830,937 resources spent a third of its time there).
        Autovacuum's analyze comes too late (or never, where it is off); an ANALYZE samples a
        fixed number of rows, so doing it at each doubling costs a few hundred milliseconds a
        run (docs/decisions/0001-fhir-import-write-path.md).
        """
        if connection.vendor != "postgresql":
            return
        grown = self._inserted[model] = self._inserted.get(model, 0) + added
        if grown < max(ANALYZE_MIN_ROWS, self._analyzed_at.get(model, 0)):
            return
        with connection.cursor() as cur:
            # the natural key's columns only: what the lookups filter on, and cheap to sample
            cur.execute(
                f"ANALYZE {connection.ops.quote_name(model._meta.db_table)} "
                "(organization_id, source_system, source_id)"
            )
        self._analyzed_at[model] = self._analyzed_at.get(model, 0) + grown
        self._inserted[model] = 0

    def audit(
        self,
        model: type[models.Model],
        entity_id: Any,
        action: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        record_change(
            actor=self.actor,
            organization=self.org,
            instance_or_entity=(label, entity_id),
            action=action,
            before=before,
            after=after,
            source=str(Source.IMPORT),  # the value: mypy types the bare member as a tuple
            request_id=current_request_id() or f"import-run:{self.run}",
        )

    def _index_identifiers(self, rtype: str, rows: list[Row]) -> None:
        idents = []
        for row in rows:
            for system, value, _type in row.fields.get("identifiers") or ():
                if system and value:
                    idents.append(
                        cm.SourceIdentifier(
                            organization_id=self.org,
                            resource_type=rtype,
                            system=system[:200],
                            value=value[:200],
                            source_id=row.source_id,
                        )
                    )
                    self.identifier_cache[(rtype, system, value)] = row.source_id
        if idents:
            cm.SourceIdentifier.objects.bulk_create(idents, ignore_conflicts=True, batch_size=1000)

    def _resolve_diagnoses(self, rows: list[Row]) -> None:
        """Claims that point at Conditions (`diagnosisReference`) get those codes, in order."""
        local = {
            row.source_id: row.fields.get("code", "") for row in rows if row.model == "Condition"
        }
        wanted = set()
        for row in rows:
            for d in (
                row.fields.get("diagnosis_codes", ())
                if row.model in ("Claim", "ExplanationOfBenefit")
                else ()
            ):
                if isinstance(d, dict):
                    sid = d["ref"].partition("/")[2]
                    if sid not in local:
                        wanted.add(sid)
        for chunk in _chunks(sorted(wanted)):
            for sid, code in cm.Condition.objects.filter(
                organization_id=self.org, source_system=self.source_system, source_id__in=chunk
            ).values_list("source_id", "code"):
                local[sid] = code
        for row in rows:
            if row.model in ("Claim", "ExplanationOfBenefit"):
                row.fields["diagnosis_codes"] = [
                    (local.get(d["ref"].partition("/")[2], "") if isinstance(d, dict) else d)
                    for d in row.fields["diagnosis_codes"]
                ]
                row.fields["diagnosis_codes"] = [c for c in row.fields["diagnosis_codes"] if c]


def _resource_type_name(row: Row) -> str:
    if row.model == "ProviderOrganization":
        return "Organization"
    if row.model == "Medication":
        return str(row.fields["resource_type"])
    return row.model


def _linked_fields(model: type[models.Model]) -> tuple[str, ...]:
    names = {f.name for f in model._meta.concrete_fields}
    return tuple(
        f.name
        for f in model._meta.concrete_fields
        if f.is_relation and f"{f.name}_ref" in names  # clinical.models.base.linked_reference
    )


# Models with optional references, and their reference fields, for the linking pass.
LINKED_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    model: fields
    for model in dict.fromkeys(ROW_MODELS.values())
    if (fields := _linked_fields(model))
}


def link_pending(writer: Writer) -> list[tuple[str, str, int]]:
    """Link optional references whose targets have arrived; return those still unresolved."""
    still: list[tuple[str, str, int]] = []
    for model, fields in LINKED_FIELDS.items():
        for field in fields:
            pending = (
                model.objects.filter(organization_id=writer.org, **{f"{field}_id__isnull": True})
                .exclude(**{f"{field}_ref": ""})
                .values_list(f"{field}_ref")
                .annotate(n=models.Count("id"))
                .order_by()
            )
            for key, n in pending:
                writer._prefetch([key])
                pk = writer.resolve(key)
                if pk is None:
                    still.append((model.__name__, key, n))
                    continue
                linked = model.objects.filter(
                    organization_id=writer.org, **{f"{field}_id__isnull": True, f"{field}_ref": key}
                ).update(**{f"{field}_id": pk})
                writer.audit(
                    model,
                    f"import-run:{writer.run}",
                    "update",
                    {f"{field}_id": None},
                    {f"{field}_id": pk, "linked_rows": linked, "by_reference": key},
                )
    return still
