"""LACE index (medicare-rules.md §5.5, van Walraven et al., CMAJ 2010): the pure formula.

The ``lace`` mart computes the same points in SQL (``marts/lace.sql``); tests run both on the
shared vectors (``shared/spec/vectors/lace.json``). Charlson weights and the "count the more
severe form only" hierarchy come from ``rules/charlson_lace.toml`` (CHR-002).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from careloop.analytics.reference import CHARLSON_DEFS

__all__ = ["CHARLSON_WEIGHTS", "LaceScore", "charlson_lace", "score_lace"]

CHARLSON_WEIGHTS: dict[str, int] = {
    str(d["charlson_condition"]): int(d["weight"]) for d in CHARLSON_DEFS
}
_SUPERSEDED_BY: dict[str, str] = {
    str(d["charlson_condition"]): str(d["superseded_by"])
    for d in CHARLSON_DEFS
    if d["superseded_by"]
}


@dataclass(frozen=True)
class LaceScore:
    L: int
    A: int
    C: int
    E: int
    charlson: int

    @property
    def total(self) -> int:
        return self.L + self.A + self.C + self.E

    @property
    def high_risk(self) -> bool:
        return self.total >= 10


def charlson_lace(conditions: Iterable[str]) -> int:
    """Charlson total with the LACE weights; a condition whose more severe form is present is not counted."""
    present = set(conditions)
    unknown = present - CHARLSON_WEIGHTS.keys()
    if unknown:
        raise ValueError(f"unknown Charlson conditions: {sorted(unknown)}")
    return sum(CHARLSON_WEIGHTS[c] for c in present if _SUPERSEDED_BY.get(c) not in present)


def _length_points(los_days: int) -> int:
    if los_days < 1:
        return 0
    if los_days <= 3:
        return los_days
    if los_days <= 6:
        return 4
    return 5 if los_days <= 13 else 7


def score_lace(
    los_days: int, emergent: bool, charlson_conditions: Iterable[str], ed_visits_6m: int
) -> LaceScore:
    charlson = charlson_lace(charlson_conditions)
    return LaceScore(
        L=_length_points(los_days),
        A=3 if emergent else 0,
        C=5 if charlson >= 4 else charlson,
        E=min(ed_visits_6m, 4),
        charlson=charlson,
    )
