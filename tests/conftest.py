"""The shared cast (style.md §5) and the shared-data location.

Cast: `admin` (program administrator of A), `cm_a` (care manager in organization A),
`cm_b` (care manager in organization B), `auditor` (auditor of A), and the anonymous
visitor (`client` with nobody signed in).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(
    os.environ.get("CARELOOP_SHARED_DATA", REPO.parent / "shared" / "data")
).resolve()
PASSWORD = "correct-horse-battery-staple-9"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The third-party test data beside the checkout. Missing data fails, never skips."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared test data not found at {SHARED_DATA} (set CARELOOP_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def org_a(db):
    from careloop.accounts.models import Organization

    return Organization.objects.create(
        slug="org-a", name="Riverside Primary Care", mfa_required=False
    )


@pytest.fixture
def org_b(db):
    from careloop.accounts.models import Organization

    return Organization.objects.create(
        slug="org-b", name="Hilltop Family Medicine", mfa_required=False
    )


def _user(username: str, org, role: str):
    from django.contrib.auth import get_user_model

    from careloop.accounts.models import Membership

    user = get_user_model().objects.create_user(username, password=PASSWORD, first_name=username)
    Membership.objects.create(user=user, organization=org, role=role)
    return user


@pytest.fixture
def admin(org_a):
    return _user("admin", org_a, "program_admin")


@pytest.fixture
def cm_a(org_a):
    return _user("cm_a", org_a, "care_manager")


@pytest.fixture
def cm_b(org_b):
    return _user("cm_b", org_b, "care_manager")


@pytest.fixture
def auditor(org_a):
    return _user("auditor", org_a, "auditor")


@pytest.fixture
def patient_a(org_a):
    from datetime import date

    from careloop.clinical.models import Patient

    return Patient.objects.create(
        organization=org_a,
        source_system="test",
        source_id="pa-1",
        family_name="Alvarez",
        given_name="Rosa",
        birth_date=date(1948, 3, 2),
        mrn="MRN-A1",
        mbi="1EG4TE5MK73",
        gender="female",
    )


@pytest.fixture
def patient_b(org_b):
    from datetime import date

    from careloop.clinical.models import Patient

    return Patient.objects.create(
        organization=org_b,
        source_system="test",
        source_id="pb-1",
        family_name="Brennan",
        given_name="Tom",
        birth_date=date(1944, 7, 9),
        mrn="MRN-B1",
        gender="male",
    )


@pytest.fixture
def login(client):
    """Sign a user in, as if they had just entered their password (fresh for re-auth)."""
    from support.auth import signed_in_now

    return lambda user: signed_in_now(user, client)


# --- accounts (issue 3): an organization that requires MFA, and its care manager -----------


@pytest.fixture
def org_mfa(db):
    """Like the demo organization: MFA required for every role that sees PHI."""
    from careloop.accounts.models import Organization

    return Organization.objects.create(slug="org-mfa", name="Lakeside Clinic", mfa_required=True)


@pytest.fixture
def cm_mfa(org_mfa):
    return _user("cm_mfa", org_mfa, "care_manager")


@pytest.fixture
def admin_mfa(org_mfa):
    return _user("admin_mfa", org_mfa, "program_admin")


@pytest.fixture
def cast_password() -> str:
    """The password of every user of the cast (for tests that sign in through the forms)."""
    return PASSWORD
