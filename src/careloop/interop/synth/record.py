"""The rest of one patient's record: problem list, medications, immunizations, allergies, and
the Condition and Procedure resources that stays and screenings produce."""

from __future__ import annotations

from datetime import date

from orjson import Fragment

from careloop.core.codesystems import CVX, RXNORM, SNOMED

from . import templates as T
from .claims import PRODUCT, pcs_concept
from .codes import (
    ALLERGIES,
    ALLERGY_CLINICAL,
    ALLERGY_VERIFICATION,
    FLU_VACCINES,
    MEDS,
    MEDS_FOR,
    NO_KNOWN_ALLERGY,
    PNEUMO,
    STATINS,
)
from .population import Weighted, randint

_FLU = Weighted(FLU_VACCINES)
_STATIN = Weighted(STATINS)
_ALLERGY = Weighted(ALLERGIES)
_MED_CONCEPT = {
    key: {"coding": [T.coding(RXNORM, code, display)], "text": display}
    for key, (code, display, _text) in MEDS.items()
}
_DOSAGE = {key: [{"text": text}] for key, (_c, _d, text) in MEDS.items()}
_VACCINE = {
    code: {"coding": [T.coding(CVX, code, display)], "text": display}
    for code, display, _w in FLU_VACCINES
}
_VACCINE.update(
    {
        code: {"coding": [T.coding(CVX, code, display)], "text": display}
        for code, display in PNEUMO.items()
    }
)
_ALLERGY_ACTIVE = {"coding": [T.coding(ALLERGY_CLINICAL, "active", "Active")]}
_ALLERGY_CONFIRMED = {"coding": [T.coding(ALLERGY_VERIFICATION, "confirmed", "Confirmed")]}
_PCV13_LAST_DAY = date(2021, 10, 20).toordinal()  # PCV15/PCV20 recommended from late 2021


def emit_record(ctx, p) -> None:
    conditions(ctx, p)
    medications(ctx, p)
    immunizations(ctx, p)
    allergies(ctx, p)


def conditions(ctx, p) -> None:
    rng, clock = p.rng, ctx.clock
    for c in p.chronic:
        r = rng.random()
        icd = T.ICD[c.icd]
        if c.sct and r < 0.15:
            codings = [T.SCT[c.sct]]
        elif c.sct and r < 0.3:
            codings = [icd, T.SCT[c.sct]]
        else:
            codings = [icd]
        recorded = min(c.onset_day + randint(rng, 0, 45), p.last_day)
        p.emit(
            "Condition",
            {
                "resourceType": "Condition",
                "id": p.next_id("c"),
                "clinicalStatus": T.CONDITION_ACTIVE,
                "verificationStatus": T.CONDITION_CONFIRMED,
                "category": T.PROBLEM_LIST,
                "code": {"coding": codings, "text": codings[0]["display"]},
                "subject": p.ref,
                "onsetDateTime": clock.date(c.onset_day),
                "recordedDate": clock.date(recorded),
            },
        )


def encounter_diagnosis(p, icd: str, onset: str, abatement_day: int, enc) -> None:
    """A resolved encounter diagnosis (the principal diagnosis of a stay)."""
    clock = p.ctx.clock
    coding = T.ICD[icd]
    p.emit(
        "Condition",
        {
            "resourceType": "Condition",
            "id": p.next_id("c"),
            "clinicalStatus": T.CONDITION_RESOLVED,
            "verificationStatus": T.CONDITION_CONFIRMED,
            "category": T.ENCOUNTER_DIAGNOSIS,
            "code": {"coding": [coding], "text": coding["display"]},
            "subject": p.ref,
            "encounter": enc,
            "onsetDateTime": onset,
            "abatementDateTime": clock.date(abatement_day),
            "recordedDate": onset,
        },
    )


def procedure(
    p, code: str, performed: str, enc: Fragment | None, pcs_display: str | None = None
) -> None:
    concept = pcs_concept(code, pcs_display) if pcs_display else PRODUCT[code]
    res = {
        "resourceType": "Procedure",
        "id": p.next_id("x"),
        "status": "completed",
        "code": concept,
        "subject": p.ref,
        "performedDateTime": performed,
    }
    if enc is not None:
        res["encounter"] = enc
    p.emit("Procedure", res)


def medications(ctx, p) -> None:
    rng, clock = p.rng, ctx.clock
    meds: list[str] = []
    keys = p.keys
    for c in p.chronic:
        for alternatives, probability in MEDS_FOR.get(c.key, ()):
            if rng.random() < probability and alternatives[0] not in meds:
                meds.append(alternatives[0])
    cardiovascular = "ischemic_heart_disease" in keys or "stroke" in keys or "pvd" in keys
    p_statin = (
        0.78
        if cardiovascular
        else 0.6
        if "diabetes" in keys
        else 0.55
        if "hyperlipidemia" in keys
        else 0.0
    )
    if rng.random() < p_statin:
        meds.append(_STATIN.pick(rng)[0])
    latest = max(p.visits, key=lambda v: v[0]) if p.visits else None
    for med in meds:
        if latest is not None and rng.random() < 0.9:
            day, enc = latest
        else:
            day, enc = randint(rng, p.first_day, max(p.first_day, p.last_day)), None
        status = "stopped" if p.death_day is not None or rng.random() < 0.06 else "active"
        res = {
            "resourceType": "MedicationRequest",
            "id": p.next_id("m"),
            "status": status,
            "intent": "order",
            "medicationCodeableConcept": _MED_CONCEPT[med],
            "subject": p.ref,
            "authoredOn": clock.date(day),
            "requester": p.pcp,
            "dosageInstruction": _DOSAGE[med],
        }
        if enc is not None:
            res["encounter"] = enc
        p.emit("MedicationRequest", res)


def _immunization(p, code: str, day: int) -> None:
    p.emit(
        "Immunization",
        {
            "resourceType": "Immunization",
            "id": p.next_id("i"),
            "status": "completed",
            "vaccineCode": _VACCINE[code],
            "patient": p.ref,
            "occurrenceDateTime": p.ctx.clock.date(day),
            "primarySource": True,
        },
    )


def immunizations(ctx, p) -> None:
    rng, clock = p.rng, ctx.clock
    p_flu = 0.85 if p.prevention else 0.3
    for year in range(clock.as_of.year - 3, clock.as_of.year + 1):
        day = date(year, 8, 25).toordinal() - clock.start_ord + randint(rng, 0, 110)
        if p.first_day <= day <= p.last_day and rng.random() < p_flu:
            _immunization(p, _FLU.pick(rng)[0], day)
    if (p.age >= 65 or rng.random() < 0.3) and rng.random() < (0.8 if p.prevention else 0.35):
        if p.age >= 65:
            day = p.birth_day + 65 * 365 + 16 + randint(rng, 0, 5 * 365)
        else:
            day = p.last_day - randint(rng, 0, 4 * 365)
        day = min(day, p.last_day)
        if day + clock.start_ord <= _PCV13_LAST_DAY:
            _immunization(p, "133", day)
            if day + 365 <= p.last_day:
                _immunization(p, "33", day + 365)
        elif rng.random() < 0.7:
            _immunization(p, "216", day)
        else:
            _immunization(p, "215", day)
            if day + 365 <= p.last_day:
                _immunization(p, "33", day + 365)


def allergies(ctx, p) -> None:
    rng, clock = p.rng, ctx.clock
    r = rng.random()
    if r < 0.25:
        found = [NO_KNOWN_ALLERGY + ("", "", 0)]
    elif r < 0.55:
        found = [_ALLERGY.pick(rng)]
        if rng.random() < 0.3:
            other = _ALLERGY.pick(rng)
            if other[0] != found[0][0]:
                found.append(other)
    else:
        return
    for code, display, category, criticality, _w in found:
        res = {
            "resourceType": "AllergyIntolerance",
            "id": p.next_id("a"),
            "clinicalStatus": _ALLERGY_ACTIVE,
            "verificationStatus": _ALLERGY_CONFIRMED,
            "code": {"coding": [T.coding(SNOMED, code, display)], "text": display},
            "patient": p.ref,
            "recordedDate": clock.date(
                randint(rng, min(p.first_day, p.last_day) - 3650, p.last_day)
            ),
        }
        if category:
            res["type"] = "allergy"
            res["category"] = [category]
            res["criticality"] = criticality
        p.emit("AllergyIntolerance", res)
