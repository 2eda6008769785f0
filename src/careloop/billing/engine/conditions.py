"""Chronic conditions for CCM-001 / BILL-009 / APCM-001, from the one value-set definition.

The CCW condition value sets live in `careloop.analytics.chronic_conditions` (§4), shared
with the population engine; this module only counts distinct conditions among a patient's
ICD-10-CM codes, caching each code's answer for the process (the value sets are data that
does not change while the process runs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

_by_code: dict[str, frozenset[str]] = {}
_lookup: list[Callable[[str], frozenset[str]]] = []


def _conditions_for_icd10() -> Callable[[str], frozenset[str]]:
    if not _lookup:
        from careloop.analytics.chronic_conditions import conditions_for_icd10

        _lookup.append(conditions_for_icd10)
    return _lookup[0]


def chronic_conditions(codes: Iterable[str]) -> frozenset[str]:
    """The distinct CCW chronic conditions among the codes; two codes of one condition count once."""
    found: set[str] = set()
    cache = _by_code
    for code in codes:
        names = cache.get(code)
        if names is None:
            names = cache[code] = frozenset(_conditions_for_icd10()(code))
        found |= names
    return frozenset(found)


def reset_cache() -> None:
    """Forget cached answers and the resolved lookup (tests that swap the value sets)."""
    _by_code.clear()
    _lookup.clear()
