"""Charlson comorbidity index (medicare-rules.md §5.2 CHR-001, CHR-002). No Django here.

Coding: Quan H, Sundararajan V, Halfon P, et al. *Coding algorithms for defining comorbidities
in ICD-9-CM and ICD-10 administrative data.* Med Care 2005;43(11):1130-9, Table 1, the enhanced
ICD-10 Charlson algorithm (17 conditions), applied to ICD-10-CM codes by prefix: a code belongs to
a condition when it starts with one of the condition's ICD-10 categories or subcategories
(``I21`` matches ``I2101``; ``E105`` matches ``E1051``). The entries below are transcribed from
the paper, ranges written out.

Weights (``WEIGHTS``):

- ``"quan2011"`` (default, CHR-001): Quan H, Li B, Couris CM, et al. *Updating and validating
  the Charlson comorbidity index and score for risk adjustment in hospital discharge abstracts
  using data from 6 countries.* Am J Epidemiol 2011;173(6):676-82, Table 2 (maximum 24);
- ``"charlson1987"`` (CHR-002, the LACE "C"): Charlson ME, Pompei P, Ales KL, MacKenzie CR.
  J Chronic Dis 1987;40(5):373-83.

Hierarchy (CHR-001): only the more severe of mild vs moderate/severe liver disease, diabetes
without vs with complications, any malignancy vs metastatic solid tumour counts.

Two ways to compute it: :func:`charlson_index` for one patient's codes (pure Python), and
:func:`charlson_sql` / :func:`score_charlson` for a whole population in DuckDB (a code-prefix
table joined to the diagnoses, no Python loop over patients).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = [
    "CONDITIONS",
    "WEIGHTS",
    "HIERARCHY",
    "Condition",
    "conditions_for_codes",
    "charlson_index",
    "prefix_rows",
    "charlson_sql",
    "score_charlson",
]


@dataclass(frozen=True)
class Condition:
    id: str
    name: str
    codes: tuple[str, ...]  # ICD-10 categories/subcategories, without dots


def _span(letter: str, lo: int, hi: int, width: int = 2) -> tuple[str, ...]:
    """``_span("I", 60, 69)`` -> I60 ... I69; ``_span("N03", 2, 7, 1)`` -> N032 ... N037."""
    return tuple(f"{letter}{i:0{width}d}" for i in range(lo, hi + 1))


def _dm(digits: str) -> tuple[str, ...]:
    return tuple(f"E1{n}{d}" for n in "01234" for d in digits)


CONDITIONS: tuple[Condition, ...] = (
    Condition("mi", "Myocardial infarction", ("I21", "I22", "I252")),
    Condition(
        "chf",
        "Congestive heart failure",
        ("I099", "I110", "I130", "I132", "I255", "I420", *_span("I42", 5, 9, 1), "I43", "I50")
        + ("P290",),
    ),
    Condition(
        "pvd",
        "Peripheral vascular disease",
        ("I70", "I71", "I731", "I738", "I739", "I771", "I790", "I792", "K551", "K558", "K559")
        + ("Z958", "Z959"),
    ),
    Condition("cevd", "Cerebrovascular disease", ("G45", "G46", "H340", *_span("I", 60, 69))),
    Condition("dementia", "Dementia", (*_span("F", 0, 3), "F051", "G30", "G311")),
    Condition(
        "cpd",
        "Chronic pulmonary disease",
        ("I278", "I279", *_span("J", 40, 47), *_span("J", 60, 67), "J684", "J701", "J703"),
    ),
    Condition(
        "rheum",
        "Rheumatic disease",
        ("M05", "M06", "M315", *_span("M", 32, 34), "M351", "M353", "M360"),
    ),
    Condition("pud", "Peptic ulcer disease", _span("K", 25, 28)),
    Condition(
        "mild_liver",
        "Mild liver disease",
        ("B18", *_span("K70", 0, 3, 1), "K709", *_span("K71", 3, 5, 1), "K717", "K73", "K74")
        + ("K760", *_span("K76", 2, 4, 1), "K768", "K769", "Z944"),
    ),
    Condition("diabetes", "Diabetes without chronic complication", _dm("01689")),
    Condition("diabetes_complicated", "Diabetes with chronic complication", _dm("23457")),
    Condition(
        "hemiplegia",
        "Hemiplegia or paraplegia",
        ("G041", "G114", "G801", "G802", "G81", "G82", *_span("G83", 0, 4, 1), "G839"),
    ),
    Condition(
        "renal",
        "Renal disease",
        ("I120", "I131", *_span("N03", 2, 7, 1), *_span("N05", 2, 7, 1), "N18", "N19", "N250")
        + (*_span("Z49", 0, 2, 1), "Z940", "Z992"),
    ),
    Condition(
        "malignancy",
        "Any malignancy, including lymphoma and leukaemia, except malignant neoplasm of skin",
        (*_span("C", 0, 26), *_span("C", 30, 34), *_span("C", 37, 41), "C43")
        + (*_span("C", 45, 58), *_span("C", 60, 76), *_span("C", 81, 85), "C88")
        + _span("C", 90, 97),
    ),
    Condition(
        "severe_liver",
        "Moderate or severe liver disease",
        ("I850", "I859", "I864", "I982", "K704", "K711", "K721", "K729", "K765", "K766", "K767"),
    ),
    Condition("metastatic", "Metastatic solid tumour", _span("C", 77, 80)),
    Condition("hiv", "AIDS/HIV", (*_span("B", 20, 22), "B24")),
)

WEIGHTS: dict[str, dict[str, int]] = {
    "quan2011": {
        "mi": 0, "chf": 2, "pvd": 0, "cevd": 0, "dementia": 2, "cpd": 1, "rheum": 1, "pud": 0,
        "mild_liver": 2, "diabetes": 0, "diabetes_complicated": 1, "hemiplegia": 2, "renal": 1,
        "malignancy": 2, "severe_liver": 4, "metastatic": 6, "hiv": 4,
    },
    "charlson1987": {
        "mi": 1, "chf": 1, "pvd": 1, "cevd": 1, "dementia": 1, "cpd": 1, "rheum": 1, "pud": 1,
        "mild_liver": 1, "diabetes": 1, "diabetes_complicated": 2, "hemiplegia": 2, "renal": 2,
        "malignancy": 2, "severe_liver": 3, "metastatic": 6, "hiv": 6,
    },
}  # fmt: skip

#: (milder, more severe): the milder one does not count when the severe one is present
HIERARCHY: tuple[tuple[str, str], ...] = (
    ("mild_liver", "severe_liver"),
    ("diabetes", "diabetes_complicated"),
    ("malignancy", "metastatic"),
)


@lru_cache(maxsize=1)
def prefix_rows() -> tuple[tuple[str, str], ...]:
    """``(code prefix, condition id)`` rows: the code -> category table."""
    return tuple((code, c.id) for c in CONDITIONS for code in c.codes)


@lru_cache(maxsize=1)
def _by_prefix() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for code, cid in prefix_rows():
        table.setdefault(code, set()).add(cid)
    return {k: frozenset(v) for k, v in table.items()}


def _normalize(code: str) -> str:
    return code.strip().upper().replace(".", "")


@lru_cache(maxsize=65536)
def _conditions_of(code: str) -> frozenset[str]:
    table = _by_prefix()
    found: set[str] = set()
    for n in (3, 4):
        found |= table.get(code[:n], frozenset())
    return frozenset(found)


def conditions_for_codes(codes: Iterable[str]) -> set[str]:
    """Condition ids present among ICD-10-CM ``codes`` (before the hierarchy)."""
    found: set[str] = set()
    for code in codes:
        found |= _conditions_of(_normalize(code))
    return found


def _apply_hierarchy(found: set[str]) -> set[str]:
    return found - {mild for mild, severe in HIERARCHY if severe in found}


def charlson_index(codes: Iterable[str], weights: str = "quan2011") -> int:
    """The Charlson index of one patient's ICD-10-CM codes."""
    table = WEIGHTS[weights]
    return sum(table[c] for c in _apply_hierarchy(conditions_for_codes(codes)))


def charlson_sql(diagnoses: str, weights: str = "quan2011", prefixes: str = "_charlson") -> str:
    """DuckDB SQL: one row per patient with a Charlson condition (``patient_id``,
    ``charlson_index``, ``conditions`` list). ``diagnoses`` has ``patient_id, icd10``;
    ``prefixes`` is a table of :func:`prefix_rows` (``prefix, condition``)."""
    table = WEIGHTS[weights]
    weight_case = " ".join(f"WHEN '{cid}' THEN {w}" for cid, w in table.items())
    drops = " OR ".join(
        f"(condition = '{mild}' AND list_contains(present, '{severe}'))"
        for mild, severe in HIERARCHY
    )
    return f"""
WITH codes AS (
    SELECT DISTINCT CAST(patient_id AS VARCHAR) AS patient_id,
           upper(replace(trim(CAST(icd10 AS VARCHAR)), '.', '')) AS code
    FROM {diagnoses} WHERE icd10 IS NOT NULL
),
hits AS (
    SELECT c.patient_id, p.condition FROM codes c JOIN {prefixes} p ON p.prefix = left(c.code, 3)
    UNION
    SELECT c.patient_id, p.condition FROM codes c JOIN {prefixes} p ON p.prefix = left(c.code, 4)
),
per_patient AS (
    SELECT patient_id, list(condition) AS present FROM hits GROUP BY patient_id
),
counted AS (
    SELECT patient_id, unnest(present) AS condition, present FROM per_patient
)
SELECT patient_id,
       CAST(sum(CASE condition {weight_case} ELSE 0 END) AS INTEGER) AS charlson_index,
       list(condition ORDER BY condition) AS conditions
FROM counted
WHERE NOT ({drops})
GROUP BY patient_id
"""


def score_charlson(diagnoses: Any, weights: str = "quan2011", connection: Any | None = None) -> Any:
    """Charlson index of every patient in ``diagnoses`` (Arrow table, DataFrame or a table name
    in ``connection``) as an Arrow table; patients without a Charlson condition are absent
    (their index is 0)."""
    import duckdb
    import pyarrow as pa

    con = connection if connection is not None else duckdb.connect()
    try:
        rows = prefix_rows()
        con.register(
            "_charlson",
            pa.table({"prefix": [r[0] for r in rows], "condition": [r[1] for r in rows]}),
        )
        name = diagnoses
        if not isinstance(diagnoses, str):
            con.register("_charlson_dx", diagnoses)
            name = "_charlson_dx"
        return con.sql(charlson_sql(name, weights) + " ORDER BY patient_id").to_arrow_table()
    finally:
        if connection is None:
            con.close()
