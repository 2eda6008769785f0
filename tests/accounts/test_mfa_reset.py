"""An administrator's MFA reset for a member who lost their authenticator (SEC-007, SEC-010):
the member's TOTP device and recovery codes go, each deletion audited without its secret, and
the next sign-in asks them to enrol again; nobody resets their own."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from careloop.accounts import mfa_services
from careloop.accounts.mfa_devices import RecoveryCodeDevice
from careloop.accounts.models import Membership, TOTPDevice
from careloop.audit.models import ChangeEvent
from support.auth import signed_in_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(cm_mfa):
    device = TOTPDevice.objects.create(user=cm_mfa, name="phone", confirmed=True)
    mfa_services.generate_recovery_codes(user=cm_mfa)
    return device


def test_reset_removes_both_factors_and_audits_each_without_secrets(admin_mfa, cm_mfa, enrolled):
    membership = Membership.objects.get(user=cm_mfa)
    assert mfa_services.reset_mfa(acting_user=admin_mfa, membership=membership) == 2
    assert not TOTPDevice.objects.filter(user=cm_mfa).exists()
    assert not RecoveryCodeDevice.objects.filter(user=cm_mfa).exists()
    deleted = ChangeEvent.objects.filter(action="delete", user=admin_mfa)
    assert sorted(e.entity_type for e in deleted) == [
        "accounts.recoverycodedevice",
        "accounts.totpdevice",
    ]
    assert all(e.organization_id == membership.organization_id for e in deleted)
    assert enrolled.key not in str(list(deleted.values_list("before", "after")))


def test_the_members_screen_resets_and_the_next_sign_in_has_no_code_step(
    client, admin, cm_a, cast_password
):
    TOTPDevice.objects.create(user=cm_a, name="phone", confirmed=True)
    membership = Membership.objects.get(user=cm_a)
    signed_in_now(admin, client)
    assert "Reset MFA of cm_a" in client.get("/account/members/").content.decode()
    done = client.post(f"/account/members/{membership.pk}/mfa-reset/", follow=True)
    assert "MFA reset for cm_a: they set up a new authenticator" in done.content.decode()
    client.logout()
    signed_in = client.post("/login/", {"username": "cm_a", "password": cast_password})
    assert signed_in["Location"] == "/"  # no second step: there is no device to ask for


def test_nobody_resets_their_own_and_only_administrators_reset(admin_mfa, cm_mfa, enrolled):
    own = Membership.objects.get(user=admin_mfa)
    with pytest.raises(ValidationError, match="cannot reset your own"):
        mfa_services.reset_mfa(acting_user=admin_mfa, membership=own)
    with pytest.raises(PermissionDenied):
        mfa_services.reset_mfa(acting_user=cm_mfa, membership=own)
    assert TOTPDevice.objects.filter(user=cm_mfa).exists()
