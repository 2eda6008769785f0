"""Chronic conditions for CCM-001 / BILL-009 / APCM-001, from the one value-set definition.

The CCW condition value sets live in `careloop.analytics.chronic_conditions` (§4), shared
with the population engine. BILL-009 counts distinct conditions ("two codes of one
condition count once"); that module's `distinct_chronic_conditions` also merges overlapping
CCW categories of one disease, so it is used when present, else the union of
`conditions_for_icd10`. Answers are cached per code list for the process (the value sets
do not change while it runs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

_MAX_CACHE = 1 << 16
_by_codes: dict[tuple[str, ...], frozenset[str]] = {}
_lookup: list[Callable[[tuple[str, ...]], frozenset[str]]] = []


def _resolve() -> Callable[[tuple[str, ...]], frozenset[str]]:
    from careloop.analytics import chronic_conditions as value_sets

    distinct = getattr(value_sets, "distinct_chronic_conditions", None)
    if distinct is not None:
        return lambda codes: frozenset(distinct(codes))
    per_code: Callable[[str], frozenset[str]] = value_sets.conditions_for_icd10

    def union(codes: Iterable[str]) -> frozenset[str]:
        found: set[str] = set()
        for code in codes:
            found |= per_code(code)
        return frozenset(found)

    return union


def chronic_conditions(codes: tuple[str, ...]) -> frozenset[str]:
    """The distinct CCW chronic conditions among the patient's ICD-10-CM codes."""
    found = _by_codes.get(codes)
    if found is None:
        if not _lookup:
            _lookup.append(_resolve())
        if len(_by_codes) >= _MAX_CACHE:
            _by_codes.clear()
        found = _by_codes[codes] = _lookup[0](codes)
    return found


def reset_cache() -> None:
    """Forget cached answers and the resolved lookup (for tests that swap the value sets)."""
    _by_codes.clear()
    _lookup.clear()
