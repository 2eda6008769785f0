"""The registry's filters, sort, validation, scoping and streamed export (issue 4 point 4).

On the hand-written run of conftest.py: Rosa (CCM eligible, very high, super-utilizer, GAP-001
and GAP-007 open, Medicare and MassHealth), Ada (needs the initiating visit, PCM and TCM, high,
CCM recommended, Medicare), Ben (not eligible, low, Blue Cross), Tom in organization B.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from careloop.audit.models import AccessEvent

pytestmark = pytest.mark.django_db

URL = "/population/registry/"
EXPORT = "/population/registry/export.csv"
NAMES = {"rosa": "Alvarez, Rosa", "ada": "Quinn, Ada", "ben": "Ortiz, Ben", "tom": "Brennan, Tom"}


def _listed(client, **query) -> list[str]:
    response = client.get(URL, query)
    assert response.status_code == 200, response.content.decode()[:2000]
    html = response.content.decode()
    found = [(html.index(name), key) for key, name in NAMES.items() if name in html]
    return [key for _, key in sorted(found)]


def _csv(response) -> list[dict[str, str]]:
    assert response.streaming, "the export streams (StreamingHttpResponse)"
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["rosa", "ben", "ada"]),  # by name: Alvarez, Ortiz, Quinn
        ({"status": "eligible"}, ["rosa"]),
        ({"status": "needs_initiating_visit"}, ["ada"]),
        ({"eligible": "ccm"}, ["rosa"]),
        ({"eligible": "pcm"}, ["ada"]),
        ({"eligible": "tcm"}, ["ada"]),
        ({"tier": "very_high"}, ["rosa"]),
        ({"tier": "low"}, ["ben"]),
        ({"recommended": "case_management"}, ["rosa"]),
        ({"recommended": "ccm"}, ["ada"]),
        ({"super_utilizer": "yes"}, ["rosa"]),
        ({"super_utilizer": "no"}, ["ben", "ada"]),
        ({"condition": "diabetes"}, ["rosa", "ada"]),
        ({"condition": "hypertension"}, ["rosa"]),
        ({"condition": "asthma"}, []),
        ({"gap": "GAP-007"}, ["rosa"]),
        ({"gap": "GAP-003"}, []),  # closed for Ada and Ben: not an open gap
        ({"payer": "Medicare"}, ["rosa", "ada"]),
        ({"payer": "MassHealth"}, ["rosa"]),
        ({"payer": "Blue Cross Blue Shield"}, ["ben"]),
        ({"min_admissions": "1"}, ["rosa", "ada"]),
        ({"tier": "very_high", "payer": "Medicare", "gap": "GAP-001"}, ["rosa"]),
        ({"sort": "-tier"}, ["rosa", "ada", "ben"]),
        ({"sort": "tier"}, ["ben", "ada", "rosa"]),
        ({"sort": "-hcc"}, ["rosa", "ada", "ben"]),
        ({"sort": "-charlson"}, ["rosa", "ada", "ben"]),
        ({"sort": "-gaps"}, ["rosa", "ada", "ben"]),
        ({"sort": "-name"}, ["ada", "ben", "rosa"]),
    ],
)
def test_filters_and_sorts(stored_run, login, cm_a, query, expected):
    assert _listed(login(cm_a), **query) == expected


def test_care_manager_filter(stored_run, cast, login, cm_a, admin, org_a):
    from careloop.accounts.care_teams import assign_care_team

    assign_care_team(
        acting_user=admin, patient=cast["ada"], user=cm_a, role="primary_care_manager",
        start=date(2024, 1, 1),
    )  # fmt: skip
    client = login(cm_a)
    assert _listed(client, care_manager=str(cm_a.pk)) == ["ada"]
    page = client.get(URL).content.decode()
    assert f'<option value="{cm_a.pk}">cm_a</option>' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"status": "maybe"}, "“maybe” is not a CCM status."),
        ({"eligible": "rpm"}, "“rpm” is not a program (ccm, pcm or tcm)."),
        ({"tier": "extreme"}, "“extreme” is not a risk tier."),
        ({"recommended": "bhi"}, "“bhi” is not a program."),
        ({"super_utilizer": "perhaps"}, "“perhaps” is not yes or no."),
        ({"condition": "gout"}, "“gout” is not a chronic condition."),
        ({"gap": "GAP-099"}, "“GAP-099” is not a care gap (GAP-001 to GAP-009)."),
        ({"payer": "Aetna"}, "“Aetna” is not a payer of the patients you can see."),
        ({"care_manager": "987654"}, "“987654” is not a care manager of the patients you can see."),
        ({"min_admissions": "two"}, "Minimum admissions must be a whole number."),
        ({"min_admissions": "-1"}, "Minimum admissions cannot be negative."),
        ({"sort": "age"}, "“age” is not a way to sort the registry."),
    ],
)
def test_a_bad_filter_value_is_refused_with_a_clear_message(
    stored_run, login, cm_a, query, message
):
    client = login(cm_a)
    response = client.get(URL, query)
    assert response.status_code == 400
    html = response.content.decode()
    assert message.replace("“", "&ldquo;").replace("”", "&rdquo;") in html or message in html
    assert 'role="alert"' in html and 'aria-invalid="true"' in html
    assert not any(name in html for name in NAMES.values())  # nobody listed on a bad filter
    assert not AccessEvent.objects.filter(view="population:registry").exists()
    export = client.get(EXPORT, query)
    assert export.status_code == 400 and message in export.content.decode()
    assert not AccessEvent.objects.filter(view="population:registry_export").exists()


def test_payer_with_accents_filters_on_both_databases(stored_run, cast, login, cm_a):
    from careloop.population.models import PatientFinding

    PatientFinding.objects.filter(patient=cast["ben"]).update(payers=["Société Mutuelle"])
    assert _listed(login(cm_a), payer="Société Mutuelle") == ["ben"]


def test_other_organization_payer_is_refused(stored_run, login, cm_b):
    # Blue Cross is a payer of organization A's Ben only: cm_b cannot filter on it
    response = login(cm_b).get(URL, {"payer": "Blue Cross Blue Shield"})
    assert response.status_code == 400
    assert _listed(login(cm_b)) == ["tom"]


def test_sortable_headers_say_their_state(stored_run, login, cm_a):
    html = login(cm_a).get(URL, {"sort": "-hcc", "tier": ""}).content.decode()
    # the link keeps the other filters and toggles the direction of the current column
    assert 'aria-sort="descending"><a href="?tier=&amp;sort=hcc">HCC score</a>' in html
    assert 'aria-sort="none"><a href="?tier=&amp;sort=-tier">Risk tier</a>' in html


def test_registry_page_shows_risk_columns_and_counts(stored_run, login, cm_a):
    html = login(cm_a).get(URL).content.decode()
    assert "Very high risk: <strong>1</strong>" in html
    assert "Super-utilizer (SU-001, SU-004)" in html
    assert "3.412" in html and "GAP-001, GAP-007" in html
    assert "TIER-001: super-utilizer (SU-001, SU-004)" in html


def test_export_streams_the_filtered_rows_and_audits_them(stored_run, cast, login, cm_a):
    response = login(cm_a).get(EXPORT, {"payer": "Medicare", "sort": "-tier"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert [r["family_name"] for r in rows] == ["Alvarez", "Quinn"]
    rosa = rows[0]
    assert rosa["risk_tier"] == "very_high" and rosa["recommended_program"] == "case_management"
    assert (rosa["hcc_model"], rosa["hcc_payment_year"], rosa["hcc_normalized_score"]) == (
        "V28", "2026", "3.412",
    )  # fmt: skip
    assert rosa["hccs"] == "37 226" and rosa["super_utilizer_rules"] == "SU-001 SU-004"
    assert rosa["open_gaps"] == "GAP-001 GAP-007" and rosa["payers"] == "MassHealth; Medicare"
    assert rosa["charlson_index"] == "4" and rosa["as_of"] == "2024-06-30"
    event = AccessEvent.objects.get(view="population:registry_export")
    assert sorted(event.patient_ids) == sorted([cast["rosa"].pk, cast["ada"].pk])


def test_registry_query_count_is_pinned(stored_run, login, cm_a, django_assert_max_num_queries):
    client = login(cm_a)
    client.get(URL)  # warm the session and caches
    # session, user, devices, choices (payers, care managers), page count and rows, the access
    # event, run, status and tier counts, session save; most of the rest are membership lookups
    # of accounts/policies.py (each policy call reads them again)
    with django_assert_max_num_queries(40):
        assert client.get(URL, {"tier": "very_high"}).status_code == 200
