"""Care gaps (medicare-rules.md §8, GAP-001..GAP-009): each rule on small hand-built snapshots
(open, closed, excluded, window edges), the code lists against the rules text, the CDC CVX table
and the shared CCW list, and a run on the shared Synthea data checked by hand."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from careloop.analytics import care_gaps
from careloop.analytics.care_gaps import load_rules, statin_intensity, window_start
from careloop.analytics.engine import DuckDBEngine
from careloop.analytics.pipeline import run_marts
from careloop.analytics.reference import AnalyticsConfig
from support.snapshot_record import (
    CPT,
    HCPCS,
    SNOMED,
    Record,
    T,
)


@pytest.fixture
def gaps(tmp_path):
    """Run the care-gap marts on a record: {(patient_id, gap_id): row}."""

    def run(record: Record, as_of: date = T, **settings: Any) -> dict[tuple[int, str], dict]:
        engine = DuckDBEngine(threads=1)
        try:
            folder = record.write(tmp_path / f"snap{len(list(tmp_path.iterdir()))}")
            run_marts(engine, folder, as_of, wanted=["care_gap"],
                      config=AnalyticsConfig(care_gaps=settings))  # fmt: skip
            table = engine.read_table("care_gap")
            run.schema = table.schema  # type: ignore[attr-defined]
            rows = table.to_pylist()
        finally:
            engine.close()
        return {(r["patient_id"], r["gap_id"]): r for r in rows}

    return run


def born(age: int, on: date = T) -> date:
    """A birth date that makes the patient ``age`` on ``on`` (birthday a month earlier)."""
    return date(on.year - age, max(on.month - 1, 1), 1)


# ------------------------------------------------------------------------------- GAP-002


def test_gap002_influenza_season_starts_on_1_august(gaps):
    r = Record()
    for pid, when in ((1, date(2026, 8, 1)), (2, date(2026, 7, 31)), (3, T)):
        r.patient(pid, born(70))
        r.vaccine(pid, "197", when)
    r.patient(4, born(70))
    out = gaps(r)
    assert out[1, "GAP-002"]["status"] == "closed"
    assert out[1, "GAP-002"]["last_evidence_date"] == date(2026, 8, 1)
    assert "influenza vaccine 197 on 2026-08-01" in out[1, "GAP-002"]["detail"]
    assert out[2, "GAP-002"]["status"] == "open"  # 31 July is last season
    assert out[2, "GAP-002"]["last_evidence_date"] == date(2026, 7, 31)
    assert "since 2026-08-01" in out[2, "GAP-002"]["detail"]
    assert out[3, "GAP-002"]["status"] == "closed"  # on T itself
    assert out[4, "GAP-002"]["status"] == "open" and out[4, "GAP-002"]["last_evidence_date"] is None


def test_gap002_season_runs_to_31_march_and_counts_until_august(gaps):
    r = Record()
    r.patient(1, born(70))
    r.vaccine(1, "150", date(2026, 9, 15))
    assert gaps(r, date(2027, 3, 31))[1, "GAP-002"]["status"] == "closed"
    assert gaps(r, date(2027, 7, 31))[1, "GAP-002"]["status"] == "closed"  # no new season yet
    assert gaps(r, date(2027, 8, 1))[1, "GAP-002"]["status"] == "open"


def test_gap002_cpt_codes_are_a_list_never_a_range(gaps):
    """90665 (Lyme disease vaccine) and 90732 (pneumococcal) sit inside 90630-90756."""
    r = Record()
    r.patient(1, born(70))
    r.claim(1, date(2026, 10, 1), lines=("90665", "90732"))
    r.patient(2, born(70))
    r.claim(2, date(2026, 10, 1), lines=("90686",), system=CPT)
    r.patient(3, born(70))
    r.claim(3, date(2026, 10, 1), lines=("G0008",), system=HCPCS)
    out = gaps(r)
    assert out[1, "GAP-002"]["status"] == "open"
    assert out[1, "GAP-003"]["status"] == "closed"  # 90732 is PPSV23
    assert out[2, "GAP-002"]["status"] == "closed"
    assert out[3, "GAP-002"]["status"] == "closed"


# ------------------------------------------------------------------------------- GAP-003


def test_gap003_pneumococcal_any_time_from_65(gaps):
    r = Record()
    r.patient(1, born(65))
    r.vaccine(1, "327", date(1990, 5, 1))  # PCV21 (CDC CVX table)
    r.patient(2, born(66))
    r.patient(3, born(64))
    r.vaccine(3, "33", date(2026, 1, 1))
    out = gaps(r)
    assert out[1, "GAP-003"]["status"] == "closed"
    assert out[2, "GAP-003"]["status"] == "open"
    assert out[2, "GAP-003"]["detail"] == "GAP-003: no pneumococcal vaccine on record"
    assert (3, "GAP-003") not in out


# ------------------------------------------------------------------------------- GAP-004


def test_gap004_col_e_calendar_windows_on_31_december(gaps):
    end = date(2026, 12, 31)
    r = Record()
    cases = {
        1: ("82274", date(2026, 1, 1), "closed"),  # FIT, N = 1
        2: ("82274", date(2025, 12, 31), "open"),
        3: ("81528", date(2024, 1, 1), "closed"),  # FIT-DNA, N = 3
        4: ("81528", date(2023, 12, 31), "open"),
        5: ("74263", date(2022, 1, 1), "closed"),  # CT colonography, N = 5
        6: ("45330", date(2021, 12, 31), "open"),  # sigmoidoscopy, N = 5
        7: ("45378", date(2017, 1, 1), "closed"),  # colonoscopy, N = 10
        8: ("G0121", date(2016, 12, 31), "open"),
    }
    for pid, (code, when, _) in cases.items():
        r.patient(pid, born(60, end))
        r.procedure(pid, code, when)
    out = gaps(r, end)
    for pid, (code, when, status) in cases.items():
        assert out[pid, "GAP-004"]["status"] == status, (code, when)
        assert out[pid, "GAP-004"]["last_evidence_date"] == when
    assert "no colonoscopy since 2017-01-01" in out[8, "GAP-004"]["detail"]


def test_gap004_exclusions_and_age(gaps):
    r = Record()
    r.patient(1, born(60))
    r.claim(1, date(2015, 3, 1), dx=("Z85038",))  # history of colon cancer
    r.patient(2, born(60))
    r.claim(2, date(2012, 3, 1), lines=("44150",))  # total colectomy
    r.patient(3, born(60))
    r.procedure(3, "43075005", date(2019, 3, 1), SNOMED)  # partial resection: not excluded
    r.patient(4, born(60))
    r.problem(4, "109838007", SNOMED)  # colon cancer on the problem list (Synthea code)
    r.patient(5, date(1981, 6, 1))  # 45 on T, 45 on 31 December too
    r.patient(6, born(76))
    uspstf = gaps(r)
    assert (1, "GAP-004") not in uspstf and (2, "GAP-004") not in uspstf
    assert (4, "GAP-004") not in uspstf
    assert uspstf[3, "GAP-004"]["status"] == "open"
    assert uspstf[5, "GAP-004"]["status"] == "open"
    assert (6, "GAP-004") not in uspstf
    hedis = gaps(r, colorectal_age_rule="hedis")  # CONFIG: 46-75 on 31 December
    assert (5, "GAP-004") not in hedis and (3, "GAP-004") in hedis


# ------------------------------------------------------------------------------- GAP-005


def test_gap005_mammogram_27_months(gaps):
    r = Record()
    r.patient(1, born(60))
    r.procedure(1, "77067", date(2024, 10, 1))
    r.patient(2, born(60))
    r.procedure(2, "77067", date(2024, 9, 30))
    r.patient(3, born(60))
    r.procedure(3, "71651007", date(2026, 2, 1), SNOMED)  # Synthea's mammography code
    r.patient(4, born(60), gender="male")
    out = gaps(r)
    assert out[1, "GAP-005"]["status"] == "closed"
    assert out[2, "GAP-005"]["status"] == "open"
    assert out[2, "GAP-005"]["detail"].startswith("GAP-005: no mammogram since 2024-10-01")
    assert out[3, "GAP-005"]["status"] == "closed"
    assert (4, "GAP-005") not in out


def test_gap005_age_by_rules_year_and_bilateral_mastectomy(gaps):
    r = Record()
    r.patient(1, born(45))
    r.patient(2, born(60))
    r.problem(2, "Z90.13")  # bilateral
    r.patient(3, born(60))
    r.problem(3, "Z90.11")  # right only
    r.patient(4, born(60))
    r.problem(4, "Z90.11")
    r.claim(4, date(2019, 5, 1), dx=("Z9012",))  # and the left one, on a claim
    r.patient(5, born(75))
    out = gaps(r)
    assert out[1, "GAP-005"]["status"] == "open"  # 40-74 from rules year 2025
    assert (2, "GAP-005") not in out and (4, "GAP-005") not in out
    assert out[3, "GAP-005"]["status"] == "open"
    assert (5, "GAP-005") not in out
    assert (1, "GAP-005") not in gaps(r, rules_year=2024)  # 50-74 before 2025


# --------------------------------------------------------------------------- GAP-006/007


def test_gap006_gap007_hba1c(gaps):
    r = Record()
    for pid in range(1, 8):
        r.patient(pid, born(60))
        r.problem(pid, "E11.9")
    r.lab(1, "4548-4", 7.0, date(2026, 3, 1))
    r.lab(1, "4548-4", 9.5, date(2026, 6, 1))  # most recent > 9: poor control
    r.lab(2, "4548-4", 9.5, date(2026, 6, 1))
    r.lab(2, "97506-0", 8.0, date(2026, 6, 1))  # GMI the same day: the lowest counts
    r.lab(3, "4548-4", 9.0, date(2026, 6, 1))  # exactly 9.0 is not > 9.0
    r.lab(4, "4548-4", 6.5, date(2025, 11, 30))  # outside the 12 months
    r.claim(5, date(2026, 5, 1), lines=("83036", "3046F"))
    r.claim(6, date(2026, 5, 1), lines=("3044F",))
    out = gaps(r)
    assert [out[p, "GAP-006"]["status"] for p in range(1, 8)] == [
        "closed", "closed", "closed", "open", "closed", "closed", "open",
    ]  # fmt: skip
    assert [out[p, "GAP-007"]["status"] for p in range(1, 8)] == [
        "open", "closed", "closed", "open", "open", "closed", "open",
    ]  # fmt: skip
    assert (
        out[1, "GAP-007"]["detail"] == "GAP-007: most recent HbA1c/GMI on 2026-06-01: 9.5% (> 9.0%)"
    )
    assert out[2, "GAP-007"]["detail"].endswith(": 8.0% (<= 9.0%)")
    assert out[5, "GAP-007"]["detail"].endswith("CPT II 3046F (> 9.0%)")
    assert out[7, "GAP-007"]["detail"] == "GAP-007: no HbA1c or GMI result since 2025-12-01"


def test_diabetes_gaps_need_diabetes_and_age(gaps):
    r = Record()
    r.patient(1, born(60))  # no diabetes
    r.patient(2, born(76))
    r.problem(2, "44054006", SNOMED)
    out = gaps(r)
    assert not {k for k in out if k[1] in ("GAP-006", "GAP-007")}


# ------------------------------------------------------------------------------- GAP-008


def test_gap008_lowest_of_the_most_recent_date_outside_inpatient_and_ed(gaps):
    r = Record()
    for pid in range(1, 6):
        r.patient(pid, born(70))
        r.problem(pid, "I10")
    r.bp(1, date(2026, 9, 1), 150, 85)
    r.bp(1, date(2026, 9, 1), 135, 92)  # lowest systolic 135, lowest diastolic 85
    r.bp(2, date(2026, 9, 1), 138, 88)
    r.bp(2, date(2026, 10, 1), 142, 70)  # most recent date decides
    r.bp(3, date(2026, 9, 1), 128, 78)
    ed = r.encounter(3, "emergency", date(2026, 10, 5))
    r.bp(3, date(2026, 10, 5), 182, 100, ed)  # ED reading: does not count
    r.bp(4, date(2025, 11, 1), 120, 70)  # outside the 12 months
    out = gaps(r)
    assert out[1, "GAP-008"]["status"] == "closed"
    assert out[1, "GAP-008"]["detail"] == (
        "GAP-008: most recent blood pressure on 2026-09-01: 135/85 (lowest of the day, < 140/90)"
    )
    assert out[2, "GAP-008"]["status"] == "open" and "142/70" in out[2, "GAP-008"]["detail"]
    assert out[3, "GAP-008"]["status"] == "closed"
    assert out[3, "GAP-008"]["last_evidence_date"] == date(2026, 9, 1)
    assert out[4, "GAP-008"]["status"] == "open"
    assert out[4, "GAP-008"]["detail"].endswith("; last reading on 2025-11-01")
    assert out[5, "GAP-008"]["status"] == "open" and out[5, "GAP-008"]["last_evidence_date"] is None


# ------------------------------------------------------------------------------- GAP-009


def test_gap009_moderate_or_high_intensity_statin(gaps):
    r = Record()
    drugs = {1: "314231", 2: "312961", 3: "259255", 4: "904467", 5: "476350"}
    for pid, rxcui in drugs.items():
        r.patient(pid, born(60), gender="male")
        r.problem(pid, "I25.10")
        r.medication(pid, rxcui, date(2026, 2, 1))
    r.patient(6, born(60), gender="male")
    r.problem(6, "I25.10")
    r.medication(6, "259255", date(2025, 11, 1), status="stopped")  # before the 12 months
    out = gaps(r)
    status = {pid: out[pid, "GAP-009"]["status"] for pid in range(1, 7)}
    # simvastatin 10 and pravastatin 20 mg are low intensity: they do not close the gap
    assert status == {1: "open", 2: "closed", 3: "closed", 4: "open", 5: "closed", 6: "open"}
    assert "last: simvastatin 10 mg (low intensity), RxNorm 314231" in out[1, "GAP-009"]["detail"]
    assert out[1, "GAP-009"]["last_evidence_date"] == T  # an active order counts up to T
    assert out[6, "GAP-009"]["last_evidence_date"] == date(2025, 11, 1)


def test_gap009_denominator_and_exclusions(gaps):
    r = Record()
    r.patient(1, born(35), gender="female")  # women from 40
    r.problem(1, "I63.9")
    r.patient(2, born(35), gender="male")  # men from 21
    r.problem(2, "I63.9")
    r.patient(3, born(50), gender="female")
    r.problem(3, "I63.9")
    r.problem(3, "72892002", SNOMED, on=date(2025, 6, 1))  # pregnancy, year before
    r.patient(4, born(60), gender="male")
    r.problem(4, "I25.10")
    r.claim(4, date(2026, 2, 1), dx=("N186",))  # ESRD
    r.patient(5, born(70), gender="male")
    r.problem(5, "I25.10")
    r.claim(5, date(2026, 2, 1), dx=("R54",))  # frailty
    r.claim(5, date(2025, 3, 1), dx=("I5022",))  # advanced illness: excluded at 66+
    r.patient(6, born(65), gender="male")
    r.problem(6, "I25.10")
    r.claim(6, date(2026, 2, 1), dx=("R54", "I5022"))  # not yet 66
    r.patient(7, born(70), gender="male")
    r.problem(7, "I25.10")
    r.claim(7, date(2026, 2, 1), dx=("R54",))  # frailty alone
    out = gaps(r)
    assert (1, "GAP-009") not in out and out[2, "GAP-009"]["status"] == "open"
    assert (3, "GAP-009") not in out and (4, "GAP-009") not in out and (5, "GAP-009") not in out
    assert out[6, "GAP-009"]["status"] == "open" and out[7, "GAP-009"]["status"] == "open"


# ------------------------------------------------------------------------------- GAP-001


def test_gap001_awv_needs_part_b_after_its_first_year_and_11_full_months(gaps):
    r = Record()
    r.patient(1, born(70))
    r.part_b(1)
    r.claim(1, date(2025, 6, 15), lines=("G0439",))
    r.claim(1, date(2026, 3, 1), lines=("G0439",))  # 8 full months after June 2025: not payable
    r.patient(2, born(70))
    r.part_b(2)
    r.claim(2, date(2025, 6, 15), lines=("G0439",))
    r.claim(2, date(2026, 6, 1), lines=("G0439",))  # 11 full months (July-May) have passed
    r.patient(3, born(70))
    r.part_b(3)
    r.claim(3, date(2026, 6, 1), lines=("G0438",))
    r.patient(4, born(66))
    r.part_b(4, start=date(2026, 1, 1))  # first 12 months of Part B: the IPPE year
    r.patient(5, born(70))  # no Medicare coverage
    r.patient(6, born(70))
    r.part_b(6, kind="part-c")
    out = gaps(r)
    assert out[1, "GAP-001"]["status"] == "open"
    assert out[1, "GAP-001"]["last_evidence_date"] == date(2026, 3, 1)
    assert out[2, "GAP-001"]["status"] == "closed"
    assert out[3, "GAP-001"]["status"] == "closed"
    assert (4, "GAP-001") not in out and (5, "GAP-001") not in out
    assert out[6, "GAP-001"]["status"] == "open"


# ------------------------------------------------------------------------- every gap


def test_hospice_and_death_take_the_patient_out_of_every_gap(gaps):
    r = Record()
    r.patient(1, born(70))
    r.part_b(1)
    r.claim(1, date(2026, 4, 1), claim_type="hospice")
    r.patient(2, born(70))
    r.part_b(2)
    r.procedure(2, "385763009", date(2026, 1, 5), SNOMED)  # hospice care
    r.patient(3, born(70), deceased=True, deceased_date=date(2026, 5, 1))
    r.patient(4, born(70))
    r.part_b(4)
    r.claim(4, date(2025, 12, 20), claim_type="hospice")  # last year: not this measurement year
    out = gaps(r)
    assert not [k for k in out if k[0] in (1, 2, 3)]
    assert {g for p, g in out if p == 4} == {"GAP-001", "GAP-002", "GAP-003", "GAP-004", "GAP-005"}


def test_contract_columns(gaps):
    """notes/contracts.md: the care_gap columns and types the population side reads."""
    r = Record()
    r.patient(1, born(70))
    gaps(r)
    assert [(f.name, str(f.type)) for f in gaps.schema] == [
        ("patient_id", "int64"),
        ("gap_id", "string"),
        ("name", "string"),
        ("status", "string"),
        ("last_evidence_date", "date32[day]"),
        ("detail", "string"),
    ]


# ------------------------------------------------------------------------------ code lists


SPEC_INFLUENZA_CVX = {"88", "135", "140", "141", "144", "149", "150", "153", "155", "158", "161",
                      "166", "168", "171", "185", "186", "197", "205"}  # fmt: skip
# the rules text's CPT spans, expanded: every member is in the list or named in `omitted`
SPEC_INFLUENZA_CPT = {"90630", *map(str, range(90653, 90669)), "90672", "90673", "90674", "90682",
                      *map(str, range(90685, 90690)), "90694", "90756", "G0008",
                      *(f"Q{n}" for n in range(2034, 2040))}  # fmt: skip


def test_influenza_list_matches_the_rules_text_with_reasons():
    rules = load_rules()
    listed = set(rules.codes("influenza_vaccine", "cpt_hcpcs"))
    omitted = rules.lists["influenza_vaccine"]["omitted"]
    assert set(rules.codes("influenza_vaccine", "cvx")) >= SPEC_INFLUENZA_CVX
    assert SPEC_INFLUENZA_CPT - listed == {
        "90659",
        "90663",
        "90664",
        "90665",
        "90666",
        "90667",
        "90668",
    }
    assert SPEC_INFLUENZA_CPT - listed <= set(omitted)
    for family in ("cvx", "cpt_hcpcs"):
        assert not set(rules.codes("influenza_vaccine", family)) & set(omitted)
    # pneumococcal codes are never influenza codes
    assert not set(rules.codes("influenza_vaccine", "cpt_hcpcs")) & set(
        rules.codes("pneumococcal_vaccine", "cpt_hcpcs")
    )


def _cdc_cvx_table() -> dict[str, str]:
    """The CDC CVX codes and names checked for these lists (biopragmatics/obo-db-ingest
    export/cvx/cvx.tsv, the CDC table as exported by PyOBO), influenza and pneumococcal rows."""
    return {
        "33": "pneumococcal polysaccharide vaccine, 23 valent",
        "100": "pneumococcal conjugate vaccine, 7 valent",
        "109": "pneumococcal vaccine, unspecified formulation",
        "133": "pneumococcal conjugate vaccine, 13 valent",
        "152": "Pneumococcal Conjugate, unspecified formulation",
        "177": "pneumococcal conjugate vaccine, 10 valent",
        "215": "Pneumococcal conjugate vaccine 15-valent (PCV15)",
        "216": "Pneumococcal conjugate vaccine 20-valent (PCV20)",
        "327": "Pneumococcal conjugate vaccine, 21 valent (PCV21)",
    }


def test_pneumococcal_list_against_the_cdc_cvx_table():
    rules = load_rules()
    cvx = set(rules.codes("pneumococcal_vaccine", "cvx"))
    assert cvx == {"33", "109", "133", "152", "215", "216", "327"}  # the rules text, 327 verified
    pneumococcal = set(_cdc_cvx_table())
    assert pneumococcal - cvx == {"100", "177"}  # pediatric PCV7, non-US PCV10: see `omitted`
    assert pneumococcal - cvx <= set(rules.lists["pneumococcal_vaccine"]["omitted"])
    assert set(rules.codes("pneumococcal_vaccine", "cpt_hcpcs")) == {
        "90670", "90671", "90677", "90684", "90732", "G0009",
    }  # fmt: skip


@pytest.mark.parametrize(
    "entry",
    ["90653-90668", "90630–90756", "9065", "G04389", "45378 "],
)
def test_a_range_or_a_bad_code_fails_the_load(entry):
    rules = load_rules()
    raw = {
        "version": "x",
        "config": dict(rules.config),
        "systems": {k: list(v) for k, v in rules.systems.items()},
        "gaps": {},
        "lists": {"x": {"source": "test", "label": "x", "cpt_hcpcs": [entry]}},
        "statin": {"intensity": [], "products": {}},
    }
    with pytest.raises(ValueError, match="not one cpt_hcpcs code"):
        care_gaps._check(raw)


def test_every_list_names_its_source():
    assert all(raw.get("source") for raw in load_rules().lists.values())


@pytest.mark.parametrize(
    ("ingredient", "mg", "expected"),
    [
        ("simvastatin", 10, "low"),
        ("simvastatin", 20, "moderate"),
        ("simvastatin", 80, "high"),
        ("pravastatin", 10, "low"),
        ("pravastatin", 20, "low"),
        ("pravastatin", 40, "moderate"),
        ("lovastatin", 20, "low"),
        ("lovastatin", 40, "moderate"),
        ("fluvastatin", 20, "low"),
        ("fluvastatin", 40, "low"),
        ("fluvastatin", 80, "moderate"),
        ("pitavastatin", 1, "low"),
        ("pitavastatin", 2, "moderate"),
        ("atorvastatin", 10, "moderate"),
        ("atorvastatin", 40, "high"),
        ("rosuvastatin", 10, "moderate"),
        ("rosuvastatin", 20, "high"),
    ],
)
def test_statin_intensity_by_ingredient_and_strength(ingredient, mg, expected):
    """GAP-009: ACC/AHA intensity; the low doses of the rules text do not close the gap."""
    assert statin_intensity(ingredient, mg) == expected


def test_statin_products_of_the_generator_and_synthea(shared_data):
    from careloop.interop.synth.codes import MEDS, STATINS

    products = {p.rxcui: p for p in load_rules().products}
    for key, _ in STATINS:
        rxcui, display, _dosage = MEDS[key]
        assert rxcui in products, key
        assert products[rxcui].name.lower() == display.lower()
    synthea = _synthea_codes(shared_data)["MedicationRequest"]
    for rxcui, display in synthea.items():
        if "statin" in display.lower():
            assert products[rxcui].name.lower() == display.lower()
    assert products["314231"].intensity == "low" and products["312961"].intensity == "moderate"


def test_a_product_name_must_say_its_statin_and_strength():
    with pytest.raises(ValueError, match="does not name one statin"):
        care_gaps._parse_product("1", "ezetimibe 10 MG Oral Tablet", load_rules().intensity)
    with pytest.raises(ValueError, match="no intensity"):
        care_gaps._parse_product("2", "simvastatin 15 MG Oral Tablet", load_rules().intensity)


def test_windows():
    assert window_start("flu_season", date(2027, 3, 31)) == date(2026, 8, 1)
    assert window_start("flu_season", date(2026, 8, 1)) == date(2026, 8, 1)
    assert window_start("bcs_27_months", date(2026, 12, 31)) == date(2024, 10, 1)
    assert window_start("calendar_10", date(2026, 12, 31)) == date(2017, 1, 1)
    assert window_start("12_months", date(2028, 2, 29)) == date(2027, 3, 1)
    assert window_start("ever", T) is None


# CCW 'Cancer, Colorectal' (shared codesets) vs the GAP-004 colorectal-cancer exclusion (HEDIS):
# every difference, with its reason.
CCW_ONLY = {
    "C49A4": "GIST of the large intestine: HEDIS COL-E does not exclude stromal tumors",
    "C49A5": "GIST of the rectum: as above",
    "D010": "carcinoma in situ of the colon: not a colorectal cancer exclusion in HEDIS",
    "D011": "carcinoma in situ of the rectosigmoid junction: as above",
    "D012": "carcinoma in situ of the rectum: as above",
    "Z85030": "history of malignant carcinoid tumor of the large intestine: HEDIS lists Z85.038 only",
    "Z85040": "history of malignant carcinoid tumor of the rectum: HEDIS lists Z85.048 only",
}
CARELOOP_ONLY = {
    "C212": "malignant neoplasm of the cloacogenic zone: HEDIS COL-E 'Colorectal Cancer'",
    "C218": "overlapping lesion of rectum, anus and anal canal: HEDIS",
    "C785": "secondary malignant neoplasm of the large intestine and rectum: HEDIS",
}


def test_colorectal_cancer_exclusion_against_the_ccw_list(shared_data):
    path = (
        shared_data
        / "codesets/tuva_value_sets_2024-02/chronic_conditions"
        / "chronic_conditions__cms_chronic_conditions_hierarchy.csv"
    )
    with path.open(encoding="utf-8", newline="") as fh:
        ccw = {
            row["code"].strip()
            for row in csv.DictReader(fh)
            if row["condition_column_name"] == "cancer_colorectal"
            and row["inclusion_type"] == "Include"
        }
    entries = [
        care_gaps.parse_icd10_entry(e) for e in load_rules().lists["colorectal_cancer"]["icd10cm"]
    ]

    def ours(code: str) -> bool:
        return any(len(code) >= len(lo) and lo <= code[: len(lo)] <= hi for lo, hi, _ in entries)

    assert {c for c in ccw if not ours(c)} == set(CCW_ONLY)
    prefixes = {lo for lo, _, _ in entries}
    assert {p for p in prefixes if not any(c.startswith(p) for c in ccw)} == set(CARELOOP_ONLY)


# ---------------------------------------------------------------------- the demo generator


def test_demo_snapshot_shows_open_and_closed_gaps():
    """The generator's demo population (tests/analytics/fixtures) has closing evidence for every
    gap (AWVs, vaccines, colorectal and breast screenings, HbA1c, BP, statins) and open gaps."""
    fixture = Path(__file__).resolve().parent / "fixtures" / "demo_snapshot"
    engine = DuckDBEngine(threads=1)
    try:
        run_marts(engine, fixture, T, wanted=["care_gap"])
        counts = {
            (r["gap_id"], r["status"]): r["n"]
            for r in engine.run_sql(
                "SELECT gap_id, status, count(*) AS n FROM care_gap GROUP BY gap_id, status"
            ).to_pylist()
        }
    finally:
        engine.close()
    for gap in (f"GAP-00{i}" for i in range(1, 10)):
        assert counts.get((gap, "open"), 0) + counts.get((gap, "closed"), 0) > 0, gap
    closed = {g for g, s in counts if s == "closed"}
    assert closed == {f"GAP-00{i}" for i in range(1, 10)}
    assert counts == DEMO_COUNTS


# counted on the fixture (24 demo patients, as of 2026-11-30); GAP-009 has one patient in its
# denominator there (women 40-75 / men 21-75 with IHD, AMI or stroke), on atorvastatin 20 mg.
DEMO_COUNTS = {
    ("GAP-001", "closed"): 5, ("GAP-001", "open"): 15,
    ("GAP-002", "closed"): 9, ("GAP-002", "open"): 11,
    ("GAP-003", "closed"): 12, ("GAP-003", "open"): 7,
    ("GAP-004", "closed"): 5, ("GAP-004", "open"): 6,
    ("GAP-005", "closed"): 4, ("GAP-005", "open"): 2,
    ("GAP-006", "closed"): 3, ("GAP-006", "open"): 1,
    ("GAP-007", "closed"): 2, ("GAP-007", "open"): 2,
    ("GAP-008", "closed"): 6, ("GAP-008", "open"): 6,
    ("GAP-009", "closed"): 1,
}  # fmt: skip


# -------------------------------------------------------------------- shared Synthea data


def _synthea_codes(shared_data: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for path in sorted((shared_data / "synthea-fhir-r4").glob("*.json.gz")):
        with gzip.open(path) as fh:
            bundle = json.load(fh)
        for entry in bundle.get("entry", ()):
            res = entry["resource"]
            concept = (
                res.get("medicationCodeableConcept") or res.get("vaccineCode") or res.get("code")
            )
            if isinstance(concept, dict):
                for coding in concept.get("coding", ()):
                    out.setdefault(res["resourceType"], {})[coding["code"]] = coding.get(
                        "display", ""
                    )
    return out


# Checked by hand against the bundles (immunizations, procedures, BP panels; as of 2021-07-10,
# the data's latest date): flu season from 2020-08-01, COL-E colonoscopy from 2012-01-01,
# mammogram from 2019-10-01, BP from 2020-07-11.
SYNTHEA_NAMED = {
    # Christian753 Bruen238, female, 73: flu 140 2020-09-16; CVX 133 2013-08-07 and 33
    # 2014-08-13; colonoscopies 2012-09-06, 2017-09-05; no mammogram; no AWV in Synthea
    "0696ac49-3128-87d3-7344-04510aa4f324": {
        "GAP-001": ("open", None),
        "GAP-002": ("closed", date(2020, 9, 16)),
        "GAP-003": ("closed", date(2014, 8, 13)),
        "GAP-004": ("closed", date(2017, 9, 5)),
        "GAP-005": ("open", None),
    },
    # Yang129 Rosenbaum794, female, 63 (no Medicare, under 65): mammography 71651007 2020-08-01,
    # colonoscopy 2018-06-21, flu 2020-08-31
    "dd92a3e7-d1db-c15a-f8fe-e3847b7f07b1": {
        "GAP-002": ("closed", date(2020, 8, 31)),
        "GAP-004": ("closed", date(2018, 6, 21)),
        "GAP-005": ("closed", date(2020, 8, 1)),
    },
    # Chang901 Stroman228, 18, hypertension from 2021-04-21: BP 179/108 that day, 132/87 on
    # 2021-05-21 (ambulatory): the most recent date decides
    "9d3e5754-acb3-5573-ef17-fe95d83dc941": {
        "GAP-002": ("closed", date(2021, 4, 21)),
        "GAP-008": ("closed", date(2021, 5, 21)),
    },
    # Karren465 Little434, female, 79: no pneumococcal vaccine; too old for GAP-004/005
    "2ad91c08-1b48-0562-dbb2-79f23c1b692b": {
        "GAP-001": ("open", None),
        "GAP-002": ("closed", date(2020, 11, 7)),
        "GAP-003": ("open", None),
    },
    # Florine959 Wolf938, 10: her yearly flu vaccine came on 2020-07-30, one day before the
    # season of T began (window edge)
    "5875d3aa-192c-6d05-221a-88a9cee35ff9": {
        "GAP-002": ("open", date(2020, 7, 30)),
    },
}
# counted on the whole run; GAP-002 has one row per living patient (100 of 120). GAP-006/007/009
# have none: the Synthea diagnoses are single encounter diagnoses recorded years before T, so the
# §4 rules (CC-001, CC-101) meet no diabetes, IHD or stroke on T; hypertension (1-year period)
# is met for one patient.
SYNTHEA_COUNTS = {
    ("GAP-001", "open"): 12,
    ("GAP-002", "closed"): 80, ("GAP-002", "open"): 20,
    ("GAP-003", "closed"): 10, ("GAP-003", "open"): 6,
    ("GAP-004", "closed"): 18, ("GAP-004", "open"): 23,
    ("GAP-005", "closed"): 1, ("GAP-005", "open"): 14,
    ("GAP-008", "closed"): 1,
}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.shared_data
def test_synthea_care_gaps_checked_by_hand(org_a, shared_data, tmp_path):
    from django.db import connection

    from careloop.analytics.pipeline import latest_data_date
    from careloop.analytics.snapshot import snapshot
    from careloop.interop.fhir.importer import FhirImport

    folder = shared_data / "synthea-fhir-r4"
    FhirImport(org_a.pk, source_system="synthea").run(
        [str(p) for p in sorted(folder.glob("*.json.gz"))]
    )
    snapshot(connection.connection, tmp_path / "snapshot", organization_id=org_a.pk)
    as_of = latest_data_date(tmp_path / "snapshot")
    assert as_of == date(2021, 7, 10)
    engine = DuckDBEngine(threads=1)
    try:
        run_marts(engine, tmp_path / "snapshot", as_of, wanted=["care_gap"])
        rows = engine.run_sql(
            "SELECT g.*, p.source_id FROM care_gap AS g JOIN patient AS p USING (patient_id)"
        ).to_pylist()
        alive = engine.run_sql("SELECT count(*) AS n FROM patient WHERE NOT deceased").to_pylist()
    finally:
        engine.close()
    counts: dict[tuple[str, str], int] = {}
    for r in rows:
        counts[r["gap_id"], r["status"]] = counts.get((r["gap_id"], r["status"]), 0) + 1
    assert counts == SYNTHEA_COUNTS
    assert sum(n for (g, _), n in counts.items() if g == "GAP-002") == alive[0]["n"] == 100
    by_patient: dict[str, dict[str, tuple[str, date | None]]] = {}
    for r in rows:
        by_patient.setdefault(r["source_id"], {})[r["gap_id"]] = (
            r["status"],
            r["last_evidence_date"],
        )
    for source_id, expected in SYNTHEA_NAMED.items():
        assert by_patient[source_id] == expected, source_id


def _every_branch() -> Record:
    """One record that reaches every rule, window edge and exclusion of care_gap.sql."""
    r = Record()
    r.patient(1, born(70))
    r.part_b(1)
    r.claim(1, date(2025, 6, 15), lines=("G0439",))
    r.claim(1, date(2026, 3, 1), lines=("G0439", "90665", "3046F", "83036"))
    r.vaccine(1, "197", date(2026, 8, 1))
    r.vaccine(1, "327", date(2020, 1, 1))
    r.problem(1, "E11.9")
    r.problem(1, "I10")
    r.problem(1, "I25.10")
    r.bp(1, date(2026, 9, 1), 150, 85)
    r.bp(1, date(2026, 9, 1), 135, 92)
    ed = r.encounter(1, "emergency", date(2026, 10, 5))
    r.bp(1, date(2026, 10, 5), 182, 100, ed)
    r.medication(1, "314231", date(2026, 2, 1))
    r.procedure(1, "77067", date(2024, 10, 1))
    r.procedure(1, "45378", date(2017, 1, 1))
    r.patient(2, born(60), gender="male")
    r.part_b(2, start=date(2026, 1, 1))
    r.problem(2, "I25.10")
    r.problem(2, "E11.9")
    r.lab(2, "4548-4", 9.5, date(2026, 6, 1))
    r.lab(2, "97506-0", 8.0, date(2026, 6, 1))
    r.medication(2, "259255", date(2025, 11, 1), status="stopped")
    r.claim(2, date(2026, 2, 1), dx=("R54",))
    r.claim(2, date(2025, 3, 1), dx=("I5022",))
    r.patient(3, born(72), gender="male")
    r.problem(3, "I63.9")
    r.claim(3, date(2026, 2, 1), dx=("R54", "I5022"))  # frailty + advanced illness at 66+
    r.claim(3, date(2012, 3, 1), lines=("44150",))
    r.patient(4, born(60))
    r.problem(4, "Z90.11")
    r.claim(4, date(2019, 5, 1), dx=("Z9012",))
    r.procedure(4, "385763009", date(2025, 1, 5), SNOMED)  # hospice, last year
    r.patient(5, born(70))
    r.claim(5, date(2026, 4, 1), claim_type="hospice")
    return r


@pytest.mark.spark
def test_care_gap_marts_are_equal_on_duckdb_and_spark(tmp_path):
    """The parity test runs every mart on the demo fixture; this one reaches every branch."""
    from test_spark_parity import duckdb_rows_equal_on_spark

    folder = _every_branch().write(tmp_path / "snapshot")
    marts = ("care_gap_evidence", "care_gap_bp", "care_gap")
    rows = duckdb_rows_equal_on_spark(folder, T, ["care_gap"], marts)
    out = {(r["patient_id"], r["gap_id"]): r["status"] for r in rows["care_gap"]}
    assert (
        out[1, "GAP-001"] == "open" and out[1, "GAP-007"] == "open" and out[1, "GAP-009"] == "open"
    )
    assert out[1, "GAP-008"] == "closed" and out[2, "GAP-007"] == "closed"
    assert (2, "GAP-001") not in out and (3, "GAP-009") not in out and (3, "GAP-004") not in out
    assert (4, "GAP-005") not in out and (4, "GAP-002") in out
    assert not [k for k in out if k[0] == 5]
