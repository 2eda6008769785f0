"""Chronic conditions: the project's one definition (medicare-rules.md §0, §4; CCM-001, BILL-009).

CMS Chronic Conditions Warehouse (CCW) categories from ICD-10-CM codes (claims, §4.1) and from
SNOMED CT codes (EHR problem lists, §4.2 CC-103). The value sets are data files beside this
module (``valuesets/chronic_conditions_icd10.toml``, ``valuesets/chronic_conditions_snomed.toml``);
the entry syntax and its range semantics are described at the top of the ICD-10-CM file and in
``docs/chronic-conditions.md``.

Condition ids are the stable snake_case ids of the CCW reference list (``condition_column_name``,
e.g. ``"diabetes"``, ``"heart_failure_and_non_ischemic_heart_disease"``); ``CONDITIONS`` maps each
id to its metadata (name, category, type, claims rule, reference period, source).

Which answer to use where:

- ``conditions_for_icd10(code)``: the *chronic* CCW conditions of one code (§0: expected to last
  12 months or more). The CCW categories that are acute events (``chronic = false`` in the data:
  acute myocardial infarction, all-cause pneumonia, hip/pelvic fracture, acute hepatitis) are left
  out unless ``include_acute=True`` (the population mart wants all 75 CCW categories).
- ``distinct_chronic_conditions(codes)``: what BILL-009 / CCM-001 count ("two codes of one
  condition count once"): chronic conditions of all the codes, with overlapping CCW categories of
  one disease (e.g. "Depression, Bipolar, or Other Depressive Mood Disorders" and "Depressive
  Disorders") merged into one counting group (``ChronicCondition.counts_as``).

No Django here (the analytics package never imports it). Lookups are O(1): the ranges are compiled
once into per-length prefix dictionaries, and each distinct input code is cached.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "CLAIM_TYPES",
    "CONDITIONS",
    "ChronicCondition",
    "QualifyingClaims",
    "VALUE_SET_VERSION",
    "conditions_for_icd10",
    "conditions_for_snomed",
    "disqualifying_conditions_for_icd10",
    "distinct_chronic_conditions",
    "is_chronic_icd10",
    "is_chronic_snomed",
    "normalize_icd10",
    "parse_icd10_entry",
]

VALUESETS = Path(__file__).resolve().parent / "valuesets"
ICD10_FILE = VALUESETS / "chronic_conditions_icd10.toml"
SNOMED_FILE = VALUESETS / "chronic_conditions_snomed.toml"

# CC-002: claim types that can qualify a condition. ED = an emergency-department claim (the OUD rule).
# PROCEDURE: a non-drug claim carrying one of the condition's qualifying_procedures (§4.1)
CLAIM_TYPES = frozenset({"IP", "SNF", "HHA", "HOP", "CARRIER", "ED", "PROCEDURE"})

# Characters of ICD-10-CM codes, in ASCII (= lexicographic) order: digits sort before letters.
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_MAX_EXPANSION = 50_000


@dataclass(frozen=True, slots=True)
class QualifyingClaims:
    """One alternative of a CCW claims rule: ``count`` claims (distinct dates, CC-004) of these types."""

    count: int
    claim_types: frozenset[str]


@dataclass(frozen=True, slots=True)
class ChronicCondition:
    id: str
    ccw_id: int
    name: str
    category: str
    chronic_condition_type: str  # "Common" or "Other chronic or potentially disabling conditions"
    chronic: bool  # §0: expected to last >= 12 months; False for the CCW acute-event categories
    counts_as: str  # counting group for BILL-009 (overlapping CCW categories of one disease)
    reference_years: int  # CC-001 reference period (§4.1 table; 2 years for the others, CONFIG)
    qualifying_claims: tuple[QualifyingClaims, ...]  # any one alternative qualifies
    claims_qualification: str  # the CCW rule text, as in the reference list
    additional_logic: str
    source: str
    icd10cm: tuple[str, ...]
    icd10cm_exclude: tuple[str, ...]
    disqualifying_icd10cm: tuple[str, ...]  # CC-005 claim-level exclusions
    snomed: tuple[str, ...]
    note: str
    # §4.1 procedure codes: ICD-10-PCS codes that count like the diagnosis codes on a claim, and
    # ICD-10-PCS / CPT / HCPCS codes of which one non-drug claim meets the condition
    icd10pcs: tuple[str, ...] = ()
    qualifying_procedures: tuple[str, ...] = ()
    # screening codes (HIV's R75): they count towards the claims rule, which then needs one claim
    # with another code of the condition ("a second qualifying claim that is not R75")
    screening_icd10cm: tuple[str, ...] = ()

    @property
    def is_common(self) -> bool:
        return self.chronic_condition_type == "Common"


# --------------------------------------------------------------------------- entries and ranges


def normalize_icd10(code: str) -> str:
    """``" e11.9 "`` → ``"E119"``: dots and whitespace removed, upper case."""
    return "".join(code.split()).replace(".", "").upper()


def parse_icd10_entry(entry: str) -> tuple[str, str, frozenset[str] | None]:
    """Parse a value-set entry (``"I50"``, ``"N18.3-N18.6"``, ``"S72.0-S72.2 /7=ABC"``).

    Returns ``(low, high, seventh)``: a code ``c`` (normalized) matches when ``len(c) >= n`` for
    ``n = len(low) == len(high)``, ``low <= c[:n] <= high``, and, when ``seventh`` is set,
    ``len(c) == 7 and c[6] in seventh``.
    """
    text, _, qualifier = entry.partition("/")
    seventh: frozenset[str] | None = None
    if qualifier:
        key, _, chars = qualifier.strip().partition("=")
        if key.strip() != "7" or not chars.strip().isalnum():
            raise ValueError(f"bad qualifier in ICD-10-CM entry {entry!r}: expected '/7=<chars>'")
        seventh = frozenset(chars.strip().upper())
    low, sep, high = text.partition("-")
    low = normalize_icd10(low)
    high = normalize_icd10(high) if sep else low
    for end in (low, high):
        if not (3 <= len(end) <= 7 and end.isalnum() and end[0].isalpha() and end.isascii()):
            raise ValueError(f"bad ICD-10-CM entry {entry!r}: {end!r} is not a code prefix")
    if len(low) != len(high):
        raise ValueError(f"bad ICD-10-CM range {entry!r}: both ends must have the same length")
    if low > high:
        raise ValueError(f"bad ICD-10-CM range {entry!r}: {low} sorts after {high}")
    if seventh is not None and len(low) >= 7:
        raise ValueError(f"bad ICD-10-CM entry {entry!r}: a 7th-character filter needs a prefix")
    return low, high, seventh


def _expand(low: str, high: str) -> list[str]:
    """All strings s over the ICD-10 alphabet with len(s) == len(low) and low <= s <= high."""
    out: list[str] = []

    def walk(prefix: str, i: int, tight_low: bool, tight_high: bool) -> None:
        if i == len(low):
            out.append(prefix)
            if len(out) > _MAX_EXPANSION:
                raise ValueError(f"ICD-10-CM range {low}-{high} is too wide")
            return
        lo = low[i] if tight_low else _ALPHABET[0]
        hi = high[i] if tight_high else _ALPHABET[-1]
        for ch in _ALPHABET:
            if lo <= ch <= hi:
                walk(prefix + ch, i + 1, tight_low and ch == lo, tight_high and ch == hi)

    walk("", 0, True, True)
    return out


_INCLUDE, _EXCLUDE, _DISQUALIFY = 0, 1, 2
# prefix → ((condition id, kind, seventh-or-None), ...)
_Index = dict[str, tuple[tuple[str, int, frozenset[str] | None], ...]]


def _compile(conditions: Mapping[str, ChronicCondition]) -> tuple[_Index, tuple[int, ...]]:
    index: dict[str, list[tuple[str, int, frozenset[str] | None]]] = {}
    for cid, cond in conditions.items():
        for kind, entries in (
            (_INCLUDE, cond.icd10cm),
            (_EXCLUDE, cond.icd10cm_exclude),
            (_DISQUALIFY, cond.disqualifying_icd10cm),
        ):
            for entry in entries:
                low, high, seventh = parse_icd10_entry(entry)
                for prefix in _expand(low, high):
                    index.setdefault(prefix, []).append((cid, kind, seventh))
    lengths = tuple(sorted({len(p) for p in index}))
    return {p: tuple(v) for p, v in index.items()}, lengths


# --------------------------------------------------------------------------- loading


def _str_tuple(raw: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ValueError(f"{where}.{key}: expected a list of strings")
    return tuple(value)


def _load() -> tuple[dict[str, ChronicCondition], str]:
    with ICD10_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    with SNOMED_FILE.open("rb") as fh:
        snomed_data = tomllib.load(fh)
    snomed_by_condition: dict[str, list[str]] = {}
    for code, row in snomed_data.get("codes", {}).items():
        where = f"{SNOMED_FILE.name}: codes.{code}"
        if not code.isdigit():
            raise ValueError(f"{where}: a SNOMED CT code is digits only")
        for cid in row.get("conditions", []):
            snomed_by_condition.setdefault(cid, []).append(code)
    conditions: dict[str, ChronicCondition] = {}
    for cid, raw in data["conditions"].items():
        where = f"{ICD10_FILE.name}: conditions.{cid}"
        rules = tuple(
            QualifyingClaims(int(q["count"]), frozenset(q["claim_types"]))
            for q in raw["qualifying_claims"]
        )
        for rule in rules:
            if not rule.claim_types <= CLAIM_TYPES or rule.count < 1:
                raise ValueError(f"{where}.qualifying_claims: bad rule {rule}")
        procedures = _str_tuple(raw, "qualifying_procedures", where)
        if bool(procedures) != any("PROCEDURE" in r.claim_types for r in rules):
            raise ValueError(
                f"{where}: qualifying_procedures and a PROCEDURE alternative of "
                "qualifying_claims go together"
            )
        conditions[cid] = ChronicCondition(
            id=cid,
            ccw_id=int(raw["ccw_id"]),
            name=str(raw["name"]),
            category=str(raw["category"]),
            chronic_condition_type=str(raw["chronic_condition_type"]),
            chronic=bool(raw.get("chronic", True)),
            counts_as=str(raw.get("counts_as", cid)),
            reference_years=int(raw["reference_years"]),
            qualifying_claims=rules,
            claims_qualification=str(raw["claims_qualification"]),
            additional_logic=str(raw.get("additional_logic", "")),
            source=str(raw["source"]),
            icd10cm=_str_tuple(raw, "icd10cm", where),
            icd10cm_exclude=_str_tuple(raw, "icd10cm_exclude", where),
            disqualifying_icd10cm=_str_tuple(raw, "disqualifying_icd10cm", where),
            snomed=tuple(sorted(snomed_by_condition.pop(cid, []))),
            note=str(raw.get("note", "")),
            icd10pcs=_str_tuple(raw, "icd10pcs", where),
            qualifying_procedures=procedures,
            screening_icd10cm=_str_tuple(raw, "screening_icd10cm", where),
        )
    if snomed_by_condition:
        raise ValueError(f"{SNOMED_FILE.name}: unknown condition ids {sorted(snomed_by_condition)}")
    return conditions, str(data.get("version", ""))


_conditions, VALUE_SET_VERSION = _load()
CONDITIONS: Mapping[str, ChronicCondition] = MappingProxyType(_conditions)
_INDEX, _LENGTHS = _compile(_conditions)
_CHRONIC_IDS = frozenset(cid for cid, c in _conditions.items() if c.chronic)
_SNOMED: dict[str, frozenset[str]] = {}
for _cid, _cond in _conditions.items():
    for _code in _cond.snomed:
        _SNOMED[_code] = _SNOMED.get(_code, frozenset()) | {_cid}
del _cid, _cond, _code
_EMPTY: frozenset[str] = frozenset()


# --------------------------------------------------------------------------- lookups


@lru_cache(maxsize=1 << 18)
def _icd10(code: str) -> tuple[frozenset[str], frozenset[str]]:
    """(conditions including acute ones, disqualified conditions) of one raw code string."""
    c = normalize_icd10(code)
    included: set[str] = set()
    excluded: set[str] = set()
    disqualified: set[str] = set()
    n = len(c)
    for length in _LENGTHS:
        if length > n:
            break
        for cid, kind, seventh in _INDEX.get(c[:length], ()):
            if seventh is not None and not (n == 7 and c[6] in seventh):
                continue
            (included, excluded, disqualified)[kind].add(cid)
    if not included and not disqualified:
        return _EMPTY, _EMPTY
    return frozenset(included - excluded), frozenset(disqualified)


def conditions_for_icd10(code: str, *, include_acute: bool = False) -> frozenset[str]:
    """CCW condition ids of one ICD-10-CM code (dots optional, any case, whitespace ignored).

    Empty when the code is not chronic. ``include_acute=True`` also returns the CCW acute-event
    categories (AMI, pneumonia, hip/pelvic fracture, acute hepatitis) for the population mart.
    """
    found = _icd10(code)[0]
    if include_acute or not found:
        return found
    return found & _CHRONIC_IDS


def is_chronic_icd10(code: str) -> bool:
    """True when the ICD-10-CM code belongs to at least one chronic condition (§0, §4)."""
    return bool(conditions_for_icd10(code))


def disqualifying_conditions_for_icd10(code: str) -> frozenset[str]:
    """Conditions for which a claim carrying this code does not qualify (CC-005; Stroke/TIA, BPH)."""
    return _icd10(code)[1]


def conditions_for_snomed(code: str, *, include_acute: bool = False) -> frozenset[str]:
    """CCW condition ids of one SNOMED CT concept id (EHR problem lists, §4.2 CC-103)."""
    found = _SNOMED.get(code.strip(), _EMPTY)
    if include_acute or not found:
        return found
    return found & _CHRONIC_IDS


def is_chronic_snomed(code: str) -> bool:
    return bool(conditions_for_snomed(code))


def distinct_chronic_conditions(
    icd10_codes: Iterable[str] = (), snomed_codes: Iterable[str] = ()
) -> frozenset[str]:
    """Counting groups of the chronic conditions among these codes (BILL-009, CCM-001, APCM-001).

    ``len(distinct_chronic_conditions(codes)) >= 2`` is the CCM test: two codes of one condition,
    or of two overlapping CCW categories of one disease, count once.
    """
    groups: set[str] = set()
    for code in icd10_codes:
        for cid in conditions_for_icd10(code):
            groups.add(_conditions[cid].counts_as)
    for code in snomed_codes:
        for cid in conditions_for_snomed(code):
            groups.add(_conditions[cid].counts_as)
    return frozenset(groups)
