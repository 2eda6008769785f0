"""The registry and the chart's population panels in a real browser (issue 4 point 4).

A care manager filters the registry with the keyboard (tier, then a bad value by URL), sorts
by a column heading, opens a patient from the list and reads "Why eligible", "Risk" and "Care
gaps"; axe-core on each screen (serious and critical violations fail); screenshots in
test-artifacts/ (registry*.png, chart-population*.png).
"""

from __future__ import annotations

import re

import pytest
from test_browser import _assert_skip_link_first, _sign_in, _tab_to, expect_heading

from support.population_marts import make_cast, write_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def results(org_a, patient_a, patient_b, tmp_path):
    """The known-values run of tests/support/population_marts.py, stored."""
    from careloop.population.services import store_results

    cast = make_cast(org_a, patient_a, patient_b)
    ids = [cast[k].pk for k in ("rosa", "ada", "ben", "tom")]
    store_results(write_run(tmp_path / "run", *ids))
    return cast


def _rows(page) -> list[str]:
    return [t.strip() for t in page.locator("table.registry tbody th[scope=row]").all_inner_texts()]


def test_registry_filters_sort_and_chart_panels_by_keyboard(
    new_page, live_server, cm_a, password, results, axe, artifacts
):
    page = new_page()
    base = live_server.url
    _sign_in(page, base, cm_a.username, password)

    page.goto(f"{base}/population/registry/")
    expect_heading(page, "Registry", level=1)
    _assert_skip_link_first(page)
    assert _rows(page) == ["Alvarez, Rosa", "Ortiz, Ben", "Quinn, Ada"]
    assert page.get_by_role("table", name=re.compile(r"^Registry: eligibility, risk")).is_visible()
    axe.check(page, "registry")
    page.screenshot(path=artifacts / "registry.png", full_page=True)

    # Filter by risk tier from the keyboard: Tab to the labelled select, choose, Enter.
    tier = page.get_by_label("Risk tier", exact=True)
    _tab_to(page, tier)
    tier.select_option("high")
    _tab_to(page, page.get_by_role("button", name="Apply"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"tier=high"))
    assert _rows(page) == ["Quinn, Ada"]
    assert page.get_by_label("Risk tier", exact=True).input_value() == "high"
    assert page.get_by_role("status").filter(has_text="1 patient").is_visible()

    # More filters at once, by URL: very high, super-utilizer, open GAP-007, Medicare.
    page.goto(
        f"{base}/population/registry/?tier=very_high&super_utilizer=yes&gap=GAP-007&payer=Medicare"
    )
    assert _rows(page) == ["Alvarez, Rosa"]
    row = page.locator("table.registry tbody tr").first
    for text in ("Very high", "Super-utilizer (SU-001, SU-004)", "Case management", "3.412"):
        assert row.get_by_text(text).first.is_visible(), text
    axe.check(page, "registry-filtered")
    page.screenshot(path=artifacts / "registry-filtered.png", full_page=True)

    # A bad value: the page says which filter and why, links to the field, lists nobody.
    response = page.goto(f"{base}/population/registry/?tier=extreme&gap=GAP-099")
    assert response.status == 400
    alert = page.get_by_role("alert")
    assert alert.get_by_text("“extreme” is not a risk tier.").is_visible()
    assert alert.get_by_text("“GAP-099” is not a care gap (GAP-001 to GAP-009).").is_visible()
    assert page.get_by_label("Risk tier", exact=True).get_attribute("aria-invalid") == "true"
    assert _rows(page) == []
    alert.get_by_role("link", name="Risk tier").click()
    assert page.evaluate("() => document.activeElement.id") == "id_tier"
    axe.check(page, "registry-bad-filter")
    page.screenshot(path=artifacts / "registry-bad-filter.png", full_page=True)

    # Sort by a column heading: HCC score, highest first, then toggled.
    page.goto(f"{base}/population/registry/")
    hcc = page.get_by_role("link", name="HCC score")
    _tab_to(page, hcc, limit=60)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"sort=-hcc"))
    assert _rows(page) == ["Alvarez, Rosa", "Quinn, Ada", "Ortiz, Ben"]
    header = page.get_by_role("columnheader", name="HCC score")
    assert header.get_attribute("aria-sort") == "descending"
    page.get_by_role("link", name="HCC score").click()
    page.wait_for_url(re.compile(r"sort=hcc"))
    assert page.get_by_role("columnheader", name="HCC score").get_attribute("aria-sort") == (
        "ascending"
    )

    # Open Rosa's chart from the registry with the keyboard.
    rosa = page.get_by_role("link", name="Alvarez, Rosa")
    _tab_to(page, rosa, limit=80)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/patients/\d+/$"))
    expect_heading(page, "Rosa Alvarez", level=1)
    for name in ("Why eligible", "Risk", "Care gaps"):
        heading = page.get_by_role("heading", level=2, name=re.compile(rf"^{name}"))
        assert heading.is_visible(), f"chart panel {name!r} missing"
    assert page.locator("#population-provenance").get_by_text(re.compile("as of 2024-06-30"))
    rules = page.get_by_role("table", name=re.compile(r"^CCM rules \(ELIG-001\)"))
    assert rules.get_by_role("row", name=re.compile(r"CCM-020 .* Met 99214 on 2024-03-01")).count()
    drivers = page.get_by_role("table", name=re.compile("^CMS-HCC risk drivers"))
    assert drivers.get_by_role("rowheader").all_inner_texts() == [
        "F75_79", "HCC226", "HCC37", "DIABETES_HF_V28",
    ]  # fmt: skip
    suspects = page.get_by_role("table", name=re.compile("^Suspect HCCs"))
    assert suspects.get_by_role("rowheader", name="HCC280").is_visible()
    flags = page.get_by_role("table", name=re.compile("^Super-utilizer rules that hold"))
    assert flags.get_by_role("rowheader").all_inner_texts() == ["SU-001", "SU-004"]
    open_gaps = page.get_by_role("table", name=re.compile("^Open care gaps"))
    assert open_gaps.get_by_role("rowheader").all_inner_texts() == ["GAP-001", "GAP-007"]
    closed = page.get_by_role("table", name="Closed care gaps")
    assert closed.get_by_role("rowheader").all_inner_texts() == ["GAP-002"]
    axe.check(page, "chart-population")
    page.screenshot(path=artifacts / "chart-population.png", full_page=True)
    page.locator("#eligibility").screenshot(path=artifacts / "chart-population-eligibility.png")
    page.locator("#risk").screenshot(path=artifacts / "chart-population-risk.png")
    page.locator("#gaps").screenshot(path=artifacts / "chart-population-gaps.png")

    # A patient who needs the initiating visit: what is missing is said in words.
    page.goto(f"{base}/patients/{results['ada'].pk}/")
    rules = page.get_by_role("table", name=re.compile(r"^CCM rules \(ELIG-001\)"))
    missing = rules.get_by_role("row", name=re.compile(r"^CCM-020"))
    assert "Not met" in missing.inner_text() and "needs an initiating visit" in missing.inner_text()
    assert page.get_by_text("Interactive contact by").is_visible()
    axe.check(page, "chart-population-tcm")
    page.locator("#eligibility").screenshot(path=artifacts / "chart-population-tcm.png")

    assert not axe.blocking, axe.report()
