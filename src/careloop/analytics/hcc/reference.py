"""hccinfhir, one member at a time: the reference that ``score_members`` is tested against.

Used by ``tests/analytics/test_hcc.py`` and ``bench/hcc_bench.py`` only; careloop never scores
with it. The arguments are those of ``hccinfhir.model_calculate.calculate_raf`` with its
packaged tables of the payment year (``ra_*_<year>.csv``, the 2026 files being hccinfhir's
defaults) and ``norm_factor`` 1.0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from .tables import MODELS

__all__ = ["reference_scores", "defect_h1_codes"]


@lru_cache(maxsize=4)
def _tables(payment_year: int) -> dict[str, Any]:
    from hccinfhir import utils

    return {
        "dx_to_cc_mapping": utils.load_dx_to_cc_mapping(f"ra_dx_to_cc_{payment_year}.csv"),
        "hierarchies_mapping": utils.load_hierarchies(f"ra_hierarchies_{payment_year}.csv"),
        "coefficients_mapping": utils.load_coefficients(f"ra_coefficients_{payment_year}.csv"),
    }


def reference_scores(
    rows: Iterable[Mapping[str, Any]], model: str = "V28", payment_year: int = 2026
) -> dict[str, tuple[float, list[int]]]:
    """``patient_id -> (raw risk score, sorted HCCs)`` from hccinfhir for members given as
    dicts with the members.csv columns and a ``codes`` list."""
    from hccinfhir.model_calculate import calculate_raf

    model_name = MODELS[model][0]
    tables = _tables(payment_year)
    out: dict[str, tuple[float, list[int]]] = {}
    for row in rows:
        result = calculate_raf(
            list(row["codes"]),
            model_name=model_name,
            age=row["age"],
            sex=row["sex"],
            dual_elgbl_cd=row["dual_status"],
            orec=row["orec"],
            crec=row["crec"],
            new_enrollee=bool(row["new_enrollee"]),
            snp=bool(row["snp"]),
            lti=bool(row["lti"]),
            prefix_override=row.get("segment") and f"{row['segment']}_",
            **tables,
        )
        out[row["patient_id"]] = (result.risk_score, sorted(int(h) for h in result.hcc_list))
    return out


def defect_h1_codes(
    row: Mapping[str, Any], model: str = "V28", payment_year: int = 2026
) -> list[str]:
    """hccinfhir defect H1 (docs/decisions/0009-hcc-scoring.md): the member's codes that map to
    two or more HCCs and that a CMS edit invalidates. hccinfhir removes only one of their HCCs;
    careloop (like the CMS software) drops the diagnosis."""
    from .tables import load_tables

    tables = load_tables(model, payment_year)
    ccs: dict[str, set[int]] = {}
    for dx, cc in zip(
        tables.dx_to_cc.column("dx").to_pylist(),
        tables.dx_to_cc.column("cc").to_pylist(),
        strict=True,
    ):
        ccs.setdefault(dx, set()).add(cc)
    edits = {e["dx"]: e for e in tables.edits.to_pylist()}
    sex = "1" if row["sex"] in ("1", "M") else "2"
    found = []
    for raw in row["codes"]:
        code = raw.upper().replace(".", "")
        rule = edits.get(code)
        if rule is None or rule["action"] != "invalid" or len(ccs.get(code, ())) < 2:
            continue
        if rule["edit_type"] == "sex":
            fires = rule["sex"] == sex
        else:
            fires = (rule["age_max"] is not None and row["age"] <= rule["age_max"]) or (
                rule["age_min"] is not None and row["age"] >= rule["age_min"]
            )
        if fires:
            found.append(raw)
    return found
