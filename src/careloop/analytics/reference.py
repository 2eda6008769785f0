"""Reference tables the marts join: value sets, rules, the calendar and the run's parameters.

Built in Python at run time from the project's one definition of each rule, never re-typed in SQL:

- ``valueset_icd10`` / ``valueset_snomed`` / ``condition_def`` / ``condition_rule``: the chronic
  conditions of ``careloop.analytics.chronic_conditions`` (§4), entry by entry (``low``, ``high``,
  ``prefix_len``, ``seventh`` as ``parse_icd10_entry`` reads them); ``valueset_procedure``: their
  §4.1 procedure codes (``counts_as`` 'diagnosis': ICD-10-PCS counted like a diagnosis code;
  'procedure': one claim with the code meets the condition);
- ``charlson_icd10`` / ``charlson_def``: the LACE Charlson conditions (``rules/charlson_lace.toml``);
- ``pcm_high_risk``: the PCM high-risk conditions (ELIG-002, CONFIG);
- ``calendar_day``: every day of the run's range with its business-day sequence number (§0:
  Monday–Friday, not a US federal holiday per the ``holidays`` package), so "the 2nd business day
  after d" is an equi-join (TCM-001, ELIG-004);
- ``params``: one row with the as-of date, its windows and the CONFIG switches: marts join it,
  no value is ever formatted into SQL text;
- ``accepted_payer``, ``billing_practitioner``, ``qualifying_visit_code`` (CCM-002, CCM-020).
- the risk tables of ``risk_reference`` (§5.1-§5.4: Charlson Quan codes and weights, the HCC
  risk-adjustment-eligible procedures) and the HCC and tier parameters in ``params``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import holidays
import pyarrow as pa

from careloop.analytics import charlson
from careloop.analytics.care_gaps import care_gap_tables
from careloop.analytics.chronic_conditions import (
    CONDITIONS,
    VALUE_SET_VERSION,
    parse_icd10_entry,
)
from careloop.analytics.risk_reference import risk_params, risk_reference_tables
from careloop.core.months import months_before, years_before

__all__ = ["RULES_VERSION", "AnalyticsConfig", "reference_tables"]

RULES_VERSION = "2026.1"
CHARLSON_FILE = Path(__file__).resolve().parent / "rules" / "charlson_lace.toml"

# ELIG-002 high-risk conditions (CONFIG, default list of §3). A condition with entries only
# counts when one of its evidence codes matches them (CKD stage 4-5/ESRD, diabetes with
# complications); cancer "under active treatment" is read as the condition met within its
# 1-year reference period.
DEFAULT_PCM_HIGH_RISK: dict[str, tuple[str, ...]] = {
    "heart_failure_and_non_ischemic_heart_disease": (),
    "chronic_obstructive_pulmonary_disease": (),
    "chronic_kidney_disease": ("N18.4-N18.6", "Z99.2", "Z49", "I12.0", "I13.11", "I13.2"),
    "cancer_breast": (),
    "cancer_colorectal": (),
    "cancer_lung": (),
    "cancer_prostate": (),
    "cancer_endometrial": (),
    "leukemias_and_lymphomas": (),
    "diabetes": ("E08.0-E08.8", "E09.0-E09.8", "E10.0-E10.8", "E11.0-E11.8", "E13.0-E13.8"),
    "alzheimers_disease": (),
    "non_alzheimers_dementia": (),
    "parkinsons_disease_and_secondary_parkinsonism": (),
    "multiple_sclerosis_and_transverse_myelitis": (),
    "human_immunodeficiency_virus_and_or_acquired_immunodeficiency_syndrome_hiv_aids": (),
    "schizophrenia": (),
    "schizophrenia_and_other_psychotic_disorders": (),
}

# CCM-020: qualifying initiating visits (E/M office/outpatient, home, 99483, AWV, IPPE, TCM).
QUALIFYING_VISIT_CODES: tuple[tuple[str, str], ...] = (
    *((str(c), "office/outpatient E/M") for c in range(99202, 99216) if c != 99210),
    *((str(c), "home or residence E/M") for c in range(99341, 99351)),
    ("99483", "cognitive assessment and care plan"),
    ("G0438", "annual wellness visit, initial"),
    ("G0439", "annual wellness visit, subsequent"),
    ("G0402", "initial preventive physical examination"),
    ("99495", "transitional care management"),
    ("99496", "transitional care management"),
)

# CC-003: conditions whose rule names diagnosis positions (the condition's `note` in the value set).
DX_POSITIONS = {"acute_myocardial_infarction": 2}


@dataclass(frozen=True)
class AnalyticsConfig:
    """The CONFIG settings of §3 and §5 that the marts read (defaults of the spec)."""

    # CCM-002 accepted_payers: (coverage kind, payer name or None for any payer of that kind).
    # Default: Medicare FFS Part B (an active part-b coverage and no active Medicare Advantage).
    accepted_payers: tuple[tuple[str, str | None], ...] = (("part-b", None),)
    # the organization's billing practitioners (NPIs); empty = every practitioner in the record
    billing_practitioner_npis: tuple[str, ...] = ()
    pcm_high_risk: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_PCM_HIGH_RISK)
    )
    lace_los_inclusive: bool = False
    lace_urgent_counts: bool = False
    # §8 care gaps: overrides of rules/care_gaps.toml [config] (e.g. colorectal_age_rule)
    care_gaps: dict[str, Any] = field(default_factory=dict)
    # §5.1 CMS-HCC V28. Payment year: None = year(as_of) + 1; the data year is the calendar year
    # before it (HCC-003). HCC-006 normalization factor (CONFIG, default 1.0).
    hcc_payment_year: int | None = None
    hcc_normalization_factor: float = 1.0
    # §5.3 super-utilizers over the 12 months before the as-of date (CONFIG defaults)
    su_admissions: int = 3  # SU-001
    su_ed_visits: int = 4  # SU-002
    su_readmissions: int = 2  # SU-003
    su_combined_admissions: int = 2  # SU-004 (with su_combined_ed_visits)
    su_combined_ed_visits: int = 2
    su_cost_top_fraction: float = 0.05  # SU-005: top 5% of the organization's patients
    # §5.4 risk tiers (CONFIG defaults)
    tier_very_high_hcc: float = 3.0  # TIER-001 normalized HCC
    tier_very_high_lace: int = 10  # TIER-001 LACE on a discharge in the last 30 days
    tier_high_hcc: float = 1.5  # TIER-002
    tier_high_admissions: int = 1  # TIER-002 inpatient admissions in 12 months
    tier_high_hospital: int = 7  # TIER-002 HOSPITAL score
    tier_rising_hcc: float = 1.0  # TIER-003
    tier_rising_conditions: int = 2  # TIER-003 chronic conditions (with an open care gap)


def _entries(rows: list[dict[str, Any]], key: str, entries: tuple[str, ...], **extra: Any) -> None:
    for entry in entries:
        low, high, seventh = parse_icd10_entry(entry)
        rows.append(
            {
                **extra,
                "low": low,
                "high": high,
                "prefix_len": len(low),
                "seventh": "".join(sorted(seventh)) if seventh else None,
                key: entry,
            }
        )


def _charlson() -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """LACE Charlson conditions: weights from rules/charlson_lace.toml, codes and hierarchy from
    the project's Quan 2005 coding (careloop.analytics.charlson)."""
    with CHARLSON_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    by_charlson = {str(raw["charlson_id"]): name for name, raw in data["conditions"].items()}
    severe = {mild: sev for mild, sev in charlson.HIERARCHY}
    defs: list[dict[str, Any]] = []
    for name, raw in data["conditions"].items():
        sev = severe.get(str(raw["charlson_id"]))
        defs.append(
            {
                "charlson_condition": name,
                "weight": int(raw["weight"]),
                "superseded_by": by_charlson.get(sev) if sev else None,
            }
        )
    codes = [
        {
            "charlson_condition": by_charlson[cid],
            "low": prefix,
            "high": prefix,
            "prefix_len": len(prefix),
            "seventh": None,
            "entry": prefix,
        }
        for prefix, cid in charlson.prefix_rows()
        if cid in by_charlson
    ]
    return defs, codes, str(data["version"])


CHARLSON_DEFS, _CHARLSON_CODES, CHARLSON_VERSION = _charlson()


def care_gap_reference(as_of: date, cfg: AnalyticsConfig) -> dict[str, pa.Table]:
    """§8 care gaps: the code lists, windows and denominators of rules/care_gaps.toml
    (``careloop.analytics.care_gaps``) as the ``care_gap_*`` and ``statin_product`` tables."""
    return care_gap_tables(as_of, cfg.care_gaps)


def reference_tables(as_of: date, config: AnalyticsConfig | None = None) -> dict[str, pa.Table]:
    cfg = config or AnalyticsConfig()
    icd: list[dict[str, Any]] = []
    snomed: list[dict[str, Any]] = []
    procedures: list[dict[str, Any]] = []
    defs: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = []
    for cid, cond in CONDITIONS.items():
        for role, entries in (
            ("include", cond.icd10cm),
            ("exclude", cond.icd10cm_exclude),
            ("disqualify", cond.disqualifying_icd10cm),
            ("screening", cond.screening_icd10cm),
        ):
            _entries(icd, "entry", entries, condition_id=cid, role=role)
        snomed.extend({"code": code, "condition_id": cid} for code in cond.snomed)
        procedures.extend(
            {"code": code, "condition_id": cid, "counts_as": "diagnosis"} for code in cond.icd10pcs
        )
        procedures.extend(
            {"code": code, "condition_id": cid, "counts_as": "procedure"}
            for code in cond.qualifying_procedures
        )
        defs.append(
            {
                "condition_id": cid,
                "ccw_id": cond.ccw_id,
                "name": cond.name,
                "chronic": cond.chronic,
                "is_common": cond.is_common,
                "counts_as": cond.counts_as,
                "reference_years": cond.reference_years,
                "reference_start": years_before(as_of, cond.reference_years) + timedelta(days=1),
                "max_dx_position": DX_POSITIONS.get(cid),
                "claims_qualification": cond.claims_qualification,
            }
        )
        for alt, q in enumerate(cond.qualifying_claims, start=1):
            rules.extend(
                {
                    "condition_id": cid,
                    "alternative": alt,
                    "min_claims": q.count,
                    "claim_type": ct,
                }
                for ct in sorted(q.claim_types)
            )
    pcm: list[dict[str, Any]] = []
    for cid, entries in cfg.pcm_high_risk.items():
        if cid not in CONDITIONS:
            raise ValueError(f"pcm_high_risk: unknown condition {cid!r}")
        if not entries:
            pcm.append(
                {"condition_id": cid, "low": None, "high": None, "prefix_len": None, "entry": None}
            )
        for entry in entries:
            low, high, _ = parse_icd10_entry(entry)
            pcm.append(
                {
                    "condition_id": cid,
                    "low": low,
                    "high": high,
                    "prefix_len": len(low),
                    "entry": entry,
                }
            )
    start_12m = years_before(as_of, 1) + timedelta(days=1)
    params = {
        "as_of": as_of,
        "start_12m": start_12m,
        "start_36m": years_before(as_of, 3) + timedelta(days=1),
        "start_30d": as_of - timedelta(days=29),
        "start_6m": months_before(as_of, 6) + timedelta(days=1),
        "lace_los_inclusive": cfg.lace_los_inclusive,
        "lace_urgent_counts": cfg.lace_urgent_counts,
        "any_practitioner_bills": not cfg.billing_practitioner_npis,
        **risk_params(as_of, cfg),
        "value_set_version": VALUE_SET_VERSION,
        "rules_version": RULES_VERSION,
    }
    return {
        **risk_reference_tables(as_of, cfg),
        **care_gap_reference(as_of, cfg),
        "params": pa.Table.from_pylist([params]),
        "valueset_icd10": _table(
            icd,
            [
                ("condition_id", pa.string()),
                ("role", pa.string()),
                ("low", pa.string()),
                ("high", pa.string()),
                ("prefix_len", pa.int64()),
                ("seventh", pa.string()),
                ("entry", pa.string()),
            ],
        ),
        "valueset_snomed": _table(snomed, [("code", pa.string()), ("condition_id", pa.string())]),
        "valueset_procedure": _table(
            procedures,
            [("code", pa.string()), ("condition_id", pa.string()), ("counts_as", pa.string())],
        ),
        "condition_def": pa.Table.from_pylist(defs).cast(
            pa.schema(
                [
                    ("condition_id", pa.string()),
                    ("ccw_id", pa.int64()),
                    ("name", pa.string()),
                    ("chronic", pa.bool_()),
                    ("is_common", pa.bool_()),
                    ("counts_as", pa.string()),
                    ("reference_years", pa.int64()),
                    ("reference_start", pa.date32()),
                    ("max_dx_position", pa.int64()),
                    ("claims_qualification", pa.string()),
                ]
            )
        ),
        "condition_rule": pa.Table.from_pylist(rules),
        "charlson_def": _table(
            CHARLSON_DEFS,
            [
                ("charlson_condition", pa.string()),
                ("weight", pa.int64()),
                ("superseded_by", pa.string()),
            ],
        ),
        "charlson_icd10": _table(
            _CHARLSON_CODES,
            [
                ("charlson_condition", pa.string()),
                ("low", pa.string()),
                ("high", pa.string()),
                ("prefix_len", pa.int64()),
                ("seventh", pa.string()),
                ("entry", pa.string()),
            ],
        ),
        "pcm_high_risk": _table(
            pcm,
            [
                ("condition_id", pa.string()),
                ("low", pa.string()),
                ("high", pa.string()),
                ("prefix_len", pa.int64()),
                ("entry", pa.string()),
            ],
        ),
        "calendar_day": calendar_days(years_before(as_of, 4), as_of + timedelta(days=60)),
        "accepted_payer": _table(
            [{"kind": k, "payer": p} for k, p in cfg.accepted_payers],
            [("kind", pa.string()), ("payer", pa.string())],
        ),
        "billing_practitioner": _table(
            [{"npi": n} for n in cfg.billing_practitioner_npis], [("npi", pa.string())]
        ),
        "qualifying_visit_code": _table(
            [{"code": c, "visit_kind": k} for c, k in QUALIFYING_VISIT_CODES],
            [("code", pa.string()), ("visit_kind", pa.string())],
        ),
    }


def _table(rows: list[dict[str, Any]], fields: list[tuple[str, pa.DataType]]) -> pa.Table:
    schema = pa.schema(fields)
    if not rows:
        return schema.empty_table()
    return pa.Table.from_pylist([{k: r.get(k) for k, _ in fields} for r in rows], schema=schema)


def calendar_days(first: date, last: date) -> pa.Table:
    """Every day in [first, last] with ``business_seq`` = business days on or before it (§0)."""
    us = holidays.country_holidays(
        "US", years=range(first.year, last.year + 1), categories=("public",)
    )
    days: list[date] = []
    business: list[bool] = []
    seq: list[int] = []
    n = 0
    day = first
    while day <= last:
        is_business = day.weekday() < 5 and day not in us
        n += is_business
        days.append(day)
        business.append(is_business)
        seq.append(n)
        day += timedelta(days=1)
    return pa.table(
        {
            "day": pa.array(days, pa.date32()),
            "is_business_day": pa.array(business, pa.bool_()),
            "business_seq": pa.array(seq, pa.int64()),
        }
    )
