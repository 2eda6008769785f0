"""Care-gap rules as data (medicare-rules.md §8, GAP-001..GAP-009): load, check, make tables.

The rules live in ``rules/care_gaps.toml`` (denominators, look-backs, code lists with their
sources, statin intensity, CONFIG defaults). This module reads that file once, refuses what would
silently go wrong (a CPT range written as one entry, an unknown list, a statin product whose name
does not say its ingredient and strength), and turns it into the reference tables the marts
``care_gap_evidence``, ``care_gap_bp`` and ``care_gap`` join. Every date window is computed here
from the as-of date T, so the SQL only compares dates (no calendar arithmetic in two dialects).

No Django (the analytics package never imports it).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from careloop.analytics.chronic_conditions import CONDITIONS, parse_icd10_entry

__all__ = [
    "CARE_GAPS_FILE",
    "COMPOSITE_EXCLUSIONS",
    "FAMILIES",
    "CareGapRules",
    "care_gap_tables",
    "load_rules",
    "statin_intensity",
    "window_start",
]

CARE_GAPS_FILE = Path(__file__).resolve().parent / "rules" / "care_gaps.toml"

# One code of its system per entry: a CPT or HCPCS range can never slip in as "90630-90756".
_CODE_SHAPES = {
    "cvx": re.compile(r"\d{1,3}"),
    "cpt_hcpcs": re.compile(r"[0-9A-Z]\d{3}[0-9A-Z]"),
    "loinc": re.compile(r"\d{1,7}-\d"),
    "snomed": re.compile(r"\d{6,18}"),
    "icd10pcs": re.compile(r"[0-9A-HJ-NP-Z]{7}"),
}
FAMILIES = (*_CODE_SHAPES, "icd10cm")

# Exclusions made of several lists: any one alternative, all of its lists present.
COMPOSITE_EXCLUSIONS: dict[str, tuple[tuple[str, ...], ...]] = {
    # BCS-E: a bilateral mastectomy, or a right and a left one (on any dates).
    "bilateral_mastectomy": (("mastectomy_bilateral",), ("mastectomy_left", "mastectomy_right")),
    # SPC: frailty in the measurement year and advanced illness in it or the year before, at 66+.
    "frailty_advanced_illness": (("frailty", "advanced_illness"),),
}
COMPOSITE_MIN_AGE = {"frailty_advanced_illness": 66}

WINDOWS = (
    "ever",
    "12_months",
    "flu_season",
    "bcs_27_months",
    "measurement_year",
    "year_and_prior",
    "calendar_1",
    "calendar_3",
    "calendar_5",
    "calendar_10",
)
_INTENSITIES = ("low", "moderate", "high")
_STATIN_STRENGTH = re.compile(
    r"\b(atorvastatin|rosuvastatin|simvastatin|pravastatin|lovastatin|fluvastatin|pitavastatin)"
    r"(?: calcium| sodium| magnesium)? (\d+(?:\.\d+)?) MG\b",
    re.IGNORECASE,
)


def window_start(window: str, as_of: date) -> date | None:
    """First day of a look-back window ending on T (inclusive); None for "ever".

    - ``12_months``: the 12 months before T, (T - 1 year, T];
    - ``flu_season`` (GAP-002): 1 August of the season's first year (the season runs 1 August -
      31 March; from April to July the last season is still the one that counts);
    - ``calendar_N`` (GAP-004, HEDIS COL-E): 1 January of year(T) - N + 1;
    - ``bcs_27_months`` (GAP-005, HEDIS BCS-E): 1 October two years before T's year;
    - ``measurement_year`` / ``year_and_prior``: 1 January of T's year / of the year before.
    """
    if window == "ever":
        return None
    if window == "12_months":
        try:
            return as_of.replace(year=as_of.year - 1) + timedelta(days=1)
        except ValueError:  # 29 February
            return date(as_of.year - 1, 3, 1)
    if window == "flu_season":
        return date(as_of.year if as_of.month >= 8 else as_of.year - 1, 8, 1)
    if window == "bcs_27_months":
        return date(as_of.year - 2, 10, 1)
    if window == "measurement_year":
        return date(as_of.year, 1, 1)
    if window == "year_and_prior":
        return date(as_of.year - 1, 1, 1)
    if window.startswith("calendar_") and window.removeprefix("calendar_").isdigit():
        return date(as_of.year - int(window.removeprefix("calendar_")) + 1, 1, 1)
    raise ValueError(f"unknown care-gap window {window!r}")


@dataclass(frozen=True)
class StatinProduct:
    rxcui: str
    name: str
    ingredient: str
    strength_mg: float
    intensity: str


@dataclass(frozen=True)
class CareGapRules:
    version: str
    config: Mapping[str, Any]
    systems: Mapping[str, tuple[str, ...]]
    gaps: Mapping[str, Mapping[str, Any]]
    lists: Mapping[str, Mapping[str, Any]]
    intensity: tuple[tuple[str, float, float, str], ...]
    products: tuple[StatinProduct, ...]

    def codes(self, list_id: str, family: str) -> tuple[str, ...]:
        raw = self.lists[list_id]
        if family == "cpt_hcpcs":
            return (*raw.get("cpt_hcpcs", ()), *raw.get("results_above_9", {}))
        return tuple(raw.get(family, ()))


def statin_intensity(
    ingredient: str, mg: float, rules: tuple[tuple[str, float, float, str], ...] | None = None
) -> str | None:
    """ACC/AHA intensity of one unit of a statin (GAP-009); None for a strength the table lacks."""
    for name, low, high, intensity in rules if rules is not None else load_rules().intensity:
        if name == ingredient.lower() and low <= mg <= high:
            return intensity
    return None


def _check_code(family: str, code: str, where: str) -> None:
    if family == "icd10cm":
        parse_icd10_entry(code)
        return
    if not _CODE_SHAPES[family].fullmatch(code):
        raise ValueError(f"{where}: {code!r} is not one {family} code (ranges are not allowed)")


def _parse_product(
    rxcui: str, name: str, intensity: tuple[tuple[str, float, float, str], ...]
) -> StatinProduct:
    found = _STATIN_STRENGTH.findall(name)
    if len(found) != 1:
        raise ValueError(f"statin product {rxcui}: {name!r} does not name one statin and its mg")
    ingredient, mg = found[0][0].lower(), float(found[0][1])
    level = statin_intensity(ingredient, mg, intensity)
    if level is None:
        raise ValueError(f"statin product {rxcui}: no intensity for {ingredient} {mg:g} mg")
    return StatinProduct(rxcui, name, ingredient, mg, level)


def _check(data: dict[str, Any]) -> CareGapRules:
    lists: dict[str, Any] = data["lists"]
    for list_id, raw in lists.items():
        if not raw.get("source"):
            raise ValueError(f"list {list_id}: every list names its source")
        for family in FAMILIES:
            for code in raw.get(family, ()):
                _check_code(family, str(code), f"list {list_id}")
        for code in raw.get("results_above_9", {}):
            _check_code("cpt_hcpcs", code, f"list {list_id}")
        if "window" in raw and raw["window"] not in WINDOWS:
            raise ValueError(f"list {list_id}: unknown window {raw['window']!r}")
    gaps: dict[str, Any] = data["gaps"]
    for gap_id, gap in gaps.items():
        for list_id, window in gap.get("closes", {}).items():
            if list_id not in lists and list_id != "statin":
                raise ValueError(f"{gap_id}: unknown closing list {list_id!r}")
            window_start(window, date(2026, 1, 1))
        for exclusion in gap.get("excludes", ()):
            parts = COMPOSITE_EXCLUSIONS.get(exclusion, ((exclusion,),))
            for alternative in parts:
                for list_id in alternative:
                    if list_id not in lists or "window" not in lists[list_id]:
                        raise ValueError(
                            f"{gap_id}: exclusion list {list_id!r} missing or no window"
                        )
        for cid in gap.get("conditions", ()):
            if cid not in CONDITIONS:
                raise ValueError(f"{gap_id}: unknown chronic condition {cid!r}")
    statin = data["statin"]
    intensity = tuple(
        (str(name), float(low), float(high), str(level))
        for name, low, high, level in statin["intensity"]
    )
    if any(level not in _INTENSITIES for *_, level in intensity):
        raise ValueError("statin intensity: levels are low, moderate, high")
    products = tuple(
        _parse_product(rxcui, name, intensity)
        for rxcui, name in statin["products"].items()
        if rxcui != "source"
    )
    systems = {family: tuple(uris) for family, uris in data["systems"].items()}
    return CareGapRules(
        version=str(data["version"]),
        config=dict(data["config"]),
        systems=systems,
        gaps=gaps,
        lists=lists,
        intensity=intensity,
        products=products,
    )


@cache
def load_rules(path: Path = CARE_GAPS_FILE) -> CareGapRules:
    with path.open("rb") as fh:
        return _check(tomllib.load(fh))


def _age_date(rule: str, as_of: date) -> date:
    return date(as_of.year, 12, 31) if rule == "hedis" else as_of


def _age_rows(
    gap_id: str, gap: Mapping[str, Any], cfg: Mapping[str, Any], as_of: date
) -> list[dict[str, Any]]:
    age = gap.get("age")
    if age == "colorectal":
        rule = str(cfg["colorectal_age_rule"])
        if rule not in ("uspstf", "hedis"):
            raise ValueError(f"colorectal_age_rule: {rule!r} is not 'uspstf' or 'hedis'")
        low = 45 if rule == "uspstf" else 46
        return [_age(gap_id, None, low, 75, _age_date(rule, as_of))]
    if age == "breast":
        year = int(cfg.get("rules_year") or as_of.year)
        steps = sorted(cfg["breast_min_age_by_rules_year"], key=lambda s: -int(s["from_year"]))
        low = next(int(s["min_age"]) for s in steps if int(s["from_year"]) <= year)
        return [_age(gap_id, gap.get("sex"), low, 74, as_of)]
    if "age_by_sex" in gap:
        return [
            _age(gap_id, sex, lo, hi, as_of) for sex, (lo, hi) in sorted(gap["age_by_sex"].items())
        ]
    low, high = age if age else (0, 200)
    return [_age(gap_id, gap.get("sex"), int(low), int(high), as_of)]


def _age(gap_id: str, sex: str | None, low: int, high: int, on: date) -> dict[str, Any]:
    return {"gap_id": gap_id, "sex": sex, "min_age": low, "max_age": high, "age_date": on}


def _since(window: str, as_of: date) -> str:
    start = window_start(window, as_of)
    return "on record" if start is None else f"since {start.isoformat()}"


def _open_detail(gap: Mapping[str, Any], r: CareGapRules, as_of: date) -> str:
    """Why a gap is open when nothing in its windows closed it ("no mammogram since ...")."""
    closes: dict[str, str] = dict(gap.get("closes", {}))
    if gap.get("missing"):
        return f"no {gap['missing']} {_since(next(iter(closes.values())), as_of)}"
    return ", ".join(
        f"no {r.lists[list_id]['label']} {_since(window, as_of)}"
        for list_id, window in closes.items()
    )


def _table(rows: list[dict[str, Any]], fields: list[tuple[str, pa.DataType]]) -> pa.Table:
    schema = pa.schema(fields)
    if not rows:
        return schema.empty_table()
    return pa.Table.from_pylist([{k: r.get(k) for k, _ in fields} for r in rows], schema=schema)


def care_gap_tables(
    as_of: date, overrides: Mapping[str, Any] | None = None, rules: CareGapRules | None = None
) -> dict[str, pa.Table]:
    """The reference tables of §8 for one as-of date (``overrides``: CONFIG per organization)."""
    r = rules or load_rules()
    cfg = {**r.config, **(overrides or {})}
    unknown = set(overrides or {}) - set(r.config)
    if unknown:
        raise ValueError(f"unknown care-gap settings: {', '.join(sorted(unknown))}")
    defs: list[dict[str, Any]] = []
    ages: list[dict[str, Any]] = []
    conds: list[dict[str, Any]] = []
    closers: list[dict[str, Any]] = []
    exclusions: list[dict[str, Any]] = []
    for gap_id, gap in sorted(r.gaps.items()):
        defs.append(
            {
                "gap_id": gap_id,
                "name": gap["name"],
                "medicare_part_b": bool(gap.get("medicare_part_b")),
                "open_detail": _open_detail(gap, r, as_of),
            }
        )
        ages.extend(_age_rows(gap_id, gap, cfg, as_of))
        conds.extend({"gap_id": gap_id, "condition_id": c} for c in gap.get("conditions", ()))
        for list_id, window in sorted(gap.get("closes", {}).items()):
            label = r.lists[list_id]["label"] if list_id in r.lists else "statin"
            closers.append(
                {
                    "gap_id": gap_id,
                    "list_id": list_id,
                    "window_start": window_start(window, as_of),
                    "label": label,
                }
            )
        for exclusion in gap.get("excludes", ()):
            for alt, parts in enumerate(COMPOSITE_EXCLUSIONS.get(exclusion, ((exclusion,),)), 1):
                for list_id in parts:
                    exclusions.append(
                        {
                            "gap_id": gap_id,
                            "exclusion_id": exclusion,
                            "alternative": alt,
                            "list_id": list_id,
                            "window_start": window_start(r.lists[list_id]["window"], as_of),
                            "min_age": COMPOSITE_MIN_AGE.get(exclusion),
                            "label": exclusion.replace("_", " "),
                        }
                    )
    codes: list[dict[str, Any]] = []
    icd: list[dict[str, Any]] = []
    for list_id, raw in sorted(r.lists.items()):
        for family in FAMILIES:
            for code in raw.get(family, ()):
                if family == "icd10cm":
                    low, high, _ = parse_icd10_entry(code)
                    icd.append(
                        {
                            "list_id": list_id,
                            "low": low,
                            "high": high,
                            "prefix_len": len(low),
                            "entry": code,
                        }
                    )
                else:
                    codes.append({"list_id": list_id, "family": family, "code": code})
        for code, above in raw.get("results_above_9", {}).items():
            codes.append(
                {"list_id": list_id, "family": "cpt_hcpcs", "code": code, "above_9": above}
            )
    systems = [
        {"system": uri, "family": family} for family, uris in r.systems.items() for uri in uris
    ]
    products = [
        {
            "rxcui": p.rxcui,
            "ingredient": p.ingredient,
            "strength_mg": p.strength_mg,
            "intensity": p.intensity,
            "label": f"{p.ingredient} {p.strength_mg:g} mg ({p.intensity} intensity)",
        }
        for p in r.products
    ]
    param = {
        "as_of": as_of,
        "start_12m": window_start("12_months", as_of),
        "care_gaps_version": r.version,
        "colorectal_age_rule": str(cfg["colorectal_age_rule"]),
        "rules_year": int(cfg.get("rules_year") or as_of.year),
    }
    s, i, d = pa.string(), pa.int64(), pa.date32()
    return {
        "care_gap_param": pa.Table.from_pylist([param]),
        "care_gap_def": _table(
            defs,
            [("gap_id", s), ("name", s), ("medicare_part_b", pa.bool_()), ("open_detail", s)],
        ),
        "care_gap_age": _table(
            ages, [("gap_id", s), ("sex", s), ("min_age", i), ("max_age", i), ("age_date", d)]
        ),
        "care_gap_condition": _table(conds, [("gap_id", s), ("condition_id", s)]),
        "care_gap_closer": _table(
            closers, [("gap_id", s), ("list_id", s), ("window_start", d), ("label", s)]
        ),
        "care_gap_exclusion": _table(
            exclusions,
            [
                ("gap_id", s),
                ("exclusion_id", s),
                ("alternative", i),
                ("list_id", s),
                ("window_start", d),
                ("min_age", i),
                ("label", s),
            ],
        ),
        "care_gap_code": _table(
            codes, [("list_id", s), ("family", s), ("code", s), ("above_9", pa.bool_())]
        ),
        "care_gap_icd10": _table(
            icd, [("list_id", s), ("low", s), ("high", s), ("prefix_len", i), ("entry", s)]
        ),
        "care_gap_code_system": _table(systems, [("system", s), ("family", s)]),
        "statin_product": _table(
            products,
            [
                ("rxcui", s),
                ("ingredient", s),
                ("strength_mg", pa.float64()),
                ("intensity", s),
                ("label", s),
            ],
        ),
    }
