"""Claim and ExplanationOfBenefit (Synthea, Blue Button 2.0 / CARIN BB, careloop's generator).

Claim type: the Blue Button `eob-type` code when present (CARRIER, INPATIENT, ...); otherwise
the HL7 claim-type (`institutional` is split by place of service: 21 inpatient, else
outpatient when an item is at 22/23, else institutional; `pharmacy` is Part D).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from careloop.core import codesystems as cs

from ..values import MappingError, parse_date, period_dates
from .common import MapContext, Row, require

_BB_TYPE = {
    "CARRIER": "carrier",
    "INPATIENT": "inpatient",
    "OUTPATIENT": "outpatient",
    "SNF": "snf",
    "HHA": "home_health",
    "HOSPICE": "hospice",
    "DME": "dme",
    "PDE": "part_d",
}
_HL7_TYPE = {"professional": "professional", "institutional": "institutional", "pharmacy": "part_d"}
_ICD_SYSTEMS = (cs.ICD10CM, cs.ICD10)


def _money(obj: Any, path: str) -> Decimal | None:
    if not isinstance(obj, dict) or obj.get("value") is None:
        return None
    value = obj["value"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MappingError(path, f"unparseable amount {value!r}: expected a number")
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise MappingError(path, f"unparseable amount {value!r}") from None


def _claim_type(r: dict[str, Any], pos_codes: list[str]) -> str:
    hl7 = ""
    for c in (r.get("type") or {}).get("coding") or ():
        system = c.get("system")
        if system == cs.BB_EOB_TYPE and c.get("code") in _BB_TYPE:
            return _BB_TYPE[c["code"]]
        if system == cs.CLAIM_TYPE:
            hl7 = str(c.get("code") or "")
    kind = _HL7_TYPE.get(hl7, "other")
    if kind == "institutional":
        if "21" in pos_codes:
            return "inpatient"
        if "22" in pos_codes or "23" in pos_codes:
            return "outpatient"
    return kind


def map_claim(r: dict[str, Any], ctx: MapContext, sid: str) -> Row:
    require(r, "status")
    require(r, "type")
    extra = []
    patient_ref = r.get("patient")
    if isinstance(patient_ref, dict) and str(patient_ref.get("reference", "")).startswith("#"):
        # RDA partially adjudicated claims carry their beneficiary as a contained Patient
        local_id = patient_ref["reference"][1:]
        contained = next(
            (
                c
                for c in r.get("contained") or ()
                if c.get("resourceType") == "Patient" and c.get("id") == local_id
            ),
            None,
        )
        if contained is None:
            raise MappingError("patient", f"reference '#{local_id}' names no contained Patient")
        from .patient import map_patient

        prow = map_patient(contained, ctx, "")
        key = prow.fields["mbi"] or prow.fields["mrn"]
        if not key:
            raise MappingError("contained Patient", "has no MBI or MRN to identify the beneficiary")
        prow.source_id = f"mbi:{key}" if prow.fields["mbi"] else f"mrn:{key}"
        extra.append(prow)
        refs = {"patient": f"Patient/{prow.source_id}"}
    else:
        refs = {"patient": ctx.ref(patient_ref, "patient", ("Patient",), required=True)}
    start, end = period_dates(r.get("billablePeriod"), "billablePeriod")
    diagnoses: list[Any] = []
    for i, d in enumerate(sorted(r.get("diagnosis") or (), key=lambda d: d.get("sequence") or 0)):
        path = f"diagnosis[{i}]"
        if "diagnosisCodeableConcept" in d:
            _s, _c, _d, codings = ctx.coded(
                d["diagnosisCodeableConcept"], f"{path}.diagnosisCodeableConcept"
            )
            code = next(
                (c for s, c, _ in codings if s in _ICD_SYSTEMS), codings[0][1] if codings else ""
            )
            if code:
                diagnoses.append(code)
        elif "diagnosisReference" in d:
            ref = ctx.ref(d["diagnosisReference"], f"{path}.diagnosisReference", ("Condition",))
            if ref:
                diagnoses.append({"ref": ref})
    procedures = []
    for i, p in enumerate(r.get("procedure") or ()):
        if "procedureCodeableConcept" in p:
            _s, code, _d, _a = ctx.coded(
                p["procedureCodeableConcept"], f"procedure[{i}].procedureCodeableConcept"
            )
            if code:
                procedures.append(code)
    lines = []
    pos_codes: list[str] = []
    encounter = ""
    for i, item in enumerate(r.get("item") or ()):
        path = f"item[{i}]"
        system, code, _d, _a = ctx.coded(item.get("productOrService"), f"{path}.productOrService")
        served = item.get("servicedDate") or (item.get("servicedPeriod") or {}).get("start")
        pos = ""
        loc = item.get("locationCodeableConcept")
        if loc:
            pos = ctx.coded(loc, f"{path}.locationCodeableConcept", check=False)[1]
            if pos:
                pos_codes.append(pos)
        qty = item.get("quantity") or {}
        units = qty.get("value") if isinstance(qty, dict) else None
        served_on = parse_date(served, f"{path}.serviced[x]")
        lines.append(
            {
                "code": code,
                "system": system,
                "date": served_on.isoformat() if served_on else None,
                "units": units,
                "amount": str(_money(item.get("net"), f"{path}.net") or ""),
                "pos": pos,
            }
        )
        for enc in item.get("encounter") or ():
            encounter = encounter or ctx.ref(enc, f"{path}.encounter[0]", ("Encounter",))
    if not encounter:
        for enc in r.get("encounter") or ():
            encounter = ctx.ref(enc, "encounter[0]", ("Encounter",))
            break
    if encounter:
        refs["encounter"] = encounter
    provider = ctx.ref(
        r.get("provider"), "provider", ("Practitioner", "Organization", "PractitionerRole")
    )
    provider_npi = ""
    prov = r.get("provider") or {}
    if isinstance(prov.get("identifier"), dict):
        provider_npi = str(prov["identifier"].get("value") or "")
    if provider.startswith("Practitioner?identifier=") and cs.NPI in provider:
        provider_npi = provider.rsplit("|", 1)[-1]
    practitioner = ""
    for i, ct in enumerate(r.get("careTeam") or ()):
        ref = ctx.ref(ct.get("provider"), f"careTeam[{i}].provider", ())
        if ref.startswith("Practitioner"):
            practitioner = ref
            break
    if not practitioner and provider.startswith("Practitioner"):
        practitioner = provider
    if practitioner:
        refs["practitioner"] = practitioner
    total = None
    totals = r.get("total")
    if isinstance(totals, list):
        for i, t in enumerate(totals):
            amount = _money(t.get("amount"), f"total[{i}].amount")
            cat = " ".join(
                str(c.get("code")) for c in (t.get("category") or {}).get("coding") or ()
            )
            if total is None or "submitted" in cat or "clm_tot_chrg_amt" in cat:
                total = amount
    elif isinstance(totals, dict):
        total = _money(totals, "total")
    payer = ""
    insurer = r.get("insurer") or {}
    for ins in r.get("insurance") or ():
        cov = ins.get("coverage") or {}
        payer = str(cov.get("display") or "")
        break
    # a payer name, not a Coverage id: the insurer's name when the coverage has no display
    payer = payer or str(insurer.get("display") or "")
    return Row(
        r["resourceType"],
        sid,
        {
            "resource_type": r["resourceType"],
            "claim_type": _claim_type(r, pos_codes),
            "status": str(r.get("status") or "")[:20],
            "start": start,
            "end": end,
            "diagnosis_codes": diagnoses,
            "procedure_codes": procedures,
            "line_codes": lines,
            "place_of_service": pos_codes[0][:10] if pos_codes else "",
            "payer": payer[:100],
            "provider_npi": provider_npi[:10],
            "provider_ref": provider[:300],
            "total_amount": total,
            "payment_amount": _money((r.get("payment") or {}).get("amount"), "payment.amount"),
        },
        refs,
        extra,
    )
