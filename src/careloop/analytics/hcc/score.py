"""Vectorized CMS-HCC V24/V28 risk scores in DuckDB SQL (medicare-rules.md §5.1).

``score_members(members, diagnoses)`` scores a whole population in one SQL statement: no Python
loop over members. The steps are those of the CMS software, in hccinfhir's conventions
(HCC-007: equal to ``hccinfhir`` 0.4 ``calculate_raf`` within 0.001):

1. **Segment** (HCC-002): long-term institutional → ``INS``; else new enrollee → ``NE`` (``SNPNE``
   for a C-SNP); else community ``C`` + ``F``/``P``/``N`` (full-, partial-, non-dual) + ``A``/``D``
   (aged ≥ 65 / under 65). An optional ``segment`` column forces the segment (hccinfhir's
   ``prefix_override``).
2. **Demographic cell**: sex × age band (new enrollees: single years 65–69, and a 64-year-old
   with OREC 0 counts as 65); originally-disabled, LTI×Medicaid and new-enrollee Medicaid /
   originally-disabled terms.
3. **HCCs**: ICD-10-CM → CC (dots removed, upper case), the age/sex edits of the CMS macro
   and the V28 MCE age edits (an edit that invalidates a code drops *every* CC of the code, see
   ``docs/decisions/0009-hcc-scoring.md`` for hccinfhir's defect there), V28's HCC 223 rule,
   then the hierarchies.
4. **Interactions** (``model.py``), payment-HCC count ``D1``…``D10P``.
5. raw = Σ factors of the segment (exact: summed in integer thousandths); normalized = raw ÷ normalization
   factor (HCC-006: **CONFIG**, default 1.0), rounded to 3 decimals.

Inputs are anything DuckDB can scan (Arrow tables, pandas frames) or the names of tables
in ``connection``: members ``patient_id, age, sex, dual_status, orec, crec, new_enrollee,
snp, lti[, segment]`` (sex ``1``/``2`` or ``M``/``F``; codes as in the CMS software), diagnoses
``patient_id, icd10``. The result is an Arrow table, one row per member:
``patient_id, model, payment_year, segment, raw_score, normalized_score, hccs`` (sorted list of
HCC numbers after hierarchies).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from .model import (
    COMMUNITY_SEGMENTS,
    DEFINITIONS,
    FULL_DUAL_CODES,
    MEDICAID_CODES,
    PARTIAL_DUAL_CODES,
    SEGMENTS,
    ModelDefinition,
)
from .tables import BLEND_WEIGHTS, ModelTables, load_tables

__all__ = ["score_members", "score_payment_year", "build_sql", "OUTPUT_COLUMNS"]

OUTPUT_COLUMNS = (
    "patient_id",
    "model",
    "payment_year",
    "segment",
    "raw_score",
    "normalized_score",
    "hccs",
)


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


# New enrollees (not ESRD): single years 65-69; 64 with OREC 0 is put in the 65 cell.
_NE_BAND = """CASE
      WHEN age <= 34 THEN '0_34' WHEN age <= 44 THEN '35_44' WHEN age <= 54 THEN '45_54'
      WHEN age <= 59 THEN '55_59'
      WHEN age <= 63 OR (age = 64 AND coalesce(orec, '0') <> '0') THEN '60_64'
      WHEN age <= 65 THEN '65' WHEN age <= 69 THEN CAST(age AS VARCHAR)
      WHEN age <= 74 THEN '70_74' WHEN age <= 79 THEN '75_79' WHEN age <= 84 THEN '80_84'
      WHEN age <= 89 THEN '85_89' WHEN age <= 94 THEN '90_94' ELSE '95_gt' END"""

_BAND = """CASE
      WHEN age <= 34 THEN '0_34' WHEN age <= 44 THEN '35_44' WHEN age <= 54 THEN '45_54'
      WHEN age <= 59 THEN '55_59' WHEN age <= 64 THEN '60_64' WHEN age <= 69 THEN '65_69'
      WHEN age <= 74 THEN '70_74' WHEN age <= 79 THEN '75_79' WHEN age <= 84 THEN '80_84'
      WHEN age <= 89 THEN '85_89' WHEN age <= 94 THEN '90_94' ELSE '95_gt' END"""

_OREC_CODES = ("0", "1", "2", "3")


def _segment_factors(tables: ModelTables) -> tuple[pa.Table, pa.Table, dict[tuple[int, str], int]]:
    """Split the factor names by segment prefix: HCC factors keyed ``segment*1000 + hcc``
    (with the bit mask of the HCC's disease groups), payment-HCC-count factors keyed
    ``segment*100 + n`` (10 = D10P), and the rest."""
    definition = DEFINITIONS[tables.model]
    masks: dict[int, int] = {}
    for bit, hccs in enumerate(definition.groups.values()):
        for h in hccs:
            masks[int(h)] = masks.get(int(h), 0) | (1 << bit)
    names = tables.coefficients.column("name").to_pylist()
    millis = tables.coefficients.column("milli").to_pylist()
    hcc: dict[int, int] = {}
    count: dict[int, int] = {}
    other: dict[tuple[int, str], int] = {}
    for name, milli in zip(names, millis, strict=True):
        for i, seg in enumerate(SEGMENTS):
            prefix = seg.lower() + "_"
            if not name.startswith(prefix):
                continue
            var = name[len(prefix) :]
            if var.startswith("hcc") and var[3:].isdigit():
                hcc[i * 1000 + int(var[3:])] = milli
            elif var == "d10p":
                count[i * 100 + 10] = milli
            elif var[:1] == "d" and var[1:].isdigit():
                count[i * 100 + int(var[1:])] = milli
            else:
                other[(i, var)] = milli
    all_hccs = set(tables.dx_to_cc.column("cc").to_pylist()) | set(masks)
    all_hccs |= {c for c in tables.edits.column("cc_override").to_pylist() if c is not None}
    keys = [i * 1000 + h for i in range(len(SEGMENTS)) for h in sorted(all_hccs)]
    hcc_table = pa.table(
        {
            "k": pa.array(keys, pa.int32()),
            "milli": pa.array([hcc.get(k, 0) for k in keys], pa.int32()),
            "gmask": pa.array([masks.get(k % 1000, 0) for k in keys], pa.int64()),
        }
    )
    count_table = pa.table(
        {
            "k": pa.array(list(count), pa.int32()),
            "milli": pa.array(list(count.values()), pa.int32()),
        }
    )
    return hcc_table, count_table, other


def build_sql(
    definition: ModelDefinition,
    other_factors: dict[tuple[int, str], int],
    *,
    members: str = "_hcc_members",
    diagnoses: str = "_hcc_diagnoses",
    has_segment: bool = False,
    switch_edits: bool = True,
    output: str = "score",
) -> str:
    """The scoring statement of one model (``output="terms"``: its terms, see ``drivers``). ``members`` must carry a unique integer ``rid``
    (1…n; ``_raw_scores`` numbers them). Registered tables: ``_hcc_dx_to_cc``,
    ``_hcc_edits``, ``_hcc_hierarchy``, ``_hcc_coefficients`` and the per-segment
    ``_hcc_factor_hcc`` / ``_hcc_factor_count`` of :func:`_segment_factors`.

    Per member the statement only normalizes the inputs and packs them into a profile key;
    segment, demographic cell and demographic factors are derived once per distinct profile
    (a few thousand in a million members). Scores are summed in integer thousandths.
    """
    ovr = "upper(nullif(CAST(segment AS VARCHAR), ''))" if has_segment else "NULL"
    seg_case = " ".join(f"WHEN '{s}' THEN {i + 1}" for i, s in enumerate(SEGMENTS))
    seg_names = "[" + ", ".join(f"'{s}'" for s in SEGMENTS) + "]"
    prefixes = "[" + ", ".join(f"'{s.lower()}_'" for s in SEGMENTS) + "]"
    community = _in(COMMUNITY_SEGMENTS)
    orec_case = " ".join(f"WHEN '{c}' THEN {i + 1}" for i, c in enumerate(_OREC_CODES))
    bits = {name: 1 << i for i, name in enumerate(definition.groups)}

    def flag(group: str) -> str:
        return "dis" if group == "DISABLED" else f"(gm & {bits[group]}) <> 0"

    terms = [
        f"(CASE WHEN {flag(a)} AND {flag(b)} THEN CASE pid {whens} ELSE 0 END ELSE 0 END)"
        for _, a, b, whens in _interaction_factors(definition, other_factors)
    ]
    interactions = " +\n             ".join(terms) or "0"
    if definition.requires_other:
        hcc, others = definition.requires_other
        rule = f"""cc2 AS (
    SELECT c.rc FROM cc1 c ANTI JOIN (
        SELECT a.rc FROM (SELECT rc FROM cc1 WHERE rc % 1024 = {hcc}) a
        ANTI JOIN (SELECT rc // 1024 AS g FROM cc1 WHERE rc % 1024 IN ({", ".join(others)})) b
          ON a.rc // 1024 = b.g
    ) x ON x.rc = c.rc
),"""
    else:
        rule = "cc2 AS (SELECT * FROM cc1),"
    mce = "true" if switch_edits else "false"
    if output == "terms":
        final = _terms_select(definition, other_factors, flag, seg_names)
    else:
        final = f"""
SELECT mm.rid, mm.patient_id, {seg_names}[mm.pid + 1] AS segment,
       mm.dmilli + coalesce(h.milli, 0) AS milli,
       coalesce(h.hccs, []::SMALLINT[]) AS hccs
FROM mm LEFT JOIN hscore h ON h.rid = mm.rid"""
    return f"""
WITH m0 AS (
    SELECT rid,
           CAST(patient_id AS VARCHAR) AS patient_id,
           CAST(age AS INTEGER) AS age,
           CASE WHEN CAST(sex AS VARCHAR) IN ('M', 'm', '1') THEN '1' ELSE '2' END AS sex,
           -- dual classes: 1 full dual, 2 partial dual, 3 other Medicaid (07, 09, 10), 0 none
           CASE WHEN d IN {_in(FULL_DUAL_CODES)} THEN 1 WHEN d IN {_in(PARTIAL_DUAL_CODES)} THEN 2
                WHEN d IN {_in(MEDICAID_CODES)} THEN 3 ELSE 0 END AS dual_class,
           nullif(CAST(orec AS VARCHAR), '') AS orec,
           coalesce(CAST(crec AS VARCHAR) IN ('2', '3'), false) AS crec_esrd,
           coalesce(CAST(new_enrollee AS BOOLEAN), false) AS ne0,
           coalesce(CAST(snp AS BOOLEAN), false) AS snp,
           coalesce(CAST(lti AS BOOLEAN), false) AS lti0,
           {ovr} AS ovr
    FROM (SELECT *, CASE WHEN length(CAST(dual_status AS VARCHAR)) = 1
                         THEN '0' || CAST(dual_status AS VARCHAR)
                         ELSE CAST(dual_status AS VARCHAR) END AS d
          FROM {members})
),
m1 AS (
    SELECT *,
           CASE WHEN orec IS NULL THEN 0 ELSE CASE orec {orec_case} ELSE 9 END END AS orec_code,
           coalesce(CASE ovr {seg_case} END, 0) AS ovr_code
    FROM m0
),
mk AS (
    SELECT rid, patient_id, age, sex, dual_class, orec, crec_esrd, ne0, snp, lti0, ovr,
           age * 1000000 + dual_class * 100000 + orec_code * 10000 + ovr_code * 100
             + CAST(sex = '2' AS INTEGER) * 16 + CAST(crec_esrd AS INTEGER) * 8
             + CAST(ne0 AS INTEGER) * 4 + CAST(snp AS INTEGER) * 2 + CAST(lti0 AS INTEGER)
             AS pkey
    FROM m1
),
p0 AS (
    SELECT pkey, any_value(age) AS age, any_value(sex) AS sex, any_value(dual_class) AS dual_class,
           any_value(orec) AS orec, any_value(crec_esrd) AS crec_esrd, any_value(ne0) AS ne0,
           any_value(snp) AS snp, any_value(lti0) AS lti0, any_value(ovr) AS ovr
    FROM mk GROUP BY pkey
),
p1 AS (
    SELECT *,
           age >= 65 AS aged,
           age < 65 AND coalesce(orec <> '0', false) AS disabled,
           coalesce(orec IN ('2', '3'), false) OR crec_esrd AS esrd,
           dual_class > 0 AS mcaid,
           CASE WHEN ovr IN ('NE', 'SNPNE') THEN true
                WHEN ovr IN {community} OR ovr = 'INS' THEN false ELSE ne0 END AS ne,
           CASE WHEN ovr IN ('CFA', 'CFD') THEN true
                WHEN ovr IN ('CPA', 'CPD', 'CNA', 'CND') THEN false
                ELSE dual_class = 1 END AS fbd,
           CASE WHEN ovr IN ('CPA', 'CPD') THEN true
                WHEN ovr IN ('CFA', 'CFD', 'CNA', 'CND') THEN false
                ELSE dual_class = 2 END AS pbd,
           lti0 OR coalesce(ovr = 'INS', false) AS lti
    FROM p0
),
p AS (
    SELECT pkey, age, disabled, aged, mcaid, fbd, pbd, lti,
           ne AND dual_class IN (1, 2) AS nemcaid,
           age >= 65 AND coalesce(orec = '1', false) AS ne_origds,
           coalesce(orec = '1', false) AND NOT disabled AS orig_disabled,
           coalesce(orec IN ('2', '3'), false) AS orig_esrd,
           CASE WHEN sex = '2' THEN 'female' ELSE 'male' END AS sexword,
           CASE WHEN aged THEN 'aged' ELSE 'nonaged' END AS agedword,
           (CASE WHEN ne THEN 'ne' ELSE '' END) || (CASE WHEN sex = '2' THEN 'f' ELSE 'm' END)
             || (CASE WHEN ne AND NOT esrd THEN {_NE_BAND} ELSE {_BAND} END) AS cat,
           CASE WHEN ovr IS NOT NULL THEN CASE ovr {seg_case} END - 1
                WHEN lti THEN 6
                WHEN ne THEN CASE WHEN snp THEN 8 ELSE 7 END
                ELSE (CASE WHEN fbd THEN 2 WHEN pbd THEN 4 ELSE 0 END)
                     + (CASE WHEN aged THEN 0 ELSE 1 END) END AS pid
    FROM p1
),
pvars AS (
    SELECT pkey, {prefixes}[pid + 1] || key AS key FROM (SELECT pkey, pid, unnest([
      cat,
      CASE WHEN aged AND orig_disabled THEN 'originallydisabled_' || sexword END,
      CASE WHEN aged AND orig_esrd THEN 'originally_esrd_' || sexword END,
      CASE WHEN mcaid THEN 'mcaid_' || sexword || '_' || agedword END,
      CASE WHEN lti THEN 'lti_' || agedword END,
      CASE WHEN lti THEN CASE WHEN aged THEN 'lti_ge65' ELSE 'lti_lt65' END END,
      CASE WHEN lti AND mcaid THEN 'ltimcaid' END,
      (CASE WHEN nemcaid THEN 'mcaid_' ELSE 'nmcaid_' END)
        || (CASE WHEN ne_origds THEN 'origdis_' ELSE 'norigdis_' END) || cat,
      (CASE WHEN fbd THEN 'fbd_' ELSE 'nd_pbd_' END)
        || (CASE WHEN ne_origds THEN 'origdis_' ELSE 'norigdis_' END) || cat,
      CASE WHEN fbd THEN 'fbdual_' || sexword || '_' || agedword END,
      CASE WHEN pbd THEN 'pbdual_' || sexword || '_' || agedword END
    ]) AS key FROM p) WHERE key IS NOT NULL
),
pscore AS (
    SELECT p.pkey, p.pid, p.disabled, coalesce(sum(c.milli), 0) AS milli
    FROM p
    LEFT JOIN pvars v ON v.pkey = p.pkey
    LEFT JOIN _hcc_coefficients c ON c.name = v.key
    GROUP BY p.pkey, p.pid, p.disabled
),
mm AS MATERIALIZED (
    SELECT mk.rid, mk.patient_id, mk.age, mk.sex, ps.pid, ps.disabled, ps.milli AS dmilli
    FROM mk JOIN pscore ps ON ps.pkey = mk.pkey
),
d1 AS (
    SELECT CAST(d.patient_id AS VARCHAR) AS patient_id, t.dx, t.cc
    FROM {diagnoses} d
    JOIN _hcc_dx_to_cc t ON t.dx = upper(replace(CAST(d.icd10 AS VARCHAR), '.', ''))
),
ed AS (
    -- packed key: ((rid * 16 + segment) * 2 + disabled) * 1024 + hcc
    SELECT (mm.rid * 32 + mm.pid * 2 + CAST(mm.disabled AS INTEGER)) * 1024 AS base,
           d1.dx, d1.cc, e.action, e.cc_override,
           CASE WHEN e.dx IS NULL THEN false
                WHEN e.edit_type = 'sex' THEN e.sex = mm.sex
                WHEN e.edit_type = 'age' OR (e.edit_type = 'mce_age' AND {mce})
                  THEN coalesce(mm.age <= e.age_max, false) OR coalesce(mm.age >= e.age_min, false)
                ELSE false END AS fires
    FROM d1
    JOIN mm ON mm.patient_id = d1.patient_id
    LEFT JOIN _hcc_edits e ON e.dx = d1.dx
),
cc0 AS (
    SELECT base + CASE WHEN fires AND action = 'override' AND cc_override IS NOT NULL
                       THEN cc_override ELSE cc END AS rc, dx
    FROM ed WHERE NOT (fires AND action = 'invalid')
),
cc1 AS (SELECT DISTINCT rc FROM cc0),
{rule}
excluded AS (
    SELECT c.rc - c.rc % 1024 + h.child AS rc
    FROM cc2 c JOIN _hcc_hierarchy h ON h.parent = c.rc % 1024
),
hset AS (
    SELECT c.rc FROM cc2 c ANTI JOIN excluded x ON x.rc = c.rc
),
hagg AS (
    SELECT h.rc // 1024 AS g, count(*) AS n,
           list(CAST(h.rc % 1024 AS SMALLINT)) AS hccs, sum(f.milli) AS hmilli,
           bit_or(f.gmask) AS gm
    FROM hset h JOIN _hcc_factor_hcc f ON f.k = (h.rc // 2048) % 16 * 1000 + h.rc % 1024
    GROUP BY h.rc // 1024
),
hscore AS (
    SELECT a.g // 32 AS rid, list_sort(a.hccs) AS hccs,
           a.hmilli + coalesce(dc.milli, 0) +
             {interactions} AS milli
    FROM (SELECT *, g // 2 % 16 AS pid, g % 2 = 1 AS dis FROM hagg) a
    LEFT JOIN _hcc_factor_count dc ON dc.k = a.pid * 100 + least(a.n, 10)
)
{final}
"""


def _interaction_factors(
    definition: ModelDefinition, other_factors: dict[tuple[int, str], int]
) -> list[tuple[str, str, str, str]]:
    """(variable, group a, group b, ``WHEN segment THEN milli`` cases) of each interaction that
    has a factor in some segment."""
    found = []
    for name, a, b in definition.interactions:
        whens = " ".join(
            f"WHEN {i} THEN {other_factors[(i, name)]}"
            for i in range(len(SEGMENTS))
            if other_factors.get((i, name))
        )
        if whens:
            found.append((name, a, b, whens))
    return found


def _terms_select(
    definition: ModelDefinition,
    other_factors: dict[tuple[int, str], int],
    flag: Callable[[str], str],
    seg_names: str,
) -> str:
    """The tail of the scoring statement that lists each member's terms instead of summing them
    (HCC-004): demographic factors, HCCs after hierarchies (with the codes behind each),
    interactions and the payment-HCC count. Their ``milli`` add up to the score's ``milli``."""
    interactions = [
        f"""SELECT g // 32 AS rid, 'interaction' AS kind, '{name.upper()}' AS term,
       CAST(NULL AS SMALLINT) AS hcc, CASE pid {whens} ELSE 0 END AS milli,
       CAST(NULL AS VARCHAR[]) AS source_codes
FROM hg WHERE {flag(a)} AND {flag(b)}"""
        for name, a, b, whens in _interaction_factors(definition, other_factors)
    ]
    union = "".join(f"\nUNION ALL\n{sql}" for sql in interactions)
    return f""",
hg AS (SELECT *, g // 2 % 16 AS pid, g % 2 = 1 AS dis FROM hagg),
src AS (
    SELECT h.rc, list_sort(list(DISTINCT c.dx)) AS codes
    FROM hset h JOIN cc0 c ON c.rc = h.rc GROUP BY h.rc
),
terms AS (
SELECT mk.rid, 'demographic' AS kind, upper(substr(v.key, strpos(v.key, '_') + 1)) AS term,
       CAST(NULL AS SMALLINT) AS hcc, c.milli, CAST(NULL AS VARCHAR[]) AS source_codes
FROM mk JOIN pvars v ON v.pkey = mk.pkey JOIN _hcc_coefficients c ON c.name = v.key
UNION ALL
SELECT h.rc // 32768 AS rid, 'hcc' AS kind, 'HCC' || CAST(h.rc % 1024 AS VARCHAR) AS term,
       CAST(h.rc % 1024 AS SMALLINT) AS hcc, f.milli, s.codes AS source_codes
FROM hset h
JOIN _hcc_factor_hcc f ON f.k = (h.rc // 2048) % 16 * 1000 + h.rc % 1024
JOIN src s ON s.rc = h.rc
UNION ALL
SELECT g // 32 AS rid, 'count' AS kind, CASE WHEN n >= 10 THEN 'D10P' ELSE 'D' || CAST(n AS VARCHAR) END,
       CAST(NULL AS SMALLINT) AS hcc, dc.milli, CAST(NULL AS VARCHAR[]) AS source_codes
FROM hg JOIN _hcc_factor_count dc ON dc.k = hg.pid * 100 + least(hg.n, 10){union}
)
SELECT t.rid, mm.patient_id, {seg_names}[mm.pid + 1] AS segment,
       t.kind, t.term, t.hcc, t.milli, t.source_codes
FROM terms t JOIN mm ON mm.rid = t.rid
WHERE t.milli <> 0 OR t.kind = 'hcc'"""


def _register(con: duckdb.DuckDBPyConnection, name: str, obj: Any) -> str:
    if isinstance(obj, str):
        return obj
    con.register(name, obj)
    return name


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def _register_tables(
    con: duckdb.DuckDBPyConnection, tables: ModelTables
) -> dict[tuple[int, str], int]:
    hcc, count, other = _segment_factors(tables)
    con.register("_hcc_dx_to_cc", tables.dx_to_cc)
    con.register("_hcc_edits", tables.edits)
    con.register("_hcc_hierarchy", tables.hierarchy)
    con.register("_hcc_coefficients", tables.coefficients.select(["name", "milli"]))
    con.register("_hcc_factor_hcc", hcc)
    con.register("_hcc_factor_count", count)
    return other


def _raw_scores(
    con: duckdb.DuckDBPyConnection,
    members: str,
    diagnoses: str,
    tables: ModelTables,
    switch_edits: bool,
    output: str = "score",
) -> str:
    """Create a temp table of (rid, patient_id, segment, milli, hccs) — with ``output="terms"``,
    of (rid, patient_id, segment, kind, term, hcc, milli, source_codes) — and return its name."""
    other = _register_tables(con, tables)
    has_segment = "segment" in _columns(con, members)
    # number the members once: every later step is keyed by this integer (``rid``)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _hcc_numbered AS "
        f"SELECT row_number() OVER () AS rid, * FROM {members}"
    )
    sql = build_sql(
        DEFINITIONS[tables.model],
        other,
        members="_hcc_numbered",
        diagnoses=diagnoses,
        has_segment=has_segment,
        switch_edits=switch_edits,
        output=output,
    )
    name = f"_hcc_{'raw' if output == 'score' else 'terms'}_{tables.model.lower()}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
    return name


def _check_segments(con: duckdb.DuckDBPyConnection, members: str) -> None:
    if "segment" not in _columns(con, members):
        return
    bad = con.execute(
        f"SELECT DISTINCT segment FROM {members} WHERE nullif(trim(CAST(segment AS VARCHAR)), '') "
        f"IS NOT NULL AND upper(trim(CAST(segment AS VARCHAR))) NOT IN {_in(SEGMENTS)} LIMIT 5"
    ).fetchall()
    if bad:
        raise ValueError(
            f"unknown segment {bad[0][0]!r}; expected one of {', '.join(SEGMENTS)} or empty"
        )


def score_members(
    members: Any,
    diagnoses: Any,
    *,
    model: str = "V28",
    payment_year: int = 2026,
    normalization_factor: float | Decimal | None = None,
    switch_edits: bool = True,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> pa.Table:
    """Score every member of ``members`` with one CMS-HCC model (see the module docstring)."""
    tables = load_tables(model, payment_year)
    factor = Decimal(str(normalization_factor)) if normalization_factor is not None else None
    if factor is not None and factor <= 0:
        raise ValueError("normalization factor must be positive")
    con = connection if connection is not None else duckdb.connect()
    try:
        m = _register(con, "_hcc_members", members)
        d = _register(con, "_hcc_diagnoses", diagnoses)
        _check_segments(con, m)
        raw = _raw_scores(con, m, d, tables, switch_edits)
        norm = float(factor) if factor is not None else 1.0
        return con.sql(
            f"""SELECT patient_id, '{model}' AS model, {payment_year} AS payment_year, segment,
                       milli / 1000.0 AS raw_score,
                       round(milli / 1000.0 / {norm}, 3) AS normalized_score,
                       hccs
                FROM {raw} ORDER BY rid"""
        ).to_arrow_table()
    finally:
        if connection is None:
            con.close()


def score_payment_year(
    members: Any,
    diagnoses: Any,
    *,
    payment_year: int = 2026,
    normalization_factors: dict[str, float] | None = None,
    switch_edits: bool = True,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> pa.Table:
    """The payment score of a year (HCC-005): V28 alone from 2026, a V24/V28 blend before.

    Each model is normalized with its own factor before blending; ``model`` is ``"V28"`` or
    ``"V24+V28"``, ``hccs`` are the V28 HCCs.
    """
    factors = normalization_factors or {}
    weights = BLEND_WEIGHTS.get(payment_year)
    if weights is None:
        return score_members(
            members,
            diagnoses,
            model="V28",
            payment_year=payment_year,
            normalization_factor=factors.get("V28"),
            switch_edits=switch_edits,
            connection=connection,
        )
    w24, w28 = weights
    t24 = load_tables("V24", payment_year)
    t28 = load_tables("V28", payment_year)
    con = connection if connection is not None else duckdb.connect()
    try:
        m = _register(con, "_hcc_members", members)
        d = _register(con, "_hcc_diagnoses", diagnoses)
        _check_segments(con, m)
        r24 = _raw_scores(con, m, d, t24, switch_edits)
        r28 = _raw_scores(con, m, d, t28, switch_edits)
        n24 = Decimal(str(factors.get("V24", 1)))
        n28 = Decimal(str(factors.get("V28", 1)))
        return con.sql(
            f"""SELECT b.patient_id, 'V24+V28' AS model, {payment_year} AS payment_year,
                       b.segment,
                       round(({w24} * a.milli + {w28} * b.milli) / 1000.0, 3) AS raw_score,
                       round({w24} * a.milli / 1000.0 / {float(n24)}
                             + {w28} * b.milli / 1000.0 / {float(n28)}, 3) AS normalized_score,
                       b.hccs
                FROM {r28} b JOIN {r24} a ON a.rid = b.rid
                ORDER BY b.rid"""
        ).to_arrow_table()
    finally:
        if connection is None:
            con.close()
