"""ExplanationOfBenefit resources for the generated encounters (Blue Button style claim types).

Carrier claims are professional; outpatient, inpatient, SNF and home-health claims are
institutional. Each names its encounter on every item (`item.encounter`), the coverage it
was paid under (`insurance`), ordered diagnoses (the first one principal) and the place of
service. Amounts are allowed amounts of the right order for Medicare, not fee schedules.
"""

from __future__ import annotations

from careloop.core.codesystems import (
    BB_EOB_TYPE,
    CLAIM_TYPE,
    CMS_PLACE_OF_SERVICE,
    CPT,
    HCPCS,
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

_PROFESSIONAL = {"system": CLAIM_TYPE, "code": "professional", "display": "Professional"}
_INSTITUTIONAL = {"system": CLAIM_TYPE, "code": "institutional", "display": "Institutional"}
EOB_TYPES = {
    kind: {"coding": [{"system": BB_EOB_TYPE, "code": kind}, claim_type]}
    for kind, claim_type in (
        ("CARRIER", _PROFESSIONAL),
        ("OUTPATIENT", _INSTITUTIONAL),
        ("INPATIENT", _INSTITUTIONAL),
        ("SNF", _INSTITUTIONAL),
        ("HHA", _INSTITUTIONAL),
    )
}
PLACE_OF_SERVICE = {
    code: {"coding": [{"system": CMS_PLACE_OF_SERVICE, "code": code, "display": display}]}
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
PRODUCT = {
    code: {
        "coding": [
            {"system": HCPCS if code in _HCPCS_CODES else CPT, "code": code, "display": display}
        ]
    }
    for code, display in CPT_DISPLAY.items()
}
PRODUCT_NONE = {
    "coding": [{"system": DATA_ABSENT, "code": "not-applicable", "display": "Not Applicable"}]
}
REVENUE = {
    code: {"coding": [{"system": NUBC_REVENUE, "code": code, "display": display}]}
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
_PRINCIPAL = [
    {"coding": [{"system": DIAGNOSIS_TYPE, "code": "principal", "display": "Principal Diagnosis"}]}
]
_ROLE_PRIMARY = {
    "coding": [{"system": CARE_TEAM_ROLE, "code": "primary", "display": "Primary provider"}]
}
_SUBMITTED = {
    "coding": [{"system": ADJUDICATION, "code": "submitted", "display": "Submitted Amount"}]
}
_BENEFIT = {"coding": [{"system": ADJUDICATION, "code": "benefit", "display": "Benefit Amount"}]}
_ELIGIBLE = {"coding": [{"system": ADJUDICATION, "code": "eligible", "display": "Eligible Amount"}]}
PCS_CODING = {}  # filled lazily: code -> CodeableConcept


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
    diagnoses: list[dict],
    lines: list[tuple],
    pos: str,
    encounter: dict,
    procedures: list[tuple[str, str, str]] | None = None,
) -> dict:
    """One claim. `diagnoses` are ICD-10-CM codings, principal first; `lines` are
    (product code or None, revenue code or None, served date, allowed amount, quantity)."""
    location = PLACE_OF_SERVICE[pos]
    dx_sequences = list(range(1, min(len(diagnoses), 4) + 1))
    items = []
    allowed = 0.0
    for n, (product, revenue, served, amount, quantity) in enumerate(lines, 1):
        item = {
            "sequence": n,
            "productOrService": PRODUCT[product] if product else PRODUCT_NONE,
            "servicedDate": served,
            "locationCodeableConcept": location,
            "quantity": {"value": quantity},
            "net": _money(amount),
            "encounter": [encounter],
            "diagnosisSequence": dx_sequences,
        }
        if clinician is not None:
            item["careTeamSequence"] = [1]
        if revenue:
            item["revenue"] = REVENUE[revenue]
        items.append(item)
        allowed += amount
    paid = allowed * 0.8
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
        "diagnosis": [
            {"sequence": n, "diagnosisCodeableConcept": {"coding": [coding]}, "type": _PRINCIPAL}
            if n == 1
            else {"sequence": n, "diagnosisCodeableConcept": {"coding": [coding]}}
            for n, coding in enumerate(diagnoses, 1)
        ],
        "insurance": [{"focal": True, "coverage": coverage}],
        "item": items,
        "total": [
            {"category": _SUBMITTED, "amount": _money(allowed * 1.6)},
            {"category": _ELIGIBLE, "amount": _money(allowed)},
            {"category": _BENEFIT, "amount": _money(paid)},
        ],
        "payment": {"amount": _money(paid)},
    }
    if clinician is not None:
        res["careTeam"] = [{"sequence": 1, "provider": clinician, "role": _ROLE_PRIMARY}]
    if procedures:
        res["procedure"] = [
            {"sequence": n, "date": when, "procedureCodeableConcept": _pcs(code, display)}
            for n, (code, display, when) in enumerate(procedures, 1)
        ]
    return res


def _pcs(code: str, display: str) -> dict:
    concept = PCS_CODING.get(code)
    if concept is None:
        concept = PCS_CODING[code] = {
            "coding": [{"system": ICD10PCS, "code": code, "display": display}]
        }
    return concept
