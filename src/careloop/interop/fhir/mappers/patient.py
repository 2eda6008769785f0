"""Patient and Coverage."""

from __future__ import annotations

from typing import Any

from careloop.core import codesystems as cs

from ..values import MappingError, parse_date, period_dates
from .common import MapContext, Row, address_line, first_code, human_name, identifiers

_MBI_TYPE = "MC"


def map_patient(r: dict[str, Any], ctx: MapContext, sid: str) -> Row:
    idents = identifiers(r)
    mrn = next((v for s, v, t in idents if t == "MR" or s == cs.MRN_SYSTEM), "")
    mbi = next(
        (v for s, v, t in idents if s == cs.MBI or t == _MBI_TYPE or s.endswith("/us-mbi")), ""
    )
    family, given, _prefix = human_name(r.get("name"))
    line, city, state, postal = address_line(r.get("address"))
    deceased_date = None
    deceased = False
    if "deceasedDateTime" in r:
        deceased_date = parse_date(r["deceasedDateTime"], "deceasedDateTime")
        deceased = True
    elif r.get("deceasedBoolean") is True:
        deceased = True
    phone = next(
        (
            str(t.get("value"))
            for t in r.get("telecom") or ()
            if isinstance(t, dict) and t.get("system") == "phone"
        ),
        "",
    )
    language = ""
    for comm in r.get("communication") or ():
        if isinstance(comm, dict):
            _s, language, _d, _a = ctx.coded(
                comm.get("language"), "communication.language", check=False
            )
            break
    orec = ""
    for ext in r.get("extension") or ():
        if isinstance(ext, dict) and ext.get("url") in (cs.OREC_EXT, cs.BB_OREC):
            orec = str(
                ext.get("valueCode")
                or first_code(ext.get("valueCoding") and {"coding": [ext["valueCoding"]]})
            )[:1]
    gender = r.get("gender") or ""
    if gender and gender not in ("male", "female", "other", "unknown"):
        raise MappingError("gender", f"must be male, female, other or unknown, got {gender!r}")
    refs = {}
    gps = r.get("generalPractitioner") or ()
    if gps:
        gp = ctx.ref(
            gps[0], "generalPractitioner[0]", ("Practitioner", "Organization", "PractitionerRole")
        )
        if gp.startswith("Practitioner"):
            refs["general_practitioner"] = gp
    return Row(
        "Patient",
        sid,
        {
            "mrn": mrn[:64],
            "mbi": mbi[:11],
            "identifiers": idents,
            "family_name": family,
            "given_name": given,
            "birth_date": parse_date(r.get("birthDate"), "birthDate"),
            "gender": gender,
            "deceased": deceased,
            "deceased_date": deceased_date,
            "address_line": line,
            "city": city,
            "state": state,
            "postal_code": postal,
            "phone": phone[:50],
            "language": language[:50],
            "orec": orec,
        },
        refs,
    )


_BB_PART = {"Part A": "part-a", "Part B": "part-b", "Part C": "part-c", "Part D": "part-d"}


def coverage_kind(r: dict[str, Any]) -> str:
    """Which Medicare part (or other payer kind) a Coverage is."""
    for c in (r.get("type") or {}).get("coding") or ():
        if c.get("system") == cs.COVERAGE_KIND and c.get("code"):
            return str(c["code"])
    for cls in r.get("class") or ():
        value = str(cls.get("value") or "")
        if value in _BB_PART:
            return _BB_PART[value]
    text = ((r.get("type") or {}).get("text") or "").lower()
    for c in (r.get("type") or {}).get("coding") or ():
        text += " " + str(c.get("display") or "").lower() + " " + str(c.get("code") or "").lower()
    return kind_from_payer_text(text)


def kind_from_payer_text(text: str) -> str:
    t = text.lower()
    if "dual" in t:
        return "dual"
    if "medicaid" in t:
        return "medicaid"
    if "medicare advantage" in t or "part c" in t:
        return "part-c"
    if "medicare" in t:
        return "part-b"
    if not t.strip() or "no_insurance" in t or "no insurance" in t:
        return "other"
    return "private"


def map_coverage(r: dict[str, Any], ctx: MapContext, sid: str) -> Row:
    patient = ctx.ref(r.get("beneficiary"), "beneficiary", ("Patient",), required=True)
    start, end = period_dates(r.get("period"), "period")
    dual = ""
    for ext in r.get("extension") or ():
        url = ext.get("url") or ""
        if url == cs.DUAL_STATUS_EXT:
            dual = str(ext.get("valueCode") or "")
        elif url.startswith(cs.BB_DUAL_STATUS_PREFIX) and isinstance(ext.get("valueCoding"), dict):
            code = str(ext["valueCoding"].get("code") or "")
            if code.isdigit() and code not in ("00", "09", "99", "NA"):
                dual = code  # the latest month's status wins; Blue Button lists them in order
    payer = ""
    for p in r.get("payor") or ():
        if isinstance(p, dict):
            payer = str(p.get("display") or p.get("reference") or "")
            break
    return Row(
        "Coverage",
        sid,
        {
            "kind": coverage_kind(r),
            "payer": payer[:200],
            "subscriber_id": str(r.get("subscriberId") or "")[:64],
            "status": r.get("status") or "",
            "start": start,
            "end": end,
            "dual_status": dual[:2],
            "qmb": dual in cs.DUAL_STATUS_QMB,
            "derived": False,
        },
        {"patient": patient},
    )
