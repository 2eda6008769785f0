"""ExplanationOfBenefit resources for the generated encounters (Blue Button style claim types).

Carrier claims are professional; outpatient, inpatient, SNF and home-health claims are
institutional. Each names its encounter on every item (`item.encounter`), the coverage it
was paid under (`insurance`), ordered diagnoses (the first one principal) and the place of
service. Amounts are allowed amounts of the right order for Medicare, not fee schedules.
"""

from __future__ import annotations

from orjson import Fragment

from careloop.core.codesystems import (
    BB_EOB_TYPE,
    CLAIM_TYPE,
    CMS_PLACE_OF_SERVICE,
    CPT,
    HCPCS,
    ICD10CM,
    ICD10PCS,
)

from .codes import (
    ADJUDICATION,
    CARE_TEAM_ROLE,
    CPT_DISPLAY,
    DATA_ABSENT,
    DIAGNOSIS_TYPE,
    NUBC_REVENUE,
)
from .templates import frag

_PROFESSIONAL = {"system": CLAIM_TYPE, "code": "professional"}
_INSTITUTIONAL = {"system": CLAIM_TYPE, "code": "institutional"}
EOB_TYPES = {
    kind: frag({"coding": [{"system": BB_EOB_TYPE, "code": kind}, claim_type]})
    for kind, claim_type in (
        ("CARRIER", _PROFESSIONAL),
        ("OUTPATIENT", _INSTITUTIONAL),
        ("INPATIENT", _INSTITUTIONAL),
        ("SNF", _INSTITUTIONAL),
        ("HHA", _INSTITUTIONAL),
    )
}
PLACE_OF_SERVICE = {
    code: frag({"coding": [{"system": CMS_PLACE_OF_SERVICE, "code": code, "display": display}]})
    for code, display in (
        ("02", "Telehealth Provided Other than in Patient's Home"),
        ("10", "Telehealth Provided in Patient's Home"),
        ("11", "Office"),
        ("12", "Home"),
        ("21", "Inpatient Hospital"),
        ("22", "On Campus-Outpatient Hospital"),
        ("23", "Emergency Room - Hospital"),
        ("31", "Skilled Nursing Facility"),
        ("81", "Independent Laboratory"),
    )
}
_HCPCS_CODES = frozenset(code for code in CPT_DISPLAY if code[0].isalpha())
# CPT/HCPCS CodeableConcepts with displays (Procedure.code) and bare (claim lines).
PRODUCT = {
    code: frag(
        {
            "coding": [
                {"system": HCPCS if code in _HCPCS_CODES else CPT, "code": code, "display": display}
            ]
        }
    )
    for code, display in CPT_DISPLAY.items()
}
_LINE_PRODUCT: dict[str | None, Fragment] = {
    code: frag({"coding": [{"system": HCPCS if code in _HCPCS_CODES else CPT, "code": code}]})
    for code in CPT_DISPLAY
}
_LINE_PRODUCT[None] = frag({"coding": [{"system": DATA_ABSENT, "code": "not-applicable"}]})
REVENUE = {
    code: frag({"coding": [{"system": NUBC_REVENUE, "code": code, "display": display}]})
    for code, display in (
        ("0120", "Room & Board - Semi-private"),
        ("0250", "Pharmacy"),
        ("0300", "Laboratory"),
        ("0450", "Emergency room"),
        ("0551", "Skilled nursing visit"),
        ("0762", "Observation room"),
        ("0191", "Subacute care, level I"),
    )
}
_PRINCIPAL = [{"coding": [{"system": DIAGNOSIS_TYPE, "code": "principal"}]}]
_CARE_TEAM_ROLE = frag({"coding": [{"system": CARE_TEAM_ROLE, "code": "primary"}]})
_SUBMITTED = frag({"coding": [{"system": ADJUDICATION, "code": "submitted"}]})
_BENEFIT = frag({"coding": [{"system": ADJUDICATION, "code": "benefit"}]})
_DIAGNOSIS: dict[tuple[int, str], Fragment] = {}  # (sequence, ICD-10-CM code) -> diagnosis entry
_PCS: dict[str, Fragment] = {}
_CARE_TEAM_SEQUENCE = frag([1])
_DX_SEQUENCES = [frag(list(range(1, n + 1))) for n in range(5)]
_ONE = frag({"value": 1})


def _diagnosis(n: int, code: str) -> Fragment:
    entry = _DIAGNOSIS.get((n, code))
    if entry is None:
        value = {
            "sequence": n,
            "diagnosisCodeableConcept": {"coding": [{"system": ICD10CM, "code": code}]},
        }
        if n == 1:
            value["type"] = _PRINCIPAL
        entry = _DIAGNOSIS[(n, code)] = frag(value)
    return entry


def _money(value: float) -> dict:
    return {"value": round(value, 2), "currency": "USD"}


def eob(
    *,
    eid: str,
    kind: str,
    patient: dict,
    start: str,
    end: str,
    created: str,
    insurer: dict,
    provider: dict,
    clinician: dict | None,
    coverage: dict,
    diagnoses: list[str],
    lines: list[tuple],
    pos: str,
    encounter: Fragment,
    procedures: list[tuple[str, str, str]] | None = None,
) -> dict:
    """One claim. `diagnoses` are ICD-10-CM codes, principal first; `lines` are
    (product code or None, revenue code or None, served date, allowed amount, quantity)."""
    location = PLACE_OF_SERVICE[pos]
    dx_sequences = _DX_SEQUENCES[min(len(diagnoses), 4)]
    encounters = [encounter]
    items = []
    allowed = 0.0
    for n, (product, revenue, served, amount, quantity) in enumerate(lines, 1):
        item = {
            "sequence": n,
            "productOrService": _LINE_PRODUCT[product],
            "servicedDate": served,
            "locationCodeableConcept": location,
            "quantity": _ONE if quantity == 1 else {"value": quantity},
            "net": {"value": round(amount, 2), "currency": "USD"},
            "encounter": encounters,
            "diagnosisSequence": dx_sequences,
        }
        if clinician is not None:
            item["careTeamSequence"] = _CARE_TEAM_SEQUENCE
        if revenue:
            item["revenue"] = REVENUE[revenue]
        items.append(item)
        allowed += amount
    paid = {"value": round(allowed * 0.8, 2), "currency": "USD"}
    res = {
        "resourceType": "ExplanationOfBenefit",
        "id": eid,
        "status": "active",
        "type": EOB_TYPES[kind],
        "use": "claim",
        "patient": patient,
        "billablePeriod": {"start": start, "end": end},
        "created": created,
        "insurer": insurer,
        "provider": provider,
        "outcome": "complete",
        "diagnosis": [_diagnosis(n, code) for n, code in enumerate(diagnoses, 1)],
        "insurance": [{"focal": True, "coverage": coverage}],
        "item": items,
        "total": [
            {
                "category": _SUBMITTED,
                "amount": {"value": round(allowed * 1.6, 2), "currency": "USD"},
            },
            {"category": _BENEFIT, "amount": paid},
        ],
        "payment": {"amount": paid},
    }
    if clinician is not None:
        res["careTeam"] = [{"sequence": 1, "provider": clinician, "role": _CARE_TEAM_ROLE}]
    if procedures:
        res["procedure"] = [
            {"sequence": n, "date": when, "procedureCodeableConcept": pcs_concept(code, display)}
            for n, (code, display, when) in enumerate(procedures, 1)
        ]
    return res


def pcs_concept(code: str, display: str) -> Fragment:
    concept = _PCS.get(code)
    if concept is None:
        concept = _PCS[code] = frag(
            {"coding": [{"system": ICD10PCS, "code": code, "display": display}]}
        )
    return concept
