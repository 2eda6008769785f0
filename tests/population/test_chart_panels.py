"""The chart's population panels (issue 4 point 4): why eligible, risk, care gaps, provenance."""

from __future__ import annotations

import re

import pytest

from support.population_marts import RUN_ID

pytestmark = pytest.mark.django_db


def _chart(client, patient) -> str:
    response = client.get(f"/patients/{patient.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}".*?</section>', html, re.S)
    assert match, f"no section #{section_id} on the chart"
    return match.group(0)


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def test_why_eligible_for_a_ccm_eligible_patient(stored_run, cast, login, cm_a):
    html = _chart(login(cm_a), cast["rosa"])
    panel = _section(html, "eligibility")
    text = _text(panel)
    assert '<h2 id="h-eligibility">Why eligible</h2>' in panel
    assert "CCM: Eligible" in text
    for rule, result in (
        ("ALL-001", "Met"),
        ("CCM-002", "Met"),
        ("CCM-001", "Met"),
        ("CCM-020", "Met"),
    ):
        assert re.search(rf"{rule} .*? {result} ", text), rule
    assert "99214 on 2024-03-01 (claim 501)" in text  # the qualifying visit and its row
    assert "<caption>CCM rules (ELIG-001) as of 2024-06-30</caption>" in panel
    assert '<th scope="row">Diabetes</th>' in panel and '<th scope="row">Hypertension</th>' in panel
    assert "2024-03-01: E11.22 (claims, carrier; claim 501)" in text
    assert "2022-01-09" not in text  # evidence before the reference period is not shown
    assert "Not a TCM candidate" in text


def test_why_eligible_says_what_is_missing(stored_run, cast, login, cm_a):
    text = _text(_section(_chart(login(cm_a), cast["ada"]), "eligibility"))
    assert "CCM: Needs initiating visit" in text
    assert re.search(
        r"CCM-020 .*? Not met none in the 12 months .*? needs an initiating visit", text
    )
    assert "PCM candidate (ELIG-002): one high-risk condition: Heart Failure" in text
    assert "Interactive contact by 2024-06-27" in text
    assert "by 2024-07-02 (high complexity, 99496) or 2024-07-09 (moderate, 99495)" in text
    ben = _text(_section(_chart(login(cm_a), cast["ben"]), "eligibility"))
    assert re.search(r"CCM-002 .*? Not met no accepted coverage on the as-of date", ben)
    assert "Not a PCM candidate: no accepted payer (CCM-002)." in ben
    assert "No chronic condition met as of 2024-06-30." in ben


def test_risk_panel_shows_tier_scores_drivers_and_flags(stored_run, cast, login, cm_a):
    panel = _section(_chart(login(cm_a), cast["rosa"]), "risk")
    text = _text(panel)
    assert "Risk tier Very high" in text and "Recommended program Case management" in text
    assert "3.412 normalized, 3.412 raw (V28, segment CNA)" in text
    assert "Payment HCCs HCC37, HCC226" in text
    assert "Charlson index 4 (congestive heart failure, diabetes with complications)" in text
    assert "TIER-001: super-utilizer (SU-001, SU-004)" in text
    assert "<caption>CMS-HCC risk drivers: the terms of the score</caption>" in panel
    drivers = re.search(r'<table class="list drivers">.*?</table>', panel, re.S).group(0)
    rows = re.findall(
        r'<th scope="row">([^<]+)</th><td>([^<]+)</td><td class="num">([^<]+)</td>', drivers
    )
    assert rows == [
        ("F75_79", "Female, 75-79", "0.461"),
        ("HCC226", "Heart Failure, Except End-Stage and Acute", "0.360"),
        ("HCC37", "Diabetes with Chronic Complications", "0.166"),
        ("DIABETES_HF_V28", "Diabetes and heart failure", "0.112"),
    ]
    assert "HCC280" not in drivers  # the suspect HCC is listed apart (HCC-003)
    suspects = re.search(r'<table class="list suspects">.*?</table>', panel, re.S).group(0)
    assert "HCC280" in suspects and "not in the score (HCC-003)" in suspects
    assert "Super-utilizer (§5.3) Yes: SU-001, SU-004" in text
    assert "inpatient 2024-03-10..2024-03-12" in text
    assert "SNF days 4" in text and "Total allowed cost $48,210.50" in text


def test_risk_panel_latest_lace(stored_run, cast, login, cm_a):
    text = _text(_section(_chart(login(cm_a), cast["ada"]), "risk"))
    assert "Latest LACE 9 for the discharge of 2024-06-25 (L 4, A 3, C 2, E 0)" in text
    assert "TIER-002: 1 inpatient admission in 12 months" in text


def test_care_gaps_panel(stored_run, cast, login, cm_a):
    panel = _section(_chart(login(cm_a), cast["rosa"]), "gaps")
    text = _text(panel)
    assert "Care gaps (2 open, 1 closed)" in text
    open_table = re.search(r'<table class="list gaps-open">.*?</table>', panel, re.S).group(0)
    assert "GAP-001" in open_table and "GAP-007" in open_table and "GAP-002" not in open_table
    assert "latest HbA1c 9.4 % on 2024-03-01 (&gt; 9.0 %)" in open_table
    closed = re.search(r'<table class="list gaps-closed">.*?</table>', panel, re.S).group(0)
    assert "GAP-002" in closed and "2023-10-01" in closed


def test_provenance_names_the_run_date_and_rule_versions(stored_run, cast, login, cm_a):
    html = _chart(login(cm_a), cast["rosa"])
    provenance = _text(re.search(r'<p class="provenance".*?</p>', html, re.S).group(0))
    assert f"From analytics run {RUN_ID} as of 2024-06-30" in provenance
    assert "value sets ccw-2024.1; rules 2026.1; Charlson quan-2011" in provenance
    assert "CMS-HCC V28 payment year 2026" in provenance


def test_chart_without_results(login, cm_a, patient_a):
    html = _chart(login(cm_a), patient_a)
    assert "No analytics results for this patient yet." in html
    assert 'id="risk"' not in html


def test_chart_panels_follow_the_chart_scope(stored_run, cast, login, cm_b):
    # organization B's care manager: A's chart is a 404, so are its findings; B's own shows
    client = login(cm_b)
    assert client.get(f"/patients/{cast['rosa'].pk}/").status_code == 404
    text = _text(_section(_chart(client, cast["tom"]), "eligibility"))
    assert "CCM: Not eligible" in text


def test_chart_query_count_is_pinned(stored_run, cast, login, cm_a, django_assert_max_num_queries):
    client = login(cm_a)
    client.get(f"/patients/{cast['rosa'].pk}/")
    # the chart's own reads, plus one for the finding (and the policy's membership lookups)
    with django_assert_max_num_queries(48):
        client.get(f"/patients/{cast['rosa'].pk}/")
