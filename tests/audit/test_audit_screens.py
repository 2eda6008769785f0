"""The audit screens through the test client: the log viewer, its CSV export, the accounting
of disclosures (issue 3 point 3; SEC-005, SEC-009).

Done-when of issue 3: "an auditor can answer 'who saw patient X last month' from the UI".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html import unescape
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from test_audit_trail import change_patient  # the stand-in clinical service

from careloop.audit.models import AccessEvent
from careloop.audit.services import record_access

pytestmark = pytest.mark.django_db

URLS = ("/audit/", "/audit/export.csv", "/audit/patients/{pid}/disclosures/")


def _at(when: dt.datetime):
    """Events written inside the block carry `when` as their time."""
    return mock.patch("django.utils.timezone.now", return_value=when.astimezone(dt.UTC))


def _last_month_noon(org) -> dt.datetime:
    zone = ZoneInfo(org.time_zone)
    first_of_this_month = timezone.now().astimezone(zone).date().replace(day=1)
    mid_last_month = (first_of_this_month - dt.timedelta(days=1)).replace(day=15)
    return dt.datetime.combine(mid_last_month, dt.time(12), tzinfo=zone)


def _auditor_of(org, username="auditor_b"):
    from django.contrib.auth import get_user_model

    from careloop.accounts.models import Membership

    user = get_user_model().objects.create_user(username, password="x-Long-password-1")
    Membership.objects.create(user=user, organization=org, role="auditor")
    return user


def _link(html: str, text: str) -> str:
    match = re.search(r'<a href="([^"]*)"[^>]*>\s*' + re.escape(text), html)
    assert match, f"no link {text!r} on the page"
    href = unescape(match[1])
    return "/audit/" + href if href.startswith("?") else href


def _rows(html: str, but: str = "auditor") -> int:
    """Rows of the events table, leaving out the reads of the audit screens by `but`."""
    body = html.split('<table class="list audit-events">', 1)[1].split("</table>\n", 1)[0]
    rows = body.split('<tr class="event-')[1:]
    return sum(1 for r in rows if f"<td>{but}</td>" not in r)


# --- "who saw patient X last month" -----------------------------------------------------


def test_the_auditor_answers_who_saw_patient_x_last_month(
    client, cm_a, admin, auditor, patient_a, org_a
):
    last_month = _last_month_noon(org_a)
    client.force_login(cm_a)
    with _at(last_month):  # cm_a opens the chart last month; the chart view records it
        assert client.get(f"/patients/{patient_a.pk}/").status_code == 200
    with _at(last_month - dt.timedelta(days=45)):  # the administrator, two months ago
        client.force_login(admin)
        assert client.get(f"/patients/{patient_a.pk}/").status_code == 200

    client.force_login(auditor)
    page = client.get("/audit/", {"patient": "MRN-A1"}).content.decode()
    last_month_url = _link(page, "Last month")
    answer = client.get(last_month_url).content.decode()

    start = last_month.date().replace(day=1)
    assert f"date_from={start.isoformat()}" in last_month_url and "patient=MRN-A1" in last_month_url
    who = answer.split('<section class="who-saw"', 1)[1].split("</section>", 1)[0]
    assert "Who saw Alvarez, Rosa" in who
    assert "<strong>cm_a</strong> — 1 read," in who
    assert "admin" not in who  # read two months ago, outside the range
    assert (
        "web:patient_chart" in answer and f"/audit/patients/{patient_a.pk}/disclosures/" in answer
    )
    assert _rows(answer) == 1


def test_the_patient_filter_takes_a_name_an_mbi_or_an_id(login, cm_a, auditor, patient_a):
    record_access(
        actor=cm_a, organization=patient_a.organization, patient_ids=[patient_a.pk],
        view="web:patient_chart", purpose="treatment",
    )  # fmt: skip
    client = login(auditor)
    for query in ("alvarez", "Rosa Alv", "1eg4te5mk73", str(patient_a.pk)):
        page = client.get("/audit/", {"patient": query}).content.decode()
        assert "<strong>cm_a</strong> — 1 read" in page, query
    page = client.get("/audit/", {"patient": "Nobody-Such"}).content.decode()
    assert "No patient of Riverside Primary Care matches" in page
    assert "No events match." in page


# --- who may look --------------------------------------------------------------------------


def test_anonymous_gets_the_login_page(client, patient_a):
    for url in URLS:
        response = client.get(url.format(pid=patient_a.pk))
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_care_managers_cannot_open_the_audit_screens(login, cm_a, patient_a):
    client = login(cm_a)
    for url in URLS:
        assert client.get(url.format(pid=patient_a.pk)).status_code == 404, url
    assert not AccessEvent.objects.filter(view__startswith="audit:").exists()


def test_administrators_and_auditors_can(login, admin, auditor, patient_a):
    for user in (admin, auditor):
        client = login(user)
        for url in URLS:
            assert client.get(url.format(pid=patient_a.pk)).status_code == 200, (user, url)


def test_organization_b_sees_nothing_of_organization_a(
    client, login, cm_a, cm_b, org_b, patient_a, patient_b
):
    record_access(
        actor=cm_a, organization=patient_a.organization, patient_ids=[patient_a.pk],
        view="web:patient_chart", purpose="treatment",
    )  # fmt: skip
    client.force_login(cm_b)
    for url in URLS:
        assert client.get(url.format(pid=patient_b.pk)).status_code == 404, url

    client = login(_auditor_of(org_b))
    own = client.get("/audit/").content.decode()
    assert "cm_a" not in own and "Alvarez" not in own and "0 events" in own
    for pid in (patient_a.pk, 999_999):  # the same 404 for "not yours" and "does not exist"
        assert client.get(f"/audit/patients/{pid}/disclosures/").status_code == 404
    assert "Alvarez" not in client.get("/audit/", {"patient": str(patient_a.pk)}).content.decode()
    export = b"".join(client.get("/audit/export.csv").streaming_content).decode()
    assert export.count("\n") == 1  # the header only
    assert AccessEvent.objects.get(view="audit:export").patient_ids == []


def test_auditors_cannot_write(login, auditor):
    client = login(auditor)
    for url in ("/audit/", "/audit/export.csv"):
        assert client.post(url).status_code == 405


# --- the list ------------------------------------------------------------------------------


def test_both_kinds_newest_first_with_field_level_changes(login, cm_a, auditor, patient_a):
    with _at(timezone.now() - dt.timedelta(hours=2)):
        change_patient(cm_a, patient_a, family_name="Alvarez-Ruiz")
    record_access(
        actor=cm_a, organization=patient_a.organization, patient_ids=[patient_a.pk],
        view="web:patient_chart", purpose="treatment", request_id="req-42",
    )  # fmt: skip
    page = login(auditor).get("/audit/").content.decode()

    assert "2 events: 1 read of PHI, 1 change." in page
    assert page.index("web:patient_chart") < page.index("clinical.patient")  # newest first
    assert "req-42" in page
    assert '<th scope="col">Who</th>' in page and "<caption>Audit events, newest first" in page
    details = page.split("<details>", 1)[1].split("</details>", 1)[0]
    assert "1 field changed" in details
    assert '<th scope="row">family_name</th><td>Alvarez</td><td>Alvarez-Ruiz</td>' in details
    # the change row names its patient too
    assert page.count(f"/audit/patients/{patient_a.pk}/disclosures/") == 2


def test_filters(login, cm_a, admin, auditor, patient_a, org_a):
    today = timezone.now().astimezone(ZoneInfo(org_a.time_zone)).date()
    with _at(timezone.now() - dt.timedelta(days=10)):
        change_patient(admin, patient_a, given_name="Rosalind")
    record_access(
        actor=cm_a, organization=org_a, patient_ids=[patient_a.pk],
        view="web:patient_chart", purpose="treatment", source="api",
    )  # fmt: skip
    record_access(
        actor=cm_a, organization=org_a, patient_ids=[patient_a.pk],
        view="careplan:emergency", purpose="emergency", break_glass=True,
    )  # fmt: skip
    client = login(auditor)

    def count(**params):
        html = client.get("/audit/", params).content.decode()
        return _rows(html)

    assert count() == 3
    assert count(user="CM_A") == 2
    assert count(user="admin") == 1
    assert count(action="update") == 1
    assert count(action="create") == 0
    assert count(action="view") == 2
    assert count(action="break-glass") == 1
    assert count(source="api") == 1
    assert count(date_from=today.isoformat()) == 2
    week_ago = (today - dt.timedelta(days=7)).isoformat()
    assert count(date_to=week_ago, date_from=(today - dt.timedelta(days=30)).isoformat()) == 1
    assert count(patient="MRN-A1", action="update") == 1
    bad = client.get("/audit/", {"date_from": today.isoformat(), "date_to": week_ago})
    assert "must be on or before" in bad.content.decode()


def test_paging_50_a_page(login, cm_a, auditor, patient_a):
    for i in range(60):
        record_access(
            actor=cm_a, organization=patient_a.organization, patient_ids=[patient_a.pk],
            view=f"web:patient_chart-{i:02d}", purpose="treatment",
        )  # fmt: skip
    client = login(auditor)
    first = client.get("/audit/", {"user": "cm_a"}).content.decode()
    assert "Page 1 of 2" in first and _rows(first) == 50
    assert "chart-59" in first and "chart-09" not in first
    second = client.get(_link(first, "Next")).content.decode()
    assert _rows(second) == 10 and "chart-00" in second and "chart-59" not in second


def test_viewing_the_log_is_a_read_of_phi(login, cm_a, auditor, patient_a):
    record_access(
        actor=cm_a, organization=patient_a.organization, patient_ids=[patient_a.pk],
        view="web:patient_chart", purpose="treatment",
    )  # fmt: skip
    login(auditor).get("/audit/")
    event = AccessEvent.objects.get(view="audit:log")
    assert (event.user, event.purpose, event.patient_ids) == (auditor, "audit", [patient_a.pk])


# --- the export ----------------------------------------------------------------------------


def test_csv_export_streams_the_filtered_list_and_records_its_own_access(
    login, cm_a, admin, auditor, patient_a, org_a
):
    from careloop.clinical.models import Patient

    other = Patient.objects.create(
        organization=org_a, source_system="t", source_id="o-1", family_name="Okafor"
    )
    change_patient(admin, patient_a, given_name="=HYPERLINK(1)")
    record_access(
        actor=cm_a, organization=org_a, patient_ids=[patient_a.pk, other.pk],
        view="web:patients", purpose="treatment", request_id="req-7",
    )  # fmt: skip
    record_access(
        actor=admin, organization=org_a, patient_ids=[other.pk],
        view="web:patient_chart", purpose="operations",
    )  # fmt: skip
    response = login(auditor).get("/audit/export.csv", {"user": "cm_a"})

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    assert rows[0]["username"] == "cm_a" and rows[0]["what"] == "web:patients"
    assert (
        rows[0]["patient_ids"] == f"{patient_a.pk} {other.pk}" and rows[0]["patient_count"] == "2"
    )
    assert rows[0]["request_id"] == "req-7" and rows[0]["action"] == "view"

    own = AccessEvent.objects.get(view="audit:export")
    assert (own.user, own.purpose) == (auditor, "audit")
    assert own.patient_ids == sorted([patient_a.pk, other.pk])

    everything = login(auditor).get("/audit/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(everything.streaming_content).decode())))
    kinds = [r["kind"] for r in rows]
    assert kinds.count("change") == 1 and kinds.count("access") == 2  # not its own reads
    change = next(r for r in rows if r["kind"] == "change")
    assert change["after"] == '{"given_name": "=HYPERLINK(1)"}'  # JSON, not a formula
    assert change["patient_ids"] == str(patient_a.pk)
    assert all(not r["username"].startswith("=") for r in rows)
    with_own = login(auditor).get("/audit/export.csv", {"audit_reads": "on"})
    text = b"".join(with_own.streaming_content).decode()
    assert text.count(",audit:export,") == 2  # the two earlier exports, not this one


# --- accounting of disclosures --------------------------------------------------------------


def test_disclosures_report(client, cm_a, admin, auditor, patient_a, patient_b, org_a):
    client.force_login(cm_a)
    client.get(f"/patients/{patient_a.pk}/")
    with _at(timezone.now() - dt.timedelta(days=365 * 7)):  # older than six years
        record_access(
            actor=admin, organization=org_a, patient_ids=[patient_a.pk],
            view="web:patient_chart", purpose="operations",
        )  # fmt: skip
    change_patient(admin, patient_a, given_name="Rosie")
    client.force_login(auditor)
    url = f"/audit/patients/{patient_a.pk}/disclosures/"
    page = client.get(url).content.decode()

    assert "Accounting of disclosures" in page and "MRN-A1" in page
    assert "<strong>cm_a</strong> — 1 read" in page
    assert "2 events: 1 read, 1 change." in page  # the 7-year-old read is outside the default
    assert "web:patient_chart" in page and "treatment" in page and "given_name" in page
    assert 'href="/static/audit/audit.css"' in page
    event = AccessEvent.objects.filter(view="audit:disclosures").get()
    assert (event.user, event.purpose, event.patient_ids) == (auditor, "audit", [patient_a.pk])

    long_ago = (timezone.now() - dt.timedelta(days=365 * 8)).date().isoformat()
    wider = client.get(url, {"date_from": long_ago}).content.decode()
    assert "<strong>admin</strong> — 1 read" in wider
    assert client.get(f"/audit/patients/{patient_b.pk}/disclosures/").status_code == 404
    assert client.get("/audit/patients/999999/disclosures/").status_code == 404


def test_the_audit_screens_own_reads_are_left_out_unless_asked_for(login, cm_a, auditor, patient_a):
    record_access(
        actor=cm_a, organization=patient_a.organization, patient_ids=[patient_a.pk],
        view="web:patient_chart", purpose="treatment",
    )  # fmt: skip
    client = login(auditor)
    client.get("/audit/")
    page = client.get("/audit/").content.decode()
    assert "1 event: 1 read of PHI, 0 changes." in page and "<code>audit:log" not in page
    everything = client.get("/audit/", {"audit_reads": "on"}).content.decode()
    assert "3 events matching the filters: 3 reads" in everything
    assert "<code>audit:log" in everything


def test_the_export_asks_for_a_recent_sign_in(client, auditor):
    """Re-authentication before exports (issue 3 point 4): a stale session goes to re-auth."""
    client.force_login(auditor)  # signed in, but with no recent password entry
    response = client.get("/audit/export.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/reauth/")
