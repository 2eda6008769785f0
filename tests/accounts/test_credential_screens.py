"""Staff credentials screen (issue 3 point 1): a program administrator lists, adds and edits
the credentials of the organization's people, with an "expires within N days" warning list;
precise errors; every change audited; others get 404."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from careloop.accounts import credentials
from careloop.accounts.models import Credential
from careloop.audit.models import ChangeEvent

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def _add(admin, org, user, number, days, kind="license"):
    return credentials.add_credential(
        acting_user=admin, organization=org, user=user, kind=kind, number=number, state="MA",
        expires_on=None if days is None else TODAY + dt.timedelta(days=days),
    )  # fmt: skip


def _error(page: str, field: str) -> str:
    match = re.search(rf'id="id_{field}_error"[^>]*>([^<]+)<', page)
    return html.unescape(match.group(1)) if match else ""


def _warnings(page: str) -> str:
    match = re.search(
        r'aria-label="Credentials expiring soon"><ul class="notice">(.*?)</ul>', page, re.S
    )
    return match.group(1) if match else ""


def test_expiring_within_n_days(login, admin, org_a, cm_a, cm_b, org_b):
    _add(admin, org_a, cm_a, "RN-EXPIRED", -2)
    _add(admin, org_a, cm_a, "RN-10", 10)
    _add(admin, org_a, cm_a, "RN-45", 45)
    _add(admin, org_a, cm_a, "RN-300", 300)
    _add(admin, org_a, cm_a, "CCM-FOREVER", None, kind="ccm")
    client = login(admin)
    default = client.get("/account/credentials/").content.decode()
    assert "Expiring within 60 days" in default
    warned = _warnings(default)
    assert "RN-EXPIRED" in warned and "expired on" in warned
    assert "RN-10" in warned and "RN-45" in warned and "RN-300" not in warned
    narrow = _warnings(client.get("/account/credentials/", {"within": 30}).content.decode())
    assert "RN-10" in narrow and "RN-45" not in narrow
    bad = client.get("/account/credentials/", {"within": "0"}).content.decode()
    assert "Ensure this value is greater than or equal to 1." in _error(bad, "within")
    assert "Showing the default window instead" in bad and "Expiring within 60 days" in bad
    listed = client.get("/account/credentials/", {"sort": "-expires"}).content.decode()
    table = listed[listed.index("All credentials") :]
    order = [n for n in re.findall(r"<td>((?:RN|CCM)-[A-Z0-9]+)</td>", table)]
    assert order == ["RN-300", "RN-45", "RN-10", "RN-EXPIRED", "CCM-FOREVER"]  # no expiry last
    assert "does not expire" in table


def test_add_with_precise_errors_then_audited(login, admin, org_a, cm_a):
    client = login(admin)
    form = {"user": cm_a.pk, "kind": "license", "number": "RN 1",
            "issued_on": "2026-01-01", "expires_on": "2025-01-01"}  # fmt: skip
    bad = client.post("/account/credentials/", form)
    assert bad.status_code == 400
    page = bad.content.decode()
    assert _error(page, "state") == (
        "A professional licence is issued by a state: enter its code (e.g. MA)."
    )
    assert (
        _error(page, "expires_on") == "The expiry must be on or after the issue date (2026-01-01)."
    )
    zz = client.post("/account/credentials/", {**form, "state": "zz", "expires_on": "2028-01-31"})
    assert _error(zz.content.decode(), "state") == "'ZZ' is not a US state or territory code."
    assert not Credential.objects.exists()
    ok = client.post(
        "/account/credentials/",
        {**form, "state": "ma", "expires_on": "2028-01-31", "issuer": "MA Board of Nursing"},
    )
    assert ok.status_code == 302
    credential = Credential.objects.get()
    assert (credential.user, credential.state, credential.number) == (cm_a, "MA", "RN 1")
    event = ChangeEvent.objects.get(entity_type="accounts.credential")
    assert event.action == "create" and event.user == admin and event.organization == org_a


def test_edit_renews_with_field_level_audit(login, admin, org_a, cm_a):
    credential = _add(admin, org_a, cm_a, "RN-77", 5)
    client = login(admin)
    page = client.get(f"/account/credentials/{credential.pk}/").content.decode()
    assert 'value="RN-77"' in page and "disabled" in page  # the holder cannot be changed
    renewed = (TODAY + dt.timedelta(days=730)).isoformat()
    response = client.post(
        f"/account/credentials/{credential.pk}/",
        {"user": 999, "kind": "license", "number": "RN-77", "state": "MA", "expires_on": renewed},
    )
    assert response.status_code == 302
    credential.refresh_from_db()
    assert credential.expires_on.isoformat() == renewed and credential.user == cm_a
    update = ChangeEvent.objects.get(entity_type="accounts.credential", action="update")
    assert update.after == {"expires_on": renewed}
    assert update.before == {"expires_on": (TODAY + dt.timedelta(days=5)).isoformat()}


def test_others_get_404_and_change_nothing(login, admin, org_a, org_b, cm_a, cm_b, auditor):
    from django.contrib.auth import get_user_model

    from careloop.accounts.models import Membership

    mine = _add(admin, org_a, cm_a, "RN-A", 20)
    admin_b = get_user_model().objects.create_user("admin_b", password="x" * 16)
    Membership.objects.create(user=admin_b, organization=org_b, role="program_admin")
    for user in (admin_b, cm_a, auditor):
        client = login(user)
        assert client.get(f"/account/credentials/{mine.pk}/").status_code == 404
        edit = client.post(
            f"/account/credentials/{mine.pk}/",
            {"kind": "license", "number": "HACKED", "state": "MA"},
        )
        assert edit.status_code == 404
    assert login(admin_b).get("/account/credentials/").status_code == 200
    assert "RN-A" not in login(admin_b).get("/account/credentials/").content.decode()
    # admin of A cannot give a credential to someone outside A
    refused = login(admin).post(
        "/account/credentials/",
        {"user": cm_b.pk, "kind": "ccm", "number": "CCM-1"},
    )
    assert "Select a valid choice" in _error(refused.content.decode(), "user")
    mine.refresh_from_db()
    assert mine.number == "RN-A" and Credential.objects.count() == 1
