"""CMS-HCC in the analytics pipeline: the step between the SQL marts ``hcc_member`` /
``hcc_diagnosis`` and ``hcc_score`` / ``hcc_driver`` (docs/decisions/0011-risk-marts-and-hcc-step.md).

The scorer is DuckDB SQL (``score.py``) and does not transpile to Spark, so the pipeline runs it as
a step on either engine: it reads the two input marts from the engine as Arrow tables, scores them
in an in-process DuckDB, and hands two tables back for the engine to register:

- ``hcc_result``: one row per member: V28 segment, score in thousandths, payment HCCs (HCC-004);
- ``hcc_term``: the terms of each score (``drivers.score_terms``), plus ``suspect`` rows: HCCs that
  the problem list alone gives (HCC-003: not a risk-adjustment source, not in the score), found by
  scoring the diagnoses with the problem list added and keeping the HCCs the first score lacks.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from careloop.analytics.risk_reference import hcc_years

from .drivers import score_terms
from .extract import MEMBER_COLUMNS
from .model import DEFINITIONS
from .score import score_members
from .tables import hcc_labels, load_tables

if TYPE_CHECKING:
    from careloop.analytics.engine import Engine
    from careloop.analytics.reference import AnalyticsConfig

__all__ = ["HCC_INPUTS", "HCC_OUTPUTS", "MODEL", "term_label", "run_hcc_step"]

MODEL = "V28"
HCC_INPUTS = frozenset({"hcc_member", "hcc_diagnosis"})
HCC_OUTPUTS = ("hcc_result", "hcc_term")

_GROUP_WORDS = {
    "CANCER": "cancer",
    "DIABETES": "diabetes",
    "CARD_RESP_FAIL": "cardio-respiratory failure",
    "HF": "heart failure",
    "CHR_LUNG": "chronic lung disorder",
    "KIDNEY": "kidney disease",
    "SUBUSE": "substance use disorder",
    "PSYCH": "psychiatric disorder",
    "NEURO": "neurological disorder",
    "ULCER": "pressure ulcer",
    "HCC238": "specified heart arrhythmias",
    "DISABLED": "disabled",
}
_WORDS = {
    "MCAID": "Medicaid",
    "NMCAID": "not Medicaid",
    "ORIGDIS": "originally disabled",
    "NORIGDIS": "not originally disabled",
    "ORIGINALLYDISABLED": "originally disabled",
    "ORIGINALLY": "originally",
    "ESRD": "ESRD",
    "FBD": "full-benefit dual",
    "FBDUAL": "full-benefit dual",
    "PBDUAL": "partial-benefit dual",
    "ND": "non-dual or",
    "PBD": "partial-benefit dual",
    "LTI": "long-term institutional",
    "LTIMCAID": "long-term institutional, Medicaid",
    "GE65": "65 or older",
    "LT65": "under 65",
    "NONAGED": "under 65",
}
_CELL = re.compile(r"^(NE)?([FM])(\d+)(?:_(\d+|GT))?$")


def _cell_words(token: str) -> str | None:
    match = _CELL.match(token)
    if not match:
        return None
    ne, sex, low, high = match.groups()
    ages = f"{low}+" if high == "GT" else f"{low}-{high}" if high else low
    return ", ".join(
        w
        for w in ("new enrollee" if ne else "", "female" if sex == "F" else "male", f"age {ages}")
        if w
    )


def term_label(kind: str, term: str, hcc: int | None) -> str:
    """A short human label of one term, for the chart's risk drivers."""
    if kind == "hcc" and hcc is not None:
        return hcc_labels(MODEL).get(hcc, term)
    if kind == "count":
        n = term[1:]
        return (
            "10 or more payment HCCs" if n == "10P" else f"{n} payment HCC{'s' if n != '1' else ''}"
        )
    if kind == "interaction":
        for name, a, b in DEFINITIONS[MODEL].interactions:
            if name.upper() == term:
                return f"{_GROUP_WORDS.get(a, a.lower())} × {_GROUP_WORDS.get(b, b.lower())}"
        return term
    cell = _cell_words(term)
    if cell:
        return cell
    words = [_cell_words(t) or _WORDS.get(t, t.lower()) for t in term.split("_")]
    return ", ".join(words)


def run_hcc_step(engine: Engine, as_of: date, cfg: AnalyticsConfig) -> dict[str, pa.Table]:
    """Score the members of ``hcc_member`` on the diagnoses of ``hcc_diagnosis`` (see module)."""
    _, _, tables_year = hcc_years(as_of, cfg.hcc_payment_year)
    load_tables(MODEL, tables_year)  # fail early on a missing table
    con = duckdb.connect()
    try:
        # only the columns the scorer needs leave the engine (on Spark: collected to the driver)
        members = engine.run_sql(
            f"SELECT {', '.join(MEMBER_COLUMNS)} FROM hcc_member ORDER BY patient_id"
        )
        con.register(
            "_step_dx",
            engine.run_sql(
                "SELECT patient_id, icd10, max(CASE WHEN acceptable THEN 1 ELSE 0 END) = 1"
                " AS acceptable FROM hcc_diagnosis GROUP BY patient_id, icd10"
            ),
        )
        accepted = con.sql(
            "SELECT patient_id, icd10 FROM _step_dx WHERE acceptable"
        ).to_arrow_table()
        scores = score_members(members, accepted, model=MODEL, payment_year=tables_year)
        terms = score_terms(members, accepted, model=MODEL, payment_year=tables_year)
        # suspects: rescore with the problem list only the members that have a code there alone
        con.register("_step_member", members)
        with_problems = con.sql(
            "SELECT patient_id, icd10 FROM _step_dx WHERE patient_id IN"
            " (SELECT patient_id FROM _step_dx WHERE NOT acceptable)"
        ).to_arrow_table()
        problem_members = con.sql(
            "SELECT * FROM _step_member WHERE patient_id IN"
            " (SELECT patient_id FROM _step_dx WHERE NOT acceptable)"
        ).to_arrow_table()
        possible = score_terms(
            problem_members, with_problems, model=MODEL, payment_year=tables_year
        )
        con.register("_step_scores", scores)
        con.register("_step_terms", terms)
        con.register("_step_possible", possible)
        result = con.sql(
            """SELECT CAST(patient_id AS BIGINT) AS patient_id, segment,
                      CAST(milli AS BIGINT) AS milli,
                      CAST(hccs AS INTEGER[]) AS hccs
               FROM (SELECT patient_id, segment, CAST(round(raw_score * 1000) AS BIGINT) AS milli,
                            hccs FROM _step_scores)
               ORDER BY patient_id"""
        ).to_arrow_table()
        term_rows = con.sql(
            """SELECT CAST(patient_id AS BIGINT) AS patient_id, kind, term,
                      CAST(hcc AS INTEGER) AS hcc, CAST(milli AS BIGINT) AS milli,
                      coalesce(source_codes, []::VARCHAR[]) AS source_codes, false AS suspect
               FROM _step_terms
               UNION ALL
               SELECT CAST(p.patient_id AS BIGINT), p.kind, p.term, CAST(p.hcc AS INTEGER),
                      CAST(p.milli AS BIGINT), p.source_codes, true
               FROM _step_possible p
               ANTI JOIN (SELECT patient_id, hcc FROM _step_terms WHERE kind = 'hcc') t
                 ON t.patient_id = p.patient_id AND t.hcc = p.hcc
               WHERE p.kind = 'hcc'
               ORDER BY patient_id, suspect, kind, hcc, term"""
        ).to_arrow_table()
        # a label per distinct term (a few hundred), not per member's term (millions at 1M)
        con.register("_step_term_rows", term_rows)
        distinct = con.sql("SELECT DISTINCT kind, term, hcc FROM _step_term_rows").fetchall()
        con.register(
            "_step_labels",
            pa.table(
                {
                    "kind": [k for k, _, _ in distinct],
                    "term": [t for _, t, _ in distinct],
                    "hcc": pa.array([h for _, _, h in distinct], pa.int32()),
                    "label": [term_label(k, t, h) for k, t, h in distinct],
                }
            ),
        )
        term_rows = con.sql(
            """SELECT r.*, l.label FROM _step_term_rows AS r
               JOIN _step_labels AS l
                 ON l.kind = r.kind AND l.term = r.term AND l.hcc IS NOT DISTINCT FROM r.hcc
               ORDER BY r.patient_id, r.suspect, r.kind, r.hcc, r.term"""
        ).to_arrow_table()
    finally:
        con.close()
    return {"hcc_result": result, "hcc_term": term_rows}
