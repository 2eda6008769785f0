"""Chronic-condition value sets (medicare-rules.md §4; CCM-001, BILL-009).

Compares careloop's own ICD-10-CM value sets with the CMS CCW reference list in
``shared/data/codesets/tuva_value_sets_2024-02/chronic_conditions`` code by code, and checks that
the SNOMED CT value set covers every chronic condition present in the shared Synthea data. Tests
that read shared data FAIL (never skip) when it is missing.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import json
import os
import subprocess
import sys
import tomllib
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

from careloop.analytics import chronic_conditions as cc
from careloop.analytics.chronic_conditions import (
    CONDITIONS,
    conditions_for_icd10,
    conditions_for_snomed,
    disqualifying_conditions_for_icd10,
    distinct_chronic_conditions,
    is_chronic_icd10,
    is_chronic_snomed,
    parse_icd10_entry,
)

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "chronic-conditions.md"
SNOMED = "http://snomed.info/sct"


def shared_data() -> Path:
    root = Path(os.environ.get("CARELOOP_SHARED_DATA", REPO / ".." / "shared" / "data"))
    if not root.is_dir():
        pytest.fail(f"shared test data not found at {root} (set CARELOOP_SHARED_DATA)")
    return root


def reference_csv() -> Path:
    path = (
        shared_data()
        / "codesets/tuva_value_sets_2024-02/chronic_conditions"
        / "chronic_conditions__cms_chronic_conditions_hierarchy.csv"
    )
    if not path.is_file():
        pytest.fail(f"CCW reference list missing: {path}")
    return path


@cache
def reference_rows() -> tuple[dict[str, str], ...]:
    with reference_csv().open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))


def reference_codes(inclusion: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for row in reference_rows():
        if row["code_system"] == "ICD-10-CM" and row["inclusion_type"] == inclusion:
            out[row["condition_column_name"]].add(row["code"].strip())
    return out


# ---------------------------------------------------------------------------------------------
# Every difference between careloop's ICD-10-CM value sets and the reference, with its reason.
# A reference code that careloop does not match: (condition id, code) -> justification.
NOT_MATCHED: dict[tuple[str, str], str] = {}

# A code of the reference list (any condition) that careloop maps to a condition whose reference
# list does not have it: (condition id, code) -> justification. Codes outside the reference list
# cannot be seen offline; they are listed in docs/chronic-conditions.md ("Beyond the reference").
OVER_INCLUDED: dict[tuple[str, str], str] = {
    ("depressive_disorders", "F328"): (
        "F32.8 'Other depressive episodes' was a billable code before FY2022 and is a depressive "
        "disorder; the reference lists it for the Common depression category and its child F32.89 "
        "for Depressive Disorders. careloop writes the category as F32-F33 less F32.81 "
        "(premenstrual dysphoric disorder), which keeps F32.8."
    ),
}


@pytest.mark.shared_data
def test_reference_codes_are_matched_per_condition_and_overall() -> None:
    include = reference_codes("Include")
    assert set(include) == set(CONDITIONS), "condition ids differ from the CCW reference"
    total = matched = 0
    lines = []
    unmatched: dict[tuple[str, str], str] = {}
    for cid in sorted(include, key=lambda c: CONDITIONS[c].ccw_id):
        codes = include[cid]
        hit = {code for code in codes if cid in conditions_for_icd10(code, include_acute=True)}
        for code in codes - hit:
            unmatched[(cid, code)] = NOT_MATCHED.get((cid, code), "NOT JUSTIFIED")
        total += len(codes)
        matched += len(hit)
        lines.append(f"{len(hit) / len(codes):7.2%} {len(hit):4}/{len(codes):<4} {cid}")
    print("\nreference ICD-10-CM codes matched, per condition (worst first):")
    print("\n".join(sorted(lines)[:10]))
    print(f"overall: {matched}/{total} = {matched / total:.4%}")
    for (cid, code), why in sorted(unmatched.items()):
        print(f"not matched: {cid} {code}: {why}")
    assert matched / total >= 0.99
    assert set(unmatched) == set(NOT_MATCHED), "every unmatched code needs a justification"


@pytest.mark.shared_data
def test_codes_beyond_the_reference_are_justified() -> None:
    include = reference_codes("Include")
    every_code = {
        row["code"].strip() for row in reference_rows() if row["code_system"] == "ICD-10-CM"
    }
    over = {
        (cid, code): "NOT JUSTIFIED"
        for code in every_code
        for cid in conditions_for_icd10(code, include_acute=True)
        if code not in include[cid]
    }
    for (cid, code), why in sorted(OVER_INCLUDED.items()):
        print(f"beyond the reference: {cid} {code}: {why}")
    assert set(over) == set(OVER_INCLUDED)
    text = DOCS.read_text(encoding="utf-8")
    for _, code in OVER_INCLUDED:
        assert code in text, f"{code} is not explained in {DOCS.name}"


@pytest.mark.shared_data
def test_disqualifying_codes_match_the_reference_exclusions() -> None:
    """CC-005: the reference's Exclude rows (Stroke/TIA trauma codes, BPH) are claim exclusions."""
    exclude = reference_codes("Exclude")
    assert exclude, "the reference has exclusion rows"
    every_code = {
        row["code"].strip() for row in reference_rows() if row["code_system"] == "ICD-10-CM"
    }
    for code in every_code:
        expected = {cid for cid, codes in exclude.items() if code in codes}
        assert disqualifying_conditions_for_icd10(code) == expected, code


@pytest.mark.shared_data
def test_condition_metadata_matches_the_reference() -> None:
    seen: dict[str, dict[str, str]] = {}
    for row in reference_rows():
        seen.setdefault(row["condition_column_name"], row)
    assert len(CONDITIONS) == 75
    for cid, row in seen.items():
        cond = CONDITIONS[cid]
        assert cond.ccw_id == int(row["condition_id"])
        assert cond.name == row["condition"]
        assert cond.category == row["condition_category"]
        assert cond.chronic_condition_type == row["chronic_condition_type"]
        assert cond.claims_qualification == row["claims_qualification"]
    assert sum(c.is_common for c in CONDITIONS.values()) == 30


def test_reference_periods_follow_the_rules_table() -> None:
    """§4.1 table: 2-year conditions; the other Common ones 1 year; OCPDC 2 years (CONFIG)."""
    two_years = {
        "alzheimers_disease",
        "chronic_kidney_disease",
        "diabetes",
        "heart_failure_and_non_ischemic_heart_disease",
        "ischemic_heart_disease",
        "non_alzheimers_dementia",
        "parkinsons_disease_and_secondary_parkinsonism",
        "rheumatoid_arthritis_osteoarthritis",
    }
    for cid, cond in CONDITIONS.items():
        if cond.is_common:
            assert cond.reference_years == (2 if cid in two_years else 1), cid
        else:
            assert cond.reference_years == 2, cid
        assert cond.source and cond.qualifying_claims


def test_claims_rules_are_structured() -> None:
    ami = CONDITIONS["acute_myocardial_infarction"].qualifying_claims
    assert [(q.count, q.claim_types) for q in ami] == [(1, frozenset({"IP"}))]
    dm = CONDITIONS["diabetes"].qualifying_claims
    assert [(q.count, sorted(q.claim_types)) for q in dm] == [
        (1, ["HHA", "IP", "SNF"]),
        (2, ["CARRIER", "HOP"]),
    ]
    cataract = CONDITIONS["cataract"].qualifying_claims
    assert [(q.count, sorted(q.claim_types)) for q in cataract] == [(1, ["CARRIER", "HOP"])]
    sickle = CONDITIONS["sickle_cell_disease"].qualifying_claims
    assert [q.count for q in sickle] == [3]


# --------------------------------------------------------------------------- range semantics


def test_range_semantics_are_lexicographic_prefix_ranges() -> None:
    low, high, seventh = parse_icd10_entry("N18.3-N18.6")
    assert (low, high, seventh) == ("N183", "N186", None)
    ckd = {"N1830", "N1831", "N1832", "N184", "N185", "N186"}
    for code in ckd:
        assert "chronic_kidney_disease" in conditions_for_icd10(code)
    narrow = dataclasses.replace(
        CONDITIONS["chronic_kidney_disease"],
        id="narrow",
        icd10cm=("N18.3-N18.6",),
        icd10cm_exclude=(),
        disqualifying_icd10cm=(),
    )
    index, lengths = cc._compile({"narrow": narrow})
    assert lengths == (4,)
    assert set(index) == {"N183", "N184", "N185", "N186"}

    def narrow_match(code: str) -> bool:
        c = cc.normalize_icd10(code)
        return len(c) >= 4 and c[:4] in index

    for code in ["N18.30", "N18.31", "N18.4", "N18.5", "N18.6", "N183"]:
        assert narrow_match(code), code
    for code in ["N18.9", "N18.2", "N18", "N17.0", "N19"]:
        assert not narrow_match(code), code
    # digits sort before letters: C81-C86 is C81..C86; C7A sits between C79 and C80
    assert "C8A" not in cc._expand("C81", "C86")
    assert "C7A" in cc._expand("C79", "C80")
    assert cc._expand("S068", "S06A") == ["S068", "S069", "S06A"]


def test_range_semantics_through_the_api() -> None:
    # N18.2 and N18.9 are CKD through the N18 prefix; a narrower set would be N18.3-N18.6
    assert conditions_for_icd10("I10") == {"hypertension"}
    assert conditions_for_icd10("I15.0") == {"hypertension"}
    assert conditions_for_icd10("I16.0") == frozenset()  # hypertensive crisis: I10-I15 only
    # E12 is no ICD-10-CM code, but it sorts inside E08-E13, so it would match (harmless)
    assert conditions_for_icd10("E12.9") == {"diabetes"}
    assert "diabetes" in conditions_for_icd10("E13.9")
    assert conditions_for_icd10("E14") == frozenset()
    # 7th character filter: hip fracture takes initial encounters only
    assert conditions_for_icd10("S72.001A", include_acute=True) == {"hip_pelvic_fracture"}
    assert conditions_for_icd10("S72.001D", include_acute=True) == frozenset()
    # TBI takes sequelae only (S06 /7=S)
    tbi = "traumatic_brain_injury_and_nonpsychotic_mental_disorders_due_to_brain_damage"
    assert conditions_for_icd10("S06.0X1S") == {tbi}
    assert conditions_for_icd10("S06.0X1A") == frozenset()
    # exclusion inside a prefix: hyperlipidemia is E78 less E78.6-E78.9
    assert conditions_for_icd10("E78.5") == {"hyperlipidemia"}
    assert conditions_for_icd10("E78.6") == frozenset()


@pytest.mark.parametrize(
    "entry",
    ["N18.6-N18.3", "N18-N18.6", "18.3", "N18.3 /8=A", "N18.3 /7=", "E1", "E119ABCD", "É11"],
)
def test_bad_entries_are_rejected(entry: str) -> None:
    with pytest.raises(ValueError):
        parse_icd10_entry(entry)


@pytest.mark.parametrize("code", ["E11.9", "e11.9", "E119", " E11.9 ", "E 11.9", "e119\n"])
def test_codes_are_normalized(code: str) -> None:
    assert conditions_for_icd10(code) == {"diabetes"}
    assert is_chronic_icd10(code)


@pytest.mark.parametrize("code", ["", "   ", "Z00.00", "J06.9", "U07.1", "not a code", "12345"])
def test_codes_that_are_not_chronic(code: str) -> None:
    assert conditions_for_icd10(code) == frozenset()
    assert not is_chronic_icd10(code)


def test_acute_ccw_categories_are_not_chronic_by_default() -> None:
    """§0: AMI, pneumonia, hip fracture and acute hepatitis are CCW categories but not chronic."""
    for code, cid in [
        ("I21.4", "acute_myocardial_infarction"),
        ("J18.9", "pneumonia_all_cause"),
        ("S72.001A", "hip_pelvic_fracture"),
        ("B15.9", "hepatitis_a"),
    ]:
        assert conditions_for_icd10(code) == frozenset()
        assert cid in conditions_for_icd10(code, include_acute=True)
        assert not CONDITIONS[cid].chronic


def test_one_code_can_belong_to_two_conditions() -> None:
    assert conditions_for_icd10("E11.22") == {"diabetes", "chronic_kidney_disease"}
    assert conditions_for_icd10("I11.0") == {
        "hypertension",
        "heart_failure_and_non_ischemic_heart_disease",
    }


def test_distinct_chronic_conditions_count_each_condition_once() -> None:
    """BILL-009: two codes of one condition count once; overlapping CCW categories too."""
    assert len(distinct_chronic_conditions(["E11.9", "E11.65"])) == 1
    assert len(distinct_chronic_conditions(["E11.9", "I10"])) == 2
    assert len(distinct_chronic_conditions(["E11.9", "I50.9", "N18.4"])) == 3
    assert distinct_chronic_conditions(["F32.9", "F33.1"]) == {"mood_disorders"}
    assert distinct_chronic_conditions(["J18.9", "Z00.00"]) == frozenset()
    assert distinct_chronic_conditions(snomed_codes=["59621000", "44054006"]) == {
        "hypertension",
        "diabetes",
    }
    assert distinct_chronic_conditions(["I10"], ["59621000"]) == {"hypertension"}


def test_value_sets_are_compact() -> None:
    data = tomllib.loads(cc.ICD10_FILE.read_text(encoding="utf-8"))
    entries = sum(
        len(c.get("icd10cm", [])) + len(c.get("icd10cm_exclude", []))
        for c in data["conditions"].values()
    )
    assert entries < 600, entries  # the reference has 6,206 ICD-10-CM rows
    for cond in CONDITIONS.values():
        for entry in cond.icd10cm + cond.icd10cm_exclude + cond.disqualifying_icd10cm:
            parse_icd10_entry(entry)


def test_lookups_are_cached() -> None:
    cc._icd10.cache_clear()
    for _ in range(3):
        conditions_for_icd10("I50.9")
    info = cc._icd10.cache_info()
    assert info.misses == 1 and info.hits == 2


def test_analytics_module_imports_no_django() -> None:
    code = (
        "import sys, careloop.analytics.chronic_conditions; "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- SNOMED CT


def _synthea_snomed_codes() -> dict[str, str]:
    root = shared_data()
    bundles = sorted((root / "synthea-fhir-r4").glob("*.json.gz"))
    ndjson = root / "bulk-fhir" / "Condition.ndjson"
    if not bundles or not ndjson.is_file():
        pytest.fail(f"Synthea data missing under {root}")
    found: dict[str, str] = {}

    def take(resource: dict) -> None:
        if resource.get("resourceType") != "Condition":
            return
        for coding in resource.get("code", {}).get("coding", []):
            if coding.get("system") == SNOMED:
                found.setdefault(coding["code"], coding.get("display", ""))

    for path in bundles:
        with gzip.open(path, "rb") as fh:
            bundle = json.load(fh)
        for entry in bundle.get("entry", []):
            take(entry.get("resource", {}))
    with ndjson.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                take(json.loads(line))
    return found


def _snomed_file() -> dict:
    return tomllib.loads(cc.SNOMED_FILE.read_text(encoding="utf-8"))


@pytest.mark.shared_data
def test_every_synthea_snomed_condition_is_mapped_or_judged_not_chronic() -> None:
    data = _snomed_file()
    mapped, not_chronic = data["codes"], data["not_chronic"]
    assert not set(mapped) & set(not_chronic), "a code cannot be both mapped and not chronic"
    found = _synthea_snomed_codes()
    forgotten = {
        code: display
        for code, display in found.items()
        if code not in mapped and code not in not_chronic
    }
    assert not forgotten, f"Synthea SNOMED CT codes neither mapped nor judged: {forgotten}"
    # the lists stay honest: what they say is in the Synthea data is there
    stale = {c for c, row in mapped.items() if row["synthea"]} - set(found)
    assert not stale, f"marked synthea = true but not in the data: {stale}"
    assert set(not_chronic) <= set(found), set(not_chronic) - set(found)
    for code in not_chronic:
        assert not_chronic[code]["reason"]
        assert conditions_for_snomed(code, include_acute=True) == frozenset()
    chronic = sorted(c for c in found if is_chronic_snomed(c))
    print(f"\nSynthea SNOMED CT condition codes: {len(found)}, chronic {len(chronic)}")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("59621000", {"hypertension"}),
        ("44054006", {"diabetes"}),
        ("55822004", {"hyperlipidemia"}),
        ("431855005", {"chronic_kidney_disease"}),
        ("431856006", {"chronic_kidney_disease"}),
        ("185086009", {"chronic_obstructive_pulmonary_disease"}),
        ("195967001", {"asthma"}),
        ("88805009", {"heart_failure_and_non_ischemic_heart_disease"}),
        ("49436004", {"atrial_fibrillation_and_flutter"}),
        ("26929004", {"alzheimers_disease"}),
        ("64859006", {"osteoporosis_with_or_without_pathological_fracture"}),
        ("239873007", {"rheumatoid_arthritis_osteoarthritis"}),
        ("69896004", {"rheumatoid_arthritis_osteoarthritis"}),
        (
            "370143000",
            {"depression_bipolar_or_other_depressive_mood_disorders", "depressive_disorders"},
        ),
        ("254837009", {"cancer_breast"}),
        ("271737000", {"anemia"}),
        ("162864005", {"obesity"}),
        ("127013003", {"diabetes", "chronic_kidney_disease"}),
        ("15777000", set()),  # prediabetes is not diabetes (CCW)
        ("233604007", set()),  # pneumonia: acute
        ("444814009", set()),  # viral sinusitis
        (" 59621000 ", {"hypertension"}),
        ("", set()),
    ],
)
def test_snomed_examples(code: str, expected: set[str]) -> None:
    assert conditions_for_snomed(code) == expected
    assert is_chronic_snomed(code) == bool(expected)


def test_snomed_codes_point_to_known_conditions() -> None:
    data = _snomed_file()
    for code, row in data["codes"].items():
        assert code.isdigit()
        assert row["conditions"] and set(row["conditions"]) <= set(CONDITIONS), code
        assert conditions_for_snomed(code, include_acute=True) == set(row["conditions"])
