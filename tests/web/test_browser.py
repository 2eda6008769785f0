"""The first screens in a real browser (issue 8, point 7; architecture §2 rule 11).

Debian's chromium, driven by Playwright: sign in with the keyboard, search a patient, open
the chart, read the import runs; axe-core on every screen (serious and critical violations
fail); screenshots in test-artifacts/.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SYNTHEA_REFERENCE = (
    "0-hospitalInformation1625911868739.json.gz",
    "0-practitionerInformation1625911868739.json.gz",
)
# Two Synthea patients: Stacia Schowalter (born 1952) and Roselia Thompson (deceased).
SYNTHEA_PATIENTS = (
    "4004a424-c33b-6ced-23c3-c1318e45c419.json.gz",
    "5d2a2d08-cf2e-b7ad-a0db-77551a2777ec.json.gz",
)
CHART_SECTIONS = (
    "Coverage",
    "Problem list",
    "Encounters",
    "Vitals",
    "Labs",
    "Medications",
    "Immunizations",
    "Claims",
)


# --- data ---------------------------------------------------------------------------------

_ids = count(1)


def _row(model, patient, **fields):
    return model.objects.create(
        organization=patient.organization,
        patient=patient,
        source_system="browser-test",
        source_id=f"{model.__name__.lower()}-{next(_ids)}",
        **fields,
    )


def _record_for(patient, *, start: date) -> None:
    """Coverage, problems, encounters, vitals, labs, medications, immunizations, claims."""
    from careloop.clinical import models as m

    _row(m.Coverage, patient, kind="part-a", payer="Medicare", start=date(2013, 3, 1))
    _row(m.Coverage, patient, kind="part-b", payer="Medicare", start=date(2013, 3, 1))
    _row(
        m.Coverage,
        patient,
        kind="medicaid",
        payer="MassHealth",
        start=date(2020, 1, 1),
        dual_status="02",
        qmb=True,
    )
    icd10, snomed = "http://hl7.org/fhir/sid/icd-10-cm", "http://snomed.info/sct"
    for system, code, display, status, onset, abatement in (
        (icd10, "E11.9", "Type 2 diabetes mellitus without complications", "active", date(2015, 6, 1), None),
        (icd10, "I10", "Essential (primary) hypertension", "active", date(2012, 2, 1), None),
        (snomed, "10509002", "Acute bronchitis", "resolved", date(2023, 1, 5), date(2023, 1, 20)),
    ):  # fmt: skip
        _row(
            m.Condition, patient, system=system, code=code, display=display,
            clinical_status=status, onset=onset, abatement=abatement,
        )  # fmt: skip
    for i, (klass, label) in enumerate(
        (
            ("ambulatory", "Office visit"),
            ("emergency", "Emergency room visit"),
            ("inpatient", "Hospital admission"),
            ("virtual", "Telehealth visit"),
        )
    ):
        at = datetime(start.year, start.month, 1, 14, tzinfo=UTC) + timedelta(days=40 * i)
        _row(
            m.Encounter,
            patient,
            encounter_class=klass,
            status="finished",
            type_display=label,
            start=at,
            end=at + timedelta(days=3 if klass == "inpatient" else 0),
        )
    for i in range(8):
        at = datetime(start.year, start.month, 2, 9, tzinfo=UTC) + timedelta(days=30 * i)
        _row(
            m.Observation,
            patient,
            system="http://loinc.org",
            code="85354-9",
            display="Blood pressure panel",
            category="vital-signs",
            status="final",
            effective=at,
            components=[
                {
                    "code": "8480-6",
                    "display": "Systolic blood pressure",
                    "value": 150 - 3 * i,
                    "unit": "mm[Hg]",
                },
                {
                    "code": "8462-4",
                    "display": "Diastolic blood pressure",
                    "value": 94 - 2 * i,
                    "unit": "mm[Hg]",
                },
            ],
        )
        _row(
            m.Observation,
            patient,
            system="http://loinc.org",
            code="29463-7",
            display="Body weight",
            category="vital-signs",
            status="final",
            effective=at,
            value=92.5 - 0.6 * i,
            unit="kg",
        )
    for i, (code, display, value, unit) in enumerate(
        (
            ("4548-4", "Hemoglobin A1c", 8.1, "%"),
            ("33914-3", "eGFR", 58.0, "mL/min/1.73m2"),
            ("2951-2", "Sodium", 139.0, "mmol/L"),
        )
    ):
        _row(
            m.Observation,
            patient,
            system="http://loinc.org",
            code=code,
            display=display,
            category="laboratory",
            status="final",
            value=value,
            unit=unit,
            effective=datetime(start.year + 1, 3, 1 + i, 8, tzinfo=UTC),
        )
    rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    for code, display, ordered, dosage in (
        ("860975", "metformin hydrochloride 500 MG Extended Release Oral Tablet", date(2015, 6, 2), "1 tablet twice daily"),
        ("314076", "lisinopril 10 MG Oral Tablet", date(2012, 2, 3), "1 tablet daily"),
    ):  # fmt: skip
        _row(
            m.Medication, patient, resource_type="MedicationRequest", system=rxnorm, code=code,
            display=display, status="active", intent="order", authored_on=ordered, dosage_text=dosage,
        )  # fmt: skip
    for code, display, given in (
        ("140", "Influenza, seasonal, injectable, preservative free", date(start.year, 10, 1)),
        ("33", "pneumococcal polysaccharide vaccine, 23 valent", date(2014, 4, 1)),
    ):  # fmt: skip
        _row(
            m.Immunization, patient, system="http://hl7.org/fhir/sid/cvx", code=code,
            display=display, status="completed", occurrence=given,
        )  # fmt: skip
    _row(
        m.AllergyIntolerance,
        patient,
        system="http://snomed.info/sct",
        code="91936005",
        display="Allergy to penicillin",
        clinical_status="active",
        criticality="high",
    )
    for i, (ctype, dx, total) in enumerate(
        (
            ("carrier", ["E11.9", "I10"], "145.00"),
            ("outpatient", ["R07.9", "I10"], "1210.40"),
            ("inpatient", ["J18.9", "E11.9", "I10"], "18420.00"),
        )
    ):
        _row(
            m.Claim,
            patient,
            resource_type="ExplanationOfBenefit",
            claim_type=ctype,
            status="active",
            start=date(start.year, start.month, 1) + timedelta(days=40 * i),
            diagnosis_codes=dx,
            payer="Medicare",
            total_amount=Decimal(total),
            payment_amount=(Decimal(total) * Decimal("0.8")).quantize(Decimal("0.01")),
        )


def _patients(org) -> list:
    from careloop.clinical.models import Patient

    people = [
        (
            "Okafor",
            "Harold",
            date(1947, 11, 23),
            "MRN-B100",
            "3TW7JK9AA11",
            "male",
            date(2024, 1, 1),
        ),
        (
            "Whitfield",
            "Mae",
            date(1951, 4, 14),
            "MRN-B101",
            "5RU2HX4NN22",
            "female",
            date(2023, 6, 1),
        ),
        ("Okonkwo", "Grace", date(1956, 8, 30), "MRN-B102", "", "female", date(2024, 3, 1)),
    ]
    patients = []
    for family, given, born, mrn, mbi, gender, since in people:
        p = Patient.objects.create(
            organization=org,
            source_system="browser-test",
            source_id=mrn,
            family_name=family,
            given_name=given,
            birth_date=born,
            mrn=mrn,
            mbi=mbi,
            gender=gender,
            address_line="12 Elm Street",
            city="Springfield",
            state="MA",
            postal_code="01103",
            phone="413-555-0100",
        )
        _record_for(p, start=since)
        patients.append(p)
    return patients


@pytest.fixture
def population(org_a, shared_data, tmp_path):
    """Three ORM-made patients, two real Synthea patients, and an import run with errors."""
    from careloop.interop.fhir.importer import FhirImport

    made = _patients(org_a)
    folder = shared_data / "synthea-fhir-r4"
    paths = [str(folder / name) for name in SYNTHEA_REFERENCE + SYNTHEA_PATIENTS]
    good_run, good_report = FhirImport(org_a.pk, source_system="synthea").run(paths)
    truncated = tmp_path / "truncated-bundle.json"
    truncated.write_text('{"resourceType": "Bundle", "type": "transaction", "entry": [{"resou')
    bad_run, _ = FhirImport(org_a.pk, source_system="synthea").run([str(truncated)])
    return {"made": made, "good_run": good_run, "good_report": good_report, "bad_run": bad_run}


# --- keyboard helpers -----------------------------------------------------------------------

_FOCUSED = (
    "() => { const e = document.activeElement; return e ? (e.id || e.textContent.trim()) : ''; }"
)


def _tab_to(page, locator, limit: int = 40) -> None:
    """Press Tab until `locator` has the focus (it may have it already, e.g. autofocus)."""
    for _ in range(limit):
        if locator.evaluate("e => e === document.activeElement"):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{locator} never received the focus after {limit} presses of Tab")


def _sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    _tab_to(page, page.get_by_label("Username"))
    page.keyboard.type(username)
    _tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/")


def _assert_skip_link_first(page) -> None:
    """The first Tab on a page lands on "Skip to main content", visibly; Enter moves to <main>."""
    page.keyboard.press("Tab")
    focused = page.evaluate(_FOCUSED)
    assert focused == "Skip to main content", f"first Tab on {page.url} focused {focused!r}"
    skip = page.get_by_role("link", name="Skip to main content")
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, "focused skip link is off screen"
    outline = skip.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline not in ("", "none"), "the focused skip link shows no focus outline"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


# --- tests -------------------------------------------------------------------------------


def test_skip_link_is_the_first_tab_stop(new_page, live_server, cm_a, patient_a, password):
    page = new_page()
    _sign_in(page, live_server.url, cm_a.username, password)
    for path in ("/", "/patients/", f"/patients/{patient_a.pk}/"):
        page.goto(f"{live_server.url}{path}")
        _assert_skip_link_first(page)


@pytest.mark.shared_data
def test_login_search_and_chart_by_keyboard(
    new_page, live_server, cm_a, password, population, axe, artifacts
):
    page = new_page()
    base = live_server.url

    page.goto(f"{base}/login/")
    expect_heading(page, "Sign in to careloop")
    axe.check(page, "login")
    page.screenshot(path=artifacts / "login.png", full_page=True)
    _sign_in(page, base, cm_a.username, password)

    # Patient search: type in the box; htmx swaps the rows in (or the form submits).
    page.goto(f"{base}/patients/")
    assert page.get_by_text("5 patients").is_visible()
    search = page.get_by_role("searchbox", name=re.compile("Search by name"))
    _tab_to(page, search)
    page.keyboard.type("Okafor")
    results = page.locator("#patient-results")
    results.get_by_text("1 patient matching “Okafor”").wait_for()
    harold = results.get_by_role("link", name="Okafor, Harold")
    assert results.get_by_role("link").count() == 1
    axe.check(page, "patients")
    page.screenshot(path=artifacts / "patients.png", full_page=True)

    # Open the chart from the keyboard: Tab from the search box to the patient's link.
    _tab_to(page, harold)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/patients/\d+/$"))
    expect_heading(page, "Harold Okafor", level=1)
    for section in CHART_SECTIONS:
        heading = page.get_by_role("heading", level=2, name=re.compile(rf"^{section}"))
        assert heading.is_visible(), f"chart section {section!r} missing"
    chart = page.locator("main")
    for text in (
        "Medicare Part A",
        "Type 2 diabetes mellitus without complications",
        "Hospital admission",
        "Hemoglobin A1c",
        "lisinopril 10 MG Oral Tablet",
        "Influenza, seasonal",
        "Allergy to penicillin",
        "Carrier (professional)",
    ):
        assert chart.get_by_text(text).first.is_visible(), f"{text!r} not on the chart"
    bp = page.locator("#vitals").get_by_role("img", name=re.compile(r"^Blood pressure: 8 readings"))
    assert bp.count() == 1, "no blood-pressure trend chart with an accessible name"
    assert "latest 129/80" in bp.get_attribute("aria-label")
    assert bp.locator("polyline").count() == 2  # systolic and diastolic
    weight = page.locator("#vitals").get_by_role(
        "img", name=re.compile(r"^Body weight: 8 readings")
    )
    assert weight.count() == 1, "no weight trend chart with an accessible name"
    axe.check(page, "chart")
    page.screenshot(path=artifacts / "chart.png", full_page=True)

    # A real Synthea patient's chart (hundreds of rows) under the same checks.
    page.goto(f"{base}/patients/?q=Schowalter")
    page.get_by_role("link", name=re.compile(r"^Schowalter")).click()
    expect_heading(page, re.compile(r"Stacia\d* Schowalter"), level=1)
    assert page.locator("#vitals svg[role=img][aria-label]").count() >= 2
    axe.check(page, "chart-synthea")
    page.screenshot(path=artifacts / "chart-synthea.png", full_page=True)
    page.screenshot(path=artifacts / "chart-synthea-top.png")
    page.locator("#vitals").screenshot(path=artifacts / "chart-synthea-vitals.png")
    assert not axe.blocking, axe.report()

    # Synthea lists the diastolic component (8462-4) before the systolic one (8480-6).
    synthea_bp = page.locator("#vitals").get_by_role("img", name=re.compile(r"^Blood pressure:"))
    latest = re.search(
        r"latest (\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)", synthea_bp.get_attribute("aria-label")
    )
    assert latest and float(latest[1]) > float(latest[2]), (
        "KNOWN BUG (src/careloop/web/charts.py, _series): the blood-pressure chart takes the "
        "first two components in source order, so a Synthea reading reads "
        f"'{latest and latest[0]}' (diastolic/systolic) to a screen reader and swaps "
        "the line colours. Fix: pick components by code, systolic 8480-6 then diastolic 8462-4."
    )


@pytest.mark.shared_data
def test_import_runs_for_a_program_administrator(
    new_page, live_server, admin, password, population, axe, artifacts
):
    page = new_page()
    base = live_server.url
    _sign_in(page, base, admin.username, password)

    assert page.goto(f"{base}/imports/").status == 200
    expect_heading(page, "Import runs", level=1)
    good, bad = population["good_run"], population["bad_run"]
    assert page.get_by_role("link", name=f"#{good.pk}").is_visible()
    assert page.get_by_role("link", name=f"#{bad.pk}").is_visible()
    axe.check(page, "import_runs")
    page.screenshot(path=artifacts / "import_runs.png", full_page=True)

    link = page.get_by_role("link", name=f"#{good.pk}")
    _tab_to(page, link)
    page.keyboard.press("Enter")
    expect_heading(page, f"Import run #{good.pk}", level=1)
    table = page.get_by_role("table").first
    assert table.get_by_role("rowheader", name="Patient").is_visible()
    assert table.get_by_role("rowheader", name="Observation").is_visible()
    axe.check(page, "import_run")
    page.screenshot(path=artifacts / "import_run.png", full_page=True)
    assert not axe.blocking, axe.report()

    # A run whose error is about a whole file (no line, no entry); NDJSON errors have a line
    # but no entry and take the same path through the template.
    response = page.goto(f"{base}/imports/{bad.pk}/")
    assert response.status == 200, (
        f"KNOWN TEMPLATE BUG (web/templates/web/import_run.html): /imports/{bad.pk}/ answers "
        f"HTTP {response.status} for a run whose error has no 'entry' key (here a truncated "
        "file; NDJSON line errors too): `{{ e.line|default:e.entry|default_if_none:'' }}` raises "
        "VariableDoesNotExist because a filter argument must resolve. Fix: "
        "`{% firstof e.line e.entry '' %}` (and the same for `w.line|default:w.entry` in the "
        "warnings list)."
    )
    expect_heading(page, f"Import run #{bad.pk}", level=1)
    assert page.get_by_text("truncated-bundle.json").first.is_visible()
    axe.check(page, "import_run-errors")
    page.screenshot(path=artifacts / "import_run-errors.png", full_page=True)

    assert not axe.blocking, axe.report()


def expect_heading(page, name, level: int | None = None) -> None:
    heading = (
        page.get_by_role("heading", name=name, level=level)
        if level
        else page.get_by_role("heading", name=name)
    )
    heading.wait_for()
