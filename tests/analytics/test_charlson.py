"""Charlson comorbidity index (medicare-rules.md §5.2 CHR-001/CHR-002) against comorbidipy.

comorbidipy (``comorbidity(score="charlson", icd="icd10", variant="quan")``) is an independent
implementation of the same Quan 2005 ICD-10 coding. On a few thousand generated patients the
conditions found must be the same, the Charlson 1987 scores equal, and the Quan 2011 scores equal
except where comorbidipy's weight table is wrong:

- **comorbidipy defect C1 — AIDS/HIV weighs 2 in its "quan" weights**; Quan et al. 2011
  (Am J Epidemiol 173:676, Table 2) give 4 (the updated index's maximum of 24 needs it).
  careloop uses 4, so patients with HIV score exactly 2 more.

comorbidipy 0.5 imports ``pandas.core.common.SettingWithCopyWarning``, which pandas 3 no longer
has; the test supplies that name before importing it. Pure: runs with ``-p no:django``.
"""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from careloop.analytics.charlson import (
    CONDITIONS,
    charlson_index,
    conditions_for_codes,
    score_charlson,
)

# comorbidipy column -> careloop condition id
COMORBIDIPY = {
    "ami": "mi", "chf": "chf", "pvd": "pvd", "cevd": "cevd", "dementia": "dementia",
    "copd": "cpd", "rheumd": "rheum", "pud": "pud", "mld": "mild_liver", "diab": "diabetes",
    "diabwc": "diabetes_complicated", "hp": "hemiplegia", "rend": "renal",
    "canc": "malignancy", "msld": "severe_liver", "metacanc": "metastatic", "aids": "hiv",
}  # fmt: skip

PATIENTS = 3000


def _comorbidipy():
    import pandas as pd
    import pandas.core.common as pcc

    if not hasattr(pcc, "SettingWithCopyWarning"):
        pcc.SettingWithCopyWarning = type("SettingWithCopyWarning", (Warning,), {})
    from comorbidipy import comorbidity

    return pd, comorbidity


def _patients(seed: int = 7) -> dict[str, list[str]]:
    """Patients with 0-12 codes: every Charlson category as written and extended to an
    ICD-10-CM subcode, and non-Charlson codes. (A vocabulary of ~700 codes keeps comorbidipy,
    whose pandas ``replace`` is slow per distinct code, fast.)"""
    rng = random.Random(seed)
    vocabulary = []
    for c in CONDITIONS:
        for code in c.codes:
            vocabulary += [code, code + rng.choice(["0", "1", "9", "21", "A"])]
    other = ["I10", "E785", "M179", "Z0000", "R51", "K219", "N400", "J069", "S72001A"]
    patients: dict[str, list[str]] = {}
    for i in range(PATIENTS):
        n = rng.randint(0, 12)
        patients[f"p{i:05d}"] = [
            rng.choice(vocabulary) if rng.random() < 0.6 else rng.choice(other) for _ in range(n)
        ]
    return patients


@pytest.fixture(scope="module")
def reference():
    pd, comorbidity = _comorbidipy()
    patients = _patients()
    rows = [(pid, code) for pid, codes in patients.items() for code in codes]
    df = pd.DataFrame(rows, columns=["id", "code"])
    out = {}
    for weighting in ("quan", "charlson"):
        result = comorbidity(df, age=None, weighting=weighting)
        out[weighting] = result.set_index("id")
    return patients, out


def test_conditions_match_comorbidipy(reference) -> None:
    patients, ref = reference
    frame = ref["charlson"]
    for pid, codes in patients.items():
        if pid not in frame.index:
            assert not conditions_for_codes(codes), pid
            continue
        theirs = {COMORBIDIPY[c] for c in COMORBIDIPY if frame.loc[pid, c] == 1}
        assert conditions_for_codes(codes) == theirs, pid


def test_charlson_1987_weights_equal_comorbidipy(reference) -> None:
    patients, ref = reference
    frame = ref["charlson"]
    for pid, codes in patients.items():
        theirs = int(frame.loc[pid, "comorbidity_score"]) if pid in frame.index else 0
        assert charlson_index(codes, "charlson1987") == theirs, pid


def test_quan_2011_weights_equal_comorbidipy_but_defect_c1(reference) -> None:
    patients, ref = reference
    frame = ref["quan"]
    with_hiv = 0
    for pid, codes in patients.items():
        theirs = int(frame.loc[pid, "comorbidity_score"]) if pid in frame.index else 0
        ours = charlson_index(codes)
        if "hiv" in conditions_for_codes(codes):
            with_hiv += 1
            assert ours == theirs + 2, pid  # defect C1: HIV 4 (Quan 2011), not 2
        else:
            assert ours == theirs, pid
    assert with_hiv > 50


def test_sql_equals_python(reference) -> None:
    patients, _ = reference
    table = pa.table(
        {
            "patient_id": [p for p, codes in patients.items() for _ in codes],
            "icd10": [c for codes in patients.values() for c in codes],
        }
    )
    for weights in ("quan2011", "charlson1987"):
        sql = {r["patient_id"]: r for r in score_charlson(table, weights).to_pylist()}
        for pid, codes in patients.items():
            expected = charlson_index(codes, weights)
            got = sql[pid]["charlson_index"] if pid in sql else 0
            assert got == expected, (pid, weights)


def test_hierarchy_and_weights_by_hand() -> None:
    # metastatic tumour hides any malignancy; severe liver hides mild; complicated diabetes
    # hides uncomplicated (CHR-001)
    codes = ["C787", "C3490", "K7030", "I8500", "E1122", "E119", "B20"]
    assert conditions_for_codes(codes) == {
        "metastatic", "malignancy", "mild_liver", "severe_liver", "diabetes",
        "diabetes_complicated", "hiv",
    }  # fmt: skip
    assert charlson_index(codes) == 6 + 4 + 1 + 4  # the maximum-24 weights of Quan 2011
    assert charlson_index(codes, "charlson1987") == 6 + 3 + 2 + 6
    assert charlson_index(["E11.9", "i50.9"]) == 2  # dots and case do not matter
    assert charlson_index([]) == 0
