"""Encounter, Condition, Observation, MedicationRequest/Statement, Immunization, Procedure,
AllergyIntolerance."""

from __future__ import annotations

from typing import Any

from careloop.core import codesystems as cs

from ..values import MappingError, parse_date, parse_datetime, parse_decimal
from .common import MapContext, Row, first_code, require

_ENCOUNTER_CLASS = {
    "AMB": "ambulatory",
    "EMER": "emergency",
    "IMP": "inpatient",
    "ACUTE": "inpatient",
    "NONAC": "inpatient",
    "OBSENC": "observation",
    "HH": "home",
    "VR": "virtual",
}
_ENC = ("Encounter",)
_PAT = ("Patient",)


def _subject(r: dict[str, Any], ctx: MapContext, key: str = "subject") -> str:
    return ctx.ref(r.get(key), key, _PAT, required=True)


def _encounter_ref(
    r: dict[str, Any], ctx: MapContext, refs: dict[str, str], key: str = "encounter"
) -> None:
    enc = ctx.ref(r.get(key), key, _ENC)
    if enc:
        refs["encounter"] = enc


def map_encounter(r: dict[str, Any], ctx: MapContext, sid: str) -> Row:
    status = require(r, "status")
    klass = require(r, "class")
    if isinstance(klass, list):
        raise MappingError("class", "is a list (FHIR R5 shape); R4 Encounter.class is one Coding")
    if not isinstance(klass, dict):
        raise MappingError("class", "expected a Coding object")
    class_code = str(klass.get("code") or "")
    refs = {"patient": _subject(r, ctx)}
    period = r.get("period") or {}
    types: list[list[str]] = []
    type_display = ""
    for i, t in enumerate(r.get("type") or ()):
        _s, _c, d, codings = ctx.coded(t, f"type[{i}]")
        types.extend(codings)
        type_display = type_display or d
    reasons: list[list[str]] = []
    for i, rc in enumerate(r.get("reasonCode") or ()):
        reasons.extend(ctx.coded(rc, f"reasonCode[{i}]")[3])
    for i, p in enumerate(r.get("participant") or ()):
        if isinstance(p, dict) and p.get("individual"):
            ref = ctx.ref(p["individual"], f"participant[{i}].individual", ())
            if ref.startswith("Practitioner"):
                refs["practitioner"] = ref
                break
    sp = ctx.ref(r.get("serviceProvider"), "serviceProvider", ("Organization",))
    if sp:
        refs["service_provider"] = sp
    for i, loc in enumerate(r.get("location") or ()):
        if isinstance(loc, dict):
            ref = ctx.ref(loc.get("location"), f"location[{i}].location", ("Location",))
            if ref:
                refs["location"] = ref
                break
    hosp = r.get("hospitalization") or {}
    return Row(
        "Encounter",
        sid,
        {
            "encounter_class": _ENCOUNTER_CLASS.get(class_code, "other"),
            "class_code": class_code[:20],
            "status": str(status)[:20],
            "type_codes": types,
            "type_display": type_display,
            "start": parse_datetime(period.get("start"), "period.start"),
            "end": parse_datetime(period.get("end"), "period.end"),
            "admit_source": first_code(hosp.get("admitSource"))[:40],
            "discharge_disposition": first_code(hosp.get("dischargeDisposition"))[:40],
            "reason_codes": reasons,
        },
        refs,
    )


def _coded_fields(r: dict[str, Any], ctx: MapContext, key: str) -> dict[str, Any]:
    system, code, display, codings = ctx.coded(require(r, key), key)
    if not code and not display:
        raise MappingError(key, "has neither a coding nor text")
    return {"system": system[:200], "code": code[:64], "display": display, "codings": codings}


def map_condition(r: dict[str, Any], ctx: MapContext, sid: str) -> Row:
    refs = {"patient": _subject(r, ctx)}
    _encounter_ref(r, ctx, refs)
    if isinstance(r.get("clinicalStatus"), str):
        raise MappingError(
            "clinicalStatus", "is a code string (STU3 shape); R4 requires a CodeableConcept"
        )
    fields = _coded_fields(r, ctx, "code")
    category = ""
    for c in r.get("category") or ():
        category = first_code(c) or category
    fields.update(
        clinical_status=first_code(r.get("clinicalStatus"))[:20],
        verification_status=first_code(r.get("verificationStatus"))[:20],
        category=category[:40],
        onset=parse_date(
            r.get("onsetDateTime") or (r.get("onsetPeriod") or {}).get("start"), "onsetDateTime"
        ),
        abatement=parse_date(
            r.get("abatementDateTime") or (r.get("abatementPeriod") or {}).get("start"),
            "abatementDateTime",
        ),
        recorded_date=parse_date(r.get("recordedDate"), "recordedDate"),
    )
    return Row("Condition", sid, fields, refs)


def _quantity(q: Any, path: str) -> tuple[float | None, str]:
    if not isinstance(q, dict):
        raise MappingError(path, "expected a Quantity object")
    value = parse_decimal(q.get("value"), f"{path}.value")
    return value, str(q.get("unit") or q.get("code") or "")[:40]


def map_observation(r: dict[str, Any], ctx: MapContext, sid: str) -> Row:
    status = require(r, "status")
    refs = {"patient": _subject(r, ctx)}
    _encounter_ref(r, ctx, refs)
    fields = _coded_fields(r, ctx, "code")
    category = ""
    for c in r.get("category") or ():
        category = first_code(c) or category
    value = None
    unit = ""
    text = ""
    if "valueQuantity" in r:
        value, unit = _quantity(r["valueQuantity"], "valueQuantity")
    elif "valueCodeableConcept" in r:
        text = ctx.coded(r["valueCodeableConcept"], "valueCodeableConcept", check=False)[2]
    elif "valueString" in r:
        text = str(r["valueString"])
    elif "valueBoolean" in r:
        text = str(r["valueBoolean"]).lower()
    elif "valueInteger" in r:
        value = parse_decimal(r["valueInteger"], "valueInteger")
    components = []
    for i, comp in enumerate(r.get("component") or ()):
        path = f"component[{i}]"
        _s, ccode, cdisplay, _all = ctx.coded(comp.get("code"), f"{path}.code")
        cvalue, cunit = (None, "")
        if "valueQuantity" in comp:
            cvalue, cunit = _quantity(comp["valueQuantity"], f"{path}.valueQuantity")
        components.append({"code": ccode, "display": cdisplay, "value": cvalue, "unit": cunit})
    effective = (
        r.get("effectiveDateTime")
        or (r.get("effectivePeriod") or {}).get("start")
        or r.get("issued")
    )
    fields.update(
        category=category[:40],
        status=str(status)[:20],
        effective=parse_datetime(effective, "effectiveDateTime"),
        value=value,
        unit=unit,
        value_text=text[:300],
        components=components,
    )
    return Row("Observation", sid, fields, refs)


def map_medication(r: dict[str, Any], ctx: MapContext, sid: str) -> Row:
    rtype = r["resourceType"]
    status = require(r, "status")
    refs = {"patient": _subject(r, ctx)}
    _encounter_ref(r, ctx, refs, "encounter" if rtype == "MedicationRequest" else "context")
    if "medicationCodeableConcept" in r:
        fields = _coded_fields(r, ctx, "medicationCodeableConcept")
    elif "medicationReference" in r:
        ref = r["medicationReference"]
        fields = {
            "system": "",
            "code": "",
            "display": str(ref.get("display") or "")[:300],
            "codings": [],
        }
    else:
        raise MappingError("medication[x]", "required element is missing")
    dosage = ""
    for d in r.get("dosageInstruction") or r.get("dosage") or ():
        if isinstance(d, dict) and d.get("text"):
            dosage = str(d["text"])
            break
    period = r.get("effectivePeriod") or {}
    fields.update(
        resource_type=rtype,
        status=str(status)[:20],
        intent=str(r.get("intent") or "")[:20],
        authored_on=parse_date(r.get("authoredOn") or r.get("dateAsserted"), "authoredOn"),
        start=parse_date(
            period.get("start") or r.get("effectiveDateTime"), "effectivePeriod.start"
        ),
        end=parse_date(period.get("end"), "effectivePeriod.end"),
        dosage_text=dosage[:500],
    )
    return Row("Medication", sid, fields, refs)


def map_immunization(r: dict[str, Any], ctx: MapContext, sid: str) -> Row:
    status = require(r, "status")
    refs = {"patient": _subject(r, ctx, "patient")}
    _encounter_ref(r, ctx, refs)
    fields = _coded_fields(r, ctx, "vaccineCode")
    if (
        fields["system"]
        and fields["system"] != cs.CVX
        and not any(c[0] == cs.CVX for c in fields["codings"])
    ):
        ctx.warn("vaccineCode", f"vaccine coded in {fields['system']!r}, not CVX")
    fields.update(
        status=str(status)[:20],
        occurrence=parse_date(r.get("occurrenceDateTime"), "occurrenceDateTime"),
    )
    return Row("Immunization", sid, fields, refs)


def map_procedure(r: dict[str, Any], ctx: MapContext, sid: str) -> Row:
    status = require(r, "status")
    refs = {"patient": _subject(r, ctx)}
    _encounter_ref(r, ctx, refs)
    fields = _coded_fields(r, ctx, "code")
    performed = r.get("performedDateTime") or (r.get("performedPeriod") or {}).get("start")
    fields.update(status=str(status)[:20], performed=parse_date(performed, "performed[x]"))
    return Row("Procedure", sid, fields, refs)


def map_allergy(r: dict[str, Any], ctx: MapContext, sid: str) -> Row:
    refs = {"patient": _subject(r, ctx, "patient")}
    fields = _coded_fields(r, ctx, "code")
    cats = r.get("category") or ()
    fields.update(
        clinical_status=first_code(r.get("clinicalStatus"))[:20],
        category=(str(cats[0]) if cats else "")[:40],
        criticality=str(r.get("criticality") or "")[:20],
        recorded_date=parse_date(r.get("recordedDate"), "recordedDate"),
    )
    return Row("AllergyIntolerance", sid, fields, refs)
