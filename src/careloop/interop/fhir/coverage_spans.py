"""The derived-coverage rule, pure: one span per patient and payer kind from that patient's claims.

Synthea names the payer only on Claim/ExplanationOfBenefit `insurance` ("Medicare", "Medicaid",
"Dual Eligible", "Blue Cross Blue Shield", ...). A patient with no source Coverage gets one
derived Coverage per payer kind (``kind_from_payer_text``; "other" and blank payers give none)
spanning the first claim start to the last claim end (or start, when that is later or the end is
missing). "Medicare" (fee-for-service in Synthea) becomes Part B, the part that care management
bills (CCM-002). The importer (``coverage_derivation``, on the database) and the NDJSON snapshot
(``analytics.snapshot_ndjson``, on Parquet) both call ``coverage_spans``, so the two agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from .mappers.patient import kind_from_payer_text

__all__ = ["ClaimPayerDates", "Span", "coverage_spans"]


class ClaimPayerDates(NamedTuple):
    """One patient's claims of one payer text, aggregated: min start, max end, max start."""

    patient: int  # the patient's row id
    payer: str
    first_start: date | None
    last_end: date | None
    last_start: date | None


class Span(NamedTuple):
    start: date | None
    end: date | None
    payer: str  # the first payer text seen for the kind (in the order given)


def _min(a: date | None, b: date | None) -> date | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: date | None, b: date | None) -> date | None:
    return b if a is None else a if b is None else max(a, b)


def coverage_spans(rows: Iterable[ClaimPayerDates]) -> dict[tuple[int, str], Span]:
    """(patient, kind) -> span, for the patients of ``rows`` (those without source Coverage)."""
    spans: dict[tuple[int, str], Span] = {}
    for r in rows:
        if not r.payer:
            continue
        kind = kind_from_payer_text(r.payer)
        if kind == "other":
            continue
        last = _max(r.last_end, r.last_start)
        key = (r.patient, kind)
        old = spans.get(key)
        if old is None:
            spans[key] = Span(r.first_start, last, r.payer)
        else:
            spans[key] = Span(_min(old.start, r.first_start), _max(old.end, last), old.payer)
    return spans
