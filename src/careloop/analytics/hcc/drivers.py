"""The terms of each member's CMS-HCC score: the "risk drivers" of the chart (HCC-004).

``score_terms`` runs the scoring statement of ``score.build_sql`` with its last step listing the
terms instead of summing them, so the drivers and the score come from the same SQL (one scorer):
per member the demographic factors (``F75_79``, ``MCAID_FEMALE_AGED``, ...), each payment HCC
after hierarchies with the ICD-10-CM codes that produced it, the interaction terms
(``DIABETES_HF_V28``) and the payment-HCC count (``D3``). The ``milli`` of a member's terms add up
to its score's ``milli`` exactly; HCCs whose factor is 0 in the segment (new enrollees) are listed
with coefficient 0, other zero terms are left out.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from .score import _check_segments, _raw_scores, _register
from .tables import load_tables

__all__ = ["TERM_COLUMNS", "score_terms"]

TERM_COLUMNS = ("patient_id", "segment", "kind", "term", "hcc", "milli", "source_codes")


def score_terms(
    members: Any,
    diagnoses: Any,
    *,
    model: str = "V28",
    payment_year: int = 2026,
    switch_edits: bool = True,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> pa.Table:
    """One row per member and term (``TERM_COLUMNS``), members in input order; the inputs are
    those of ``score.score_members``."""
    tables = load_tables(model, payment_year)
    con = connection if connection is not None else duckdb.connect()
    try:
        m = _register(con, "_hcc_members", members)
        d = _register(con, "_hcc_diagnoses", diagnoses)
        _check_segments(con, m)
        name = _raw_scores(con, m, d, tables, switch_edits, output="terms")
        return con.sql(
            f"SELECT {', '.join(TERM_COLUMNS)} FROM {name} ORDER BY rid, kind, hcc, term"
        ).to_arrow_table()
    finally:
        if connection is None:
            con.close()
