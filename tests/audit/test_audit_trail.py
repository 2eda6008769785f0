"""The audit trail (issue 3 point 3; SEC-005, SEC-006): events, same transaction, append-only,
and `careloop audit verify` naming the first altered, deleted or inserted event.

Runs on SQLite and, with DATABASE_URL set, on PostgreSQL. Tampering "by hand" goes around
the ORM with raw SQL and first disables the append-only triggers, as an attacker with the
owner role could.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from careloop.audit.models import (
    AccessEvent,
    AccessEventPatient,
    AppendOnlyError,
    ChainHead,
    ChangeEvent,
)
from careloop.audit.services import (
    TransactionRequired,
    audit_context,
    diff,
    record_access,
    record_change,
    snapshot,
)

pytestmark = pytest.mark.django_db

CHANGE = ChangeEvent._meta.db_table
ACCESS = AccessEvent._meta.db_table
INDEX = AccessEventPatient._meta.db_table


def verify() -> tuple[int, str]:
    """Run `careloop audit verify`: (exit status, stdout)."""
    out = StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


def disable_triggers(table: str) -> None:
    """What an attacker with owner rights does first (rolled back with the test)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # settle the pending foreign-key checks
            cur.execute(f"ALTER TABLE {qn(table)} DISABLE TRIGGER USER")
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cur.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")


def raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])


def raw_insert(event) -> None:
    """Insert a model instance's row with plain SQL, bypassing the model and its manager."""
    fields = type(event)._meta.concrete_fields
    cols = ", ".join(qn(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    params = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    raw(f"INSERT INTO {qn(type(event)._meta.db_table)} ({cols}) VALUES ({marks})", params)


def change_patient(actor, patient, **fields):
    """A stand-in for a clinical service: one transaction, the change and its event."""
    with transaction.atomic():
        before = snapshot(patient)
        for name, value in fields.items():
            setattr(patient, name, value)
        patient.save()
        return record_change(
            actor=actor,
            organization=patient.organization,
            instance_or_entity=patient,
            action="update",
            before=before,
            after=snapshot(patient),
        )


@pytest.fixture
def history(cm_a, cm_b, admin, patient_a, patient_b):
    """Five change events and three access events from the shared cast."""
    with audit_context(request_id="req-1", source="screen"):
        for given in ("Rosalind", "Rosa", "Rosie", "Rose", "Rosita"):
            change_patient(cm_a, patient_a, given_name=given)
        record_access(
            actor=cm_a, organization=patient_a.organization, patient_ids=[patient_a.pk],
            view="web:patient_chart", purpose="treatment",
        )  # fmt: skip
        record_access(
            actor=admin, organization=patient_a.organization, patient_ids=[patient_a],
            view="web:patient_list", purpose="operations",
        )  # fmt: skip
        record_access(
            actor=cm_b, organization=patient_b.organization, patient_ids=[patient_b.pk],
            view="web:patient_chart", purpose="treatment",
        )  # fmt: skip
    return ChangeEvent.objects.order_by("seq"), AccessEvent.objects.order_by("seq")


# --- each event type -------------------------------------------------------------------


def test_change_events_for_create_update_and_delete_keep_field_level_before_after(cm_a, org_a):
    from careloop.clinical.models import Patient

    with audit_context(request_id="req-42", source="import"), transaction.atomic():
        patient = Patient.objects.create(
            organization=org_a, source_system="test", source_id="p-9", family_name="Okafor",
            given_name="Ada", mrn="MRN-9",
        )  # fmt: skip
        created = record_change(
            actor=cm_a, organization=org_a, instance_or_entity=patient, action="create",
            before=None, after=snapshot(patient),
        )  # fmt: skip
    updated = change_patient(cm_a, patient, family_name="Okafor-Reyes", phone="555-0100")
    with transaction.atomic():
        before = snapshot(patient)
        patient.delete()
        deleted = record_change(
            actor=cm_a, organization=org_a, instance_or_entity=patient, action="delete",
            before=before, after=None,
        )  # fmt: skip

    created.refresh_from_db()
    assert (created.action, created.entity_type, created.entity_id) == (
        "create",
        "clinical.patient",
        str(before["id"]),
    )
    assert created.before is None
    assert created.after["family_name"] == "Okafor" and created.after["organization"] == org_a.pk
    assert (created.user, created.username, created.organization) == (cm_a, "cm_a", org_a)
    assert (created.request_id, created.source) == ("req-42", "import")
    assert created.occurred_at.utcoffset().total_seconds() == 0

    updated.refresh_from_db()
    assert updated.action == "update"
    assert updated.before == {"family_name": "Okafor", "phone": ""}
    assert updated.after == {"family_name": "Okafor-Reyes", "phone": "555-0100"}
    assert updated.source == "cli"  # no context: a command or a shell

    deleted.refresh_from_db()
    assert deleted.action == "delete" and deleted.entity_id == str(before["id"])
    assert deleted.before["family_name"] == "Okafor-Reyes" and deleted.after is None
    assert [e.seq for e in ChangeEvent.objects.all()] == [1, 2, 3]


def test_an_update_that_changes_nothing_writes_no_event(cm_a, patient_a):
    assert change_patient(cm_a, patient_a, given_name=patient_a.given_name) is None
    assert ChangeEvent.objects.count() == 0


def test_access_event_records_who_which_patients_view_and_purpose(cm_a, org_a, patient_a):
    with audit_context(request_id="req-7", source="screen"):
        event = record_access(
            actor=cm_a, organization=org_a, patient_ids=[patient_a.pk, 31, 7, 31],
            view="web:patient_list", purpose="treatment",
        )  # fmt: skip
        glass = record_access(
            actor=cm_a, organization=org_a, patient_ids=[patient_a], view="web:patient_chart",
            purpose="emergency", break_glass=True,
        )  # fmt: skip
    event.refresh_from_db()
    assert event.patient_ids == sorted({patient_a.pk, 31, 7})
    assert event.patient_count == 3
    assert (event.username, event.organization, event.view, event.purpose) == (
        "cm_a",
        org_a,
        "web:patient_list",
        "treatment",
    )
    assert (event.request_id, event.source, event.break_glass) == ("req-7", "screen", False)
    glass.refresh_from_db()
    assert glass.break_glass is True and glass.patient_ids == [patient_a.pk]
    seen_patient_a = AccessEventPatient.objects.filter(patient_id=patient_a.pk)
    assert sorted(seen_patient_a.values_list("event_id", flat=True)) == [event.seq, glass.seq]


def test_diff_and_snapshot_are_field_level_and_json_safe(patient_a):
    data = snapshot(patient_a)
    assert data["birth_date"] == "1948-03-02"
    assert data["organization"] == patient_a.organization_id
    assert "updated_at" not in data  # auto_now would show as a change of every save
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {"b": {"before": 2, "after": 3}}


# --- the same transaction --------------------------------------------------------------


def test_an_exception_after_the_service_call_rolls_back_the_change_and_its_event(cm_a, patient_a):
    head_before = ChainHead.objects.filter(chain="change").first()
    with pytest.raises(RuntimeError, match="later step failed"), transaction.atomic():
        change_patient(cm_a, patient_a, family_name="Changed")
        assert ChangeEvent.objects.count() == 1
        raise RuntimeError("later step failed")
    patient_a.refresh_from_db()
    assert patient_a.family_name == "Alvarez"
    assert ChangeEvent.objects.count() == 0
    assert ChainHead.objects.filter(chain="change").first() == head_before
    assert change_patient(cm_a, patient_a, family_name="Again").seq == 1  # no hole left


@pytest.mark.django_db(transaction=True)
def test_record_change_refuses_to_run_outside_a_transaction(cm_a, patient_a):
    with pytest.raises(TransactionRequired):
        record_change(
            actor=cm_a, organization=patient_a.organization, instance_or_entity=patient_a,
            action="update", before={"mrn": "x"}, after={"mrn": "y"},
        )  # fmt: skip
    assert ChangeEvent.objects.count() == 0


# --- append-only -----------------------------------------------------------------------


def test_events_cannot_be_updated_or_deleted_through_the_orm(history):
    changes, accesses = history
    event = changes.first()
    event.username = "mallory"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        ChangeEvent.objects.filter(seq=1).update(username="mallory")
    with pytest.raises(AppendOnlyError):
        ChangeEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AccessEventPatient.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        ChangeEvent.objects.bulk_create([ChangeEvent(entity_type="x", entity_id="1")])
    assert (changes.count(), accesses.count()) == (5, 3)
    assert ChangeEvent.objects.get(seq=1).username == "cm_a"


def test_the_database_refuses_raw_updates(history):
    for table in (CHANGE, ACCESS, INDEX):
        with pytest.raises(DatabaseError), transaction.atomic():
            raw(f"UPDATE {qn(table)} SET occurred_at = occurred_at")
    if connection.vendor == "postgresql":  # SQLite keeps DELETE for the test flush
        with pytest.raises(DatabaseError), transaction.atomic():
            raw(f"DELETE FROM {qn(CHANGE)}")
    assert verify()[0] == 0


def test_deleting_an_actor_with_audit_events_is_refused(history, cm_a):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        cm_a.delete()


# --- the hash chain and `careloop audit verify` ----------------------------------------


def test_verify_passes_on_an_untouched_database(history):
    status, out = verify()
    assert status == 0, out
    assert f"{CHANGE}: 5 events checked, intact" in out
    assert f"{ACCESS}: 3 events checked, intact" in out
    assert "audit trail intact: 8 events checked" in out


def test_verify_passes_on_an_empty_database():
    status, out = verify()
    assert status == 0 and "audit trail intact: 0 events checked" in out


def test_verify_names_a_row_edited_by_hand(history):
    disable_triggers(CHANGE)
    raw(f"UPDATE {qn(CHANGE)} SET username = %s WHERE seq = 3", ["mallory"])
    status, out = verify()
    assert status == 1
    assert f"first bad event: altered: {CHANGE} seq 3 (id 3)" in out
    assert f"{ACCESS}: 3 events checked, intact" in out


def test_verify_names_an_access_event_whose_patients_were_edited(history, patient_b):
    disable_triggers(ACCESS)
    raw(f"UPDATE {qn(ACCESS)} SET view = %s WHERE seq = 2", ["web:home"])
    status, out = verify()
    assert status == 1 and f"first bad event: altered: {ACCESS} seq 2 (id 2)" in out


def test_verify_names_a_removed_patient_index_row(history, patient_b):
    disable_triggers(INDEX)
    raw(f"DELETE FROM {qn(INDEX)} WHERE patient_id = %s", [patient_b.pk])
    status, out = verify()
    assert status == 1 and f"first bad event: altered: {INDEX} seq 3 (id 3)" in out
    assert "missing [" + str(patient_b.pk) + "]" in out


def test_verify_names_a_row_deleted_by_hand(history):
    disable_triggers(CHANGE)
    raw(f"DELETE FROM {qn(CHANGE)} WHERE seq = 2")
    status, out = verify()
    assert status == 1
    assert f"first bad event: deleted: {CHANGE} seq 2 (id 2)" in out
    assert "missing before seq 3" in out


def test_verify_names_the_last_row_deleted_by_hand(history):
    disable_triggers(CHANGE)
    raw(f"DELETE FROM {qn(CHANGE)} WHERE seq = 5")
    status, out = verify()
    assert status == 1 and f"first bad event: deleted: {CHANGE} seq 5 (id 5)" in out


def forge(seq: int, linked_to: ChangeEvent, actor) -> ChangeEvent:
    """A forged change event with a valid own hash, linked after `linked_to`."""
    forged = ChangeEvent(
        seq=seq, occurred_at=linked_to.occurred_at, user=actor, username=actor.username,
        organization_id=linked_to.organization_id, entity_type="clinical.patient",
        entity_id=linked_to.entity_id, action="update", before={"mrn": "MRN-A1"},
        after={"mrn": "FORGED"}, source="screen", request_id="", prev_hash=linked_to.hash,
    )  # fmt: skip
    forged.hash = forged.compute_hash()
    return forged


def test_verify_names_a_forged_row_inserted_by_hand_in_the_wrong_place(history, cm_b):
    raw_insert(forge(6, ChangeEvent.objects.get(seq=1), cm_b))  # claims to follow seq 1
    status, out = verify()
    assert status == 1
    assert f"first bad event: inserted: {CHANGE} seq 6 (id 6)" in out
    assert "prev_hash does not match the hash of seq 5" in out


def test_verify_names_a_well_linked_forgery_beyond_the_chain_head(history, cm_b):
    raw_insert(forge(6, ChangeEvent.objects.get(seq=5), cm_b))
    status, out = verify()
    assert status == 1 and f"first bad event: inserted: {CHANGE} seq 6 (id 6)" in out
    assert "beyond the chain head" in out


def test_verify_reports_the_first_of_several_problems(history):
    disable_triggers(CHANGE)
    raw(f"UPDATE {qn(CHANGE)} SET entity_id = %s WHERE seq IN (2, 4)", ["999"])
    status, out = verify()
    assert status == 1 and f"altered: {CHANGE} seq 2 (id 2)" in out
    assert "seq 4" not in out


# --- concurrency -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_the_chain(cm_a, cm_b, patient_a, patient_b, tmp_path):
    """Writers in parallel append one chain, seq 1..N, no fork.

    PostgreSQL: threads with their own connections. SQLite: its in-memory test database
    fails fast on a lock instead of waiting, so the deployment's SQLite *file* is tested with
    four processes.
    """
    if connection.vendor == "sqlite":
        _concurrent_processes_on_a_sqlite_file(tmp_path)
        return
    import threading

    from django.db import connections

    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(actor, patient, n: int) -> None:
        try:
            start.wait()
            for i in range(n):
                with transaction.atomic():
                    record_access(
                        actor=actor, organization=patient.organization_id,
                        patient_ids=[patient.pk], view=f"test:{i}", purpose="treatment",
                    )  # fmt: skip
                    record_change(
                        actor=actor, organization=patient.organization_id,
                        instance_or_entity=("clinical.patient", patient.pk), action="update",
                        before={"note": i}, after={"note": i + 1},
                    )  # fmt: skip
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    cast = [(cm_a, patient_a), (cm_b, patient_b), (cm_a, patient_b), (cm_b, patient_a)]
    threads = [threading.Thread(target=writer, args=(a, p, 10)) for a, p in cast]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert list(ChangeEvent.objects.values_list("seq", flat=True)) == list(range(1, 41))
    assert AccessEvent.objects.count() == 40
    status, out = verify()
    assert status == 0, out


WRITER = """
import sys
import django
django.setup()
from django.db import transaction
from careloop.audit.services import audit_context, record_access, record_change
with audit_context(source="task", request_id=sys.argv[1]):
    for i in range(10):
        with transaction.atomic():
            record_access(actor=None, organization=None, patient_ids=[i], view="t", purpose="audit")
            record_change(actor=None, organization=None, instance_or_entity=("t.row", i),
                          action="update", before={"n": i}, after={"n": i + 1})
"""


def _concurrent_processes_on_a_sqlite_file(tmp_path):
    """Four processes append to one SQLite file at once; `careloop audit verify` passes."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(CARELOOP_HOME=str(tmp_path), DJANGO_SETTINGS_MODULE="careloop.config.settings")
    careloop = [sys.executable, "-m", "careloop.cli"]
    subprocess.run([*careloop, "migrate", "-v0"], env=env, check=True, timeout=300)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, f"w{n}"], env=env) for n in range(4)]
    assert [w.wait(timeout=300) for w in writers] == [0, 0, 0, 0]
    done = subprocess.run(
        [*careloop, "audit", "verify"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "audit_changeevent: 40 events checked, intact" in done.stdout
    assert "audit trail intact: 80 events checked" in done.stdout


# --- the request context ---------------------------------------------------------------


def test_middleware_carries_the_request_id_and_source_screen_to_the_events(rf, cm_a, patient_a):
    from careloop.audit.middleware import AuditContextMiddleware
    from careloop.audit.services import current_request_id, current_source
    from careloop.web.middleware import RequestIdMiddleware

    def chart(request):
        record_access(
            actor=request.user, organization=patient_a.organization, patient_ids=[patient_a],
            view="web:patient_chart", purpose="treatment",
        )  # fmt: skip
        from django.http import HttpResponse

        return HttpResponse("ok")

    request = rf.get("/patients/1/", HTTP_X_REQUEST_ID="abc123")
    request.user = cm_a
    response = RequestIdMiddleware(AuditContextMiddleware(chart))(request)
    assert response["X-Request-Id"] == "abc123"
    event = AccessEvent.objects.get()
    assert (event.request_id, event.source, event.username) == ("abc123", "screen", "cm_a")
    assert (current_request_id(), current_source()) == (None, "cli")  # reset after the request
