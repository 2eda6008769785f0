"""The audit screens in a real browser (issue 3 point 3): an auditor answers "who saw
patient X last month" with the keyboard only; axe-core on the log and on the accounting of
disclosures (serious and critical violations fail); screenshots in test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone
from test_browser import _assert_skip_link_first, _sign_in, _tab_to, expect_heading

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _mid_last_month(org) -> dt.datetime:
    zone = ZoneInfo(org.time_zone)
    first = timezone.now().astimezone(zone).date().replace(day=1)
    day = (first - dt.timedelta(days=1)).replace(day=15)
    return dt.datetime.combine(day, dt.time(10, 30), tzinfo=zone).astimezone(dt.UTC)


@pytest.fixture
def trail(cm_a, admin, patient_a, org_a):
    """cm_a read patient_a's chart last month; the administrator renamed her this month."""
    from careloop.audit.services import audit_context, record_access, record_change, snapshot

    with mock.patch("django.utils.timezone.now", return_value=_mid_last_month(org_a)):
        record_access(
            actor=cm_a, organization=org_a, patient_ids=[patient_a.pk],
            view="web:patient_chart", purpose="treatment", request_id="3f9c1a7e", source="screen",
        )  # fmt: skip
    with audit_context(request_id="b81d22c4", source="screen"), transaction.atomic():
        before = snapshot(patient_a)
        patient_a.given_name = "Rosalia"
        patient_a.save()
        record_change(
            actor=admin, organization=org_a, instance_or_entity=patient_a, action="update",
            before=before, after=snapshot(patient_a),
        )  # fmt: skip
    return patient_a


def test_auditor_finds_who_saw_a_patient_last_month_by_keyboard(
    new_page, live_server, auditor, trail, password, axe, artifacts
):
    page = new_page()
    base = live_server.url
    _sign_in(page, base, auditor.username, password)

    page.goto(f"{base}/audit/")
    expect_heading(page, re.compile(r"^Audit log"), level=1)
    _assert_skip_link_first(page)

    # Filter by patient with the keyboard: Tab to the field, type, Enter submits.
    patient_field = page.get_by_label("Patient (MRN, MBI, name or id)")
    _tab_to(page, patient_field)
    page.keyboard.type("MRN-A1")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"patient=MRN-A1"))

    # One step to last month: the quick link fills the date range.
    last_month = page.get_by_role("link", name=re.compile(r"^Last month"))
    _tab_to(page, last_month, limit=60)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"date_from=\d{4}-\d{2}-01"))
    assert page.get_by_label("From").input_value().endswith("-01")

    who = page.locator(".who-saw")
    expect_heading(page, re.compile(r"^Who saw Alvarez, Rosalia"), level=2)
    assert who.get_by_text(re.compile(r"cm_a — 1 read")).is_visible()
    assert "admin" not in who.inner_text()
    table = page.get_by_role("table", name=re.compile(r"^Audit events, newest first"))
    assert table.get_by_role("cell", name="web:patient_chart").is_visible()
    assert table.get_by_text("3f9c1a7e").is_visible()
    axe.check(page, "audit_log-who_saw")
    page.screenshot(path=artifacts / "audit_log-who_saw.png", full_page=True)

    # The whole log, and a change's field-level before/after opened from the keyboard.
    page.goto(f"{base}/audit/")
    summary = page.locator("summary", has_text="1 field changed")
    _tab_to(page, summary, limit=80)
    page.keyboard.press("Enter")
    diff = page.get_by_role("table", name=re.compile(r"^Field-level before and after"))
    diff.wait_for()
    assert diff.get_by_role("rowheader", name="given_name").is_visible()
    assert diff.get_by_role("cell", name="Rosalia").is_visible()
    axe.check(page, "audit_log")
    page.screenshot(path=artifacts / "audit_log.png", full_page=True)

    # The patient's accounting of disclosures, on screen and as printed.
    link = page.get_by_role("link", name="Alvarez, Rosalia").first
    _tab_to(page, link, limit=80)
    page.keyboard.press("Enter")
    expect_heading(page, re.compile(r"^Accounting of disclosures"), level=1)
    assert page.get_by_text(re.compile(r"cm_a — 1 read")).is_visible()
    axe.check(page, "audit_disclosures")
    page.screenshot(path=artifacts / "audit_disclosures.png", full_page=True)
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible(), "the navigation is printed"
    assert not page.locator("form.audit-filters").is_visible(), "the period form is printed"
    page.screenshot(path=artifacts / "audit_disclosures-print.png", full_page=True)

    assert not axe.blocking, axe.report()
