"""Every URL pattern, enumerated (issue 3 point 5; style.md practice 3).

`ROUTES` maps each URL name to how its kwargs are filled and who the owner is; a pattern that
is not in the table fails `test_every_url_pattern_is_in_the_table`, so a new endpoint cannot be
forgotten. For each pattern: the anonymous visitor gets the login page (302 to /login/) or
401; the organization-B care manager gets 404 for every object of organization A (real ids and
guessed ids); the auditor cannot write (every POST/PUT/PATCH/DELETE is 403, 404 or 405 and no
row changes); a POST without a CSRF token is refused with 403.

The organization runs with `chart_access = care_team` (the stricter mode): cm_a is on
patient A's care team; the default, organization-wide mode is what tests/web covers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from support.auth import signed_in_now

pytestmark = pytest.mark.django_db

GUESSED_ID = 987654
WRITE_METHODS = ("post", "put", "patch", "delete")
# Rows that a request may add without writing anything: its session, and the access events
# that record reads of PHI (reads are logged; they are not writes of the organization's data).
NOT_COUNTED = {
    "sessions.session",
    "audit.accessevent",
    "audit.accesseventpatient",
    "audit.chainhead",
}


@dataclass(frozen=True)
class Route:
    kwargs: dict[str, str] = field(default_factory=dict)  # url kwarg -> object key of the world
    owner: str | None = "cm_a"  # who reaches it (positive control); None: anonymous
    get_status: int = 200  # what the owner's GET returns
    post_only: bool = False
    post: dict[str, str] = field(default_factory=dict)  # form data the owner would send
    public: bool = False  # reachable without signing in
    self_service: str = ""  # why the auditor may POST here (own session/account only)


ROUTES: dict[str, Route] = {
    # sign-in and account
    "login": Route(owner=None, public=True, self_service="signs in: the user's own session"),
    "login_token": Route(
        owner=None, public=True, get_status=302, self_service="second sign-in step"
    ),
    "logout": Route(post_only=True, self_service="ends the user's own session"),
    "accounts:mfa": Route(self_service="enrols the user's own second factor"),
    "accounts:reauth": Route(self_service="re-enters the user's own password"),
    "accounts:recovery_codes": Route(
        post_only=True, self_service="replaces the user's own recovery codes"
    ),
    "accounts:break_glass": Route(
        post={"patient": "{patient}", "reason": "Patient called the 24/7 line, chest pain"}
    ),
    "accounts:break_glass_review": Route(owner="admin"),
    "accounts:break_glass_reviewed": Route(
        kwargs={"grant_id": "grant"}, owner="admin", post_only=True, post={"note": "justified"}
    ),
    "accounts:members": Route(owner="admin"),
    "accounts:membership_role": Route(
        kwargs={"membership_id": "membership"},
        owner="admin",
        post_only=True,
        post={"role": "program_admin"},
    ),
    "accounts:membership_mfa_reset": Route(
        kwargs={"membership_id": "membership"}, owner="admin", post_only=True
    ),
    "accounts:care_teams": Route(owner="admin"),
    "accounts:care_team_patient": Route(kwargs={"patient_id": "patient"}, owner="admin"),
    "accounts:care_team_end": Route(
        kwargs={"assignment_id": "assignment"},
        owner="admin",
        post_only=True,
        post={"end": "2024-06-30"},
    ),
    "accounts:credentials": Route(owner="admin"),
    "accounts:credential_edit": Route(kwargs={"credential_id": "credential"}, owner="admin"),
    # audit screens (audit/urls.py)
    "audit:log": Route(owner="auditor"),
    "audit:export": Route(owner="auditor"),
    "audit:disclosures": Route(kwargs={"patient_id": "patient"}, owner="auditor"),
    # first screens (web/urls.py)
    "web:home": Route(),
    "web:healthz": Route(owner=None, public=True),
    "web:patients": Route(),
    "web:patient_chart": Route(kwargs={"patient_id": "patient"}),
    "population:registry": Route(),
    "population:registry_export": Route(),
    "web:import_runs": Route(owner="admin"),
    "web:import_run": Route(kwargs={"run_id": "import_run"}, owner="admin"),
    "web:switch_organization": Route(
        post_only=True,
        post={"organization": "{organization}"},
        self_service="chooses the user's own active organization (session only)",
    ),
}


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = (
                p.namespace
                if p.namespace is None
                else ":".join(filter(None, [namespace, p.namespace]))
            )
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns or namespace)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield name, prefix + str(p.pattern)


def enumerated() -> list[tuple[str | None, str]]:
    return list(_walk(get_resolver().url_patterns))


def test_every_url_pattern_is_in_the_table():
    found = enumerated()
    unnamed = [route for name, route in found if not name]
    assert not unnamed, f"URL patterns without a name cannot be tested: {unnamed}"
    names = {name for name, _ in found}
    missing = sorted(names - set(ROUTES))
    stale = sorted(set(ROUTES) - names)
    assert not missing, f"add these URL names to ROUTES in {__file__}: {missing}"
    assert not stale, f"ROUTES names that no longer exist: {stale}"


# --- the world: one object of every kind in each organization ------------------------------


def _objects(org, patient, manager, admin_user):
    from careloop.accounts import care_teams, credentials
    from careloop.accounts.models import BreakGlassGrant, Membership
    from careloop.interop.models import ImportRun

    assignment = care_teams.assign_care_team(
        acting_user=admin_user,
        patient=patient,
        user=manager,
        role="primary_care_manager",
        start=dt.date(2024, 1, 1),
    )
    now = timezone.now()
    grant = BreakGlassGrant.objects.create(
        organization=org,
        patient=patient,
        user=manager,
        reason="fixture: an emergency access to review",
        granted_at=now,
        expires_at=now - dt.timedelta(minutes=1),
    )
    run = ImportRun.objects.create(organization=org, kind="fhir", source_system="test")
    credential = credentials.add_credential(
        acting_user=admin_user,
        organization=org,
        user=manager,
        kind="license",
        number=f"RN-{org.slug}",
        state="MA",
        expires_on=dt.date(2030, 1, 31),
    )
    return {
        "assignment": assignment.pk,
        "credential": credential.pk,
        "patient": patient.pk,
        "grant": grant.pk,
        "import_run": run.pk,
        "membership": Membership.objects.get(user=manager, organization=org).pk,
        "organization": org.pk,
    }


@pytest.fixture
def world(org_a, org_b, admin, cm_a, cm_b, auditor, patient_a, patient_b):
    """Objects of organization A and B; both organizations scope charts by care team."""
    from django.contrib.auth import get_user_model

    from careloop.accounts.models import Membership

    for org in (org_a, org_b):
        org.chart_access = "care_team"
        org.save()
    admin_b = get_user_model().objects.create_user("admin_b", password="x" * 16)
    Membership.objects.create(user=admin_b, organization=org_b, role="program_admin")
    return {
        "a": _objects(org_a, patient_a, cm_a, admin),
        "b": _objects(org_b, patient_b, cm_b, admin_b),
        "users": {"admin": admin, "cm_a": cm_a, "cm_b": cm_b, "auditor": auditor},
    }


def _url(name: str, ids: dict[str, int] | None) -> str:
    route = ROUTES[name]
    kwargs = {k: (ids[v] if ids else GUESSED_ID) for k, v in route.kwargs.items()}
    return reverse(name, kwargs=kwargs)


def _data(name: str, ids: dict[str, int]) -> dict[str, str]:
    return {k: v.format(**ids) for k, v in ROUTES[name].post.items()}


def _counts() -> dict[str, int]:
    return {
        m._meta.label_lower: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.label_lower not in NOT_COUNTED and not m._meta.proxy
    }


def _body(response) -> str:
    """The whole body, for plain and streamed responses (the registry CSV export streams)."""
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/login/")


def test_anonymous_gets_the_login_page_or_401(world):
    client = Client()
    for name, route in ROUTES.items():
        url = _url(name, world["a"])
        if route.public:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert _is_login_redirect(response), (name, method, response.status_code)
        htmx = client.get(url, headers={"HX-Request": "true"})
        assert htmx.status_code == 401, (name, htmx.status_code)


def test_public_pages(world):
    client = Client()
    for name, route in ROUTES.items():
        if route.public:
            assert client.get(_url(name, world["a"])).status_code == route.get_status, name


def test_owners_reach_every_page(world):
    """The positive control: without it, a 404 everywhere would prove nothing."""
    for name, route in ROUTES.items():
        if route.owner is None:
            continue
        client = signed_in_now(world["users"][route.owner])
        url = _url(name, world["a"])
        if route.post_only:
            assert client.get(url).status_code == 405, name
            response = client.post(url, _data(name, world["a"]))
            assert response.status_code == 302, (name, response.status_code)
        else:
            response = client.get(url)
            assert response.status_code == route.get_status, (name, response.status_code)


def test_other_organization_gets_404_for_every_object(world):
    """cm_b (organization B) for A's objects, cm_a for B's, both for guessed ids: 404, and
    pages without ids never show A's patient."""
    a, b = world["a"], world["b"]
    for user, foreign in ((world["users"]["cm_b"], a), (world["users"]["cm_a"], b)):
        client = signed_in_now(user)
        for name, route in ROUTES.items():
            if route.public:
                continue
            if not route.kwargs:
                if not route.post_only:
                    response = client.get(_url(name, None))
                    text = _body(response)
                    assert foreign is b or "Alvarez" not in text, name
                    assert foreign is a or "Brennan" not in text, name
                continue
            for ids in (foreign, None):
                url = _url(name, ids)
                before = _counts()
                method = client.post if route.post_only else client.get
                response = method(url, _data(name, foreign)) if route.post_only else method(url)
                assert response.status_code == 404, (user.username, name, url, response.status_code)
                assert _counts() == before, (user.username, name)


def test_auditor_cannot_write(world):
    client = signed_in_now(world["users"]["auditor"])
    checked = 0
    for name, route in ROUTES.items():
        if route.self_service:
            continue
        for ids in (world["a"], None):
            url = _url(name, ids)
            data = _data(name, world["a"])
            for method in WRITE_METHODS:
                before = _counts()
                if method == "post":
                    response = client.post(url, data)
                else:
                    response = getattr(client, method)(url)
                assert response.status_code in (403, 404, 405), (name, method, response.status_code)
                assert _counts() == before, (name, method)
                checked += 1
    assert checked >= 4 * 2 * 10


def test_csrf_is_enforced_on_every_pattern(world):
    """A POST without a CSRF token is refused everywhere, signed in or not."""
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(world["users"]["admin"])
    anonymous = Client(enforce_csrf_checks=True)
    for name, route in ROUTES.items():
        url = _url(name, world["a"])
        before = _counts()
        response = signed_in.post(url, _data(name, world["a"]))
        assert response.status_code == 403, (name, response.status_code)
        if route.public:
            assert anonymous.post(url, {"username": "admin", "password": "x"}).status_code == 403
        assert _counts() == before, name


def test_csrf_token_is_accepted(world, admin, cast_password):
    """With the token the same kind of client gets through: the 403s above are CSRF."""
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/login/",
        {"username": "admin", "password": cast_password, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and response["Location"] == "/"
