"""Prebuilt, shared pieces of resources (codings, categories, codes).

Most are `orjson.Fragment`s: JSON serialized once, when the module loads, and copied as
bytes into every resource that uses them, so the per-resource work is only the part that
varies. The plain dicts (`ICD`, `SCT`) serve code that reads codes and displays.
"""

from __future__ import annotations

from orjson import Fragment, dumps

from careloop.core.codesystems import (
    ADMIT_SOURCE,
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CPT,
    DISCHARGE_DISPOSITION,
    ENCOUNTER_CLASS,
    HCPCS,
    ICD10CM,
    LOINC,
    NUBC_DISCHARGE,
    OBSERVATION_CATEGORY,
    SNOMED,
)

from .codes import (
    ACUTE_ED,
    ACUTE_INPATIENT,
    CHRONIC_CODES,
    CONDITION_VERIFICATION,
    CPT_DISPLAY,
    DIALYSIS,
    ENCOUNTER_KIND,
    ESRD,
    EXACERBATION,
    PARTICIPANT_TYPE,
)


def coding(system: str, code: str, display: str) -> dict:
    return {"system": system, "code": code, "display": display}


def frag(value) -> Fragment:
    """`value` serialized once."""
    return Fragment(dumps(value))


# ICD-10-CM and SNOMED CT codings of every diagnosis the generator uses.
ICD: dict[str, dict] = {}
SCT: dict[str, dict] = {}
for _variants in (*CHRONIC_CODES.values(), (ESRD, DIALYSIS)):
    for _icd, _icd_display, _sct, _sct_display, _w in _variants:
        ICD[_icd] = coding(ICD10CM, _icd, _icd_display)
        if _sct:
            SCT[_sct] = coding(SNOMED, _sct, _sct_display)
for _icd, _icd_display in (*ACUTE_INPATIENT, *ACUTE_ED, *EXACERBATION.values()):
    ICD[_icd] = coding(ICD10CM, _icd, _icd_display)
ICD["Z00.00"] = coding(
    ICD10CM, "Z00.00", "Encounter for general adult medical examination without abnormal findings"
)
ICD["Z12.11"] = coding(ICD10CM, "Z12.11", "Encounter for screening for malignant neoplasm of colon")
ICD["Z12.31"] = coding(
    ICD10CM, "Z12.31", "Encounter for screening mammogram for malignant neoplasm of breast"
)
ICD["Z09"] = coding(
    ICD10CM,
    "Z09",
    "Encounter for follow-up examination after completed treatment for conditions other than malignant neoplasm",
)
# ICD-10-CM CodeableConcepts (reasonCode entries).
ICD_CC = {code: frag({"coding": [c]}) for code, c in ICD.items()}

_CLASS = {
    code: coding(ENCOUNTER_CLASS, code, display)
    for code, display in (
        ("AMB", "ambulatory"),
        ("EMER", "emergency"),
        ("IMP", "inpatient encounter"),
        ("NONAC", "inpatient non-acute"),
        ("OBSENC", "observation encounter"),
        ("HH", "home health"),
        ("VR", "virtual"),
    )
}
_HCPCS = frozenset(code for code in CPT_DISPLAY if code[0].isalpha())
_ENC_TYPE = {
    code: [{"coding": [coding(HCPCS if code in _HCPCS else CPT, code, display)]}]
    for code, display in CPT_DISPLAY.items()
}
_ENC_TYPE["inpatient"] = [
    {
        "coding": [
            coding(SNOMED, "32485007", "Hospital admission"),
            coding(ENCOUNTER_KIND, "inpatient", "Acute inpatient stay"),
        ]
    }
]
_ENC_TYPE["observation"] = [
    {
        "coding": [
            coding(ENCOUNTER_KIND, "observation", "Hospital observation stay"),
            coding(HCPCS, "G0378", CPT_DISPLAY["G0378"]),
        ]
    }
]
_ENC_TYPE["snf"] = [
    {"coding": [coding(ENCOUNTER_KIND, "snf-stay", "Skilled nursing facility stay")]}
]
_ENC_TYPE["hh"] = [
    {"coding": [coding(ENCOUNTER_KIND, "home-health-episode", "Home health episode of care")]}
]

_PPRF = [{"coding": [coding(PARTICIPANT_TYPE, "PPRF", "primary performer")]}]
_ATND = [{"coding": [coding(PARTICIPANT_TYPE, "ATND", "attender")]}]

_ADMIT = {
    code: {"coding": [coding(ADMIT_SOURCE, code, display)]}
    for code, display in (
        ("emd", "From accident/emergency department"),
        ("mp", "Medical Practitioner/physician referral"),
        ("hosp-trans", "Transferred from other hospital"),
        ("nursing", "From nursing home"),
    )
}
_DISCHARGE = {
    key: {
        "coding": [
            coding(DISCHARGE_DISPOSITION, code, display),
            coding(NUBC_DISCHARGE, nubc, nubc_display),
        ]
    }
    for key, code, display, nubc, nubc_display in (
        ("home", "home", "Home", "01", "Discharged to home or self care"),
        (
            "hh",
            "home",
            "Home",
            "06",
            "Discharged/transferred to home under care of organized home health service organization",
        ),
        (
            "snf",
            "snf",
            "Skilled nursing facility",
            "03",
            "Discharged/transferred to skilled nursing facility",
        ),
        (
            "rehab",
            "rehab",
            "Rehabilitation",
            "62",
            "Discharged/transferred to an inpatient rehabilitation facility",
        ),
        (
            "aadvice",
            "aadvice",
            "Left against advice",
            "07",
            "Left against medical advice or discontinued care",
        ),
        ("exp", "exp", "Expired", "20", "Expired"),
        (
            "hosp",
            "hosp",
            "Hospitalization",
            "02",
            "Discharged/transferred to a short-term general hospital for inpatient care",
        ),
    )
}

_VITAL_SIGNS = [{"coding": [coding(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")]}]
_LABORATORY = [{"coding": [coding(OBSERVATION_CATEGORY, "laboratory", "Laboratory")]}]


def loinc(code: str, display: str) -> dict:
    return {"coding": [coding(LOINC, code, display)]}


_BP_PANEL = loinc("85354-9", "Blood pressure panel with all children optional")
_SYSTOLIC = loinc("8480-6", "Systolic blood pressure")
_DIASTOLIC = loinc("8462-4", "Diastolic blood pressure")
# key -> (code concept, unit, UCUM code, category)
_MEASURES = {
    "weight": (loinc("29463-7", "Body weight"), "kg", "kg", _VITAL_SIGNS),
    "bmi": (loinc("39156-5", "Body mass index (BMI) [Ratio]"), "kg/m2", "kg/m2", _VITAL_SIGNS),
    "heart_rate": (loinc("8867-4", "Heart rate"), "/min", "/min", _VITAL_SIGNS),
    "hba1c": (
        loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
        "%",
        "%",
        _LABORATORY,
    ),
    "egfr": (
        loinc(
            "62238-1",
            "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI)",
        ),
        "mL/min/{1.73_m2}",
        "mL/min/{1.73_m2}",
        _LABORATORY,
    ),
    "hemoglobin": (
        loinc("718-7", "Hemoglobin [Mass/volume] in Blood"),
        "g/dL",
        "g/dL",
        _LABORATORY,
    ),
    "sodium": (
        loinc("2951-2", "Sodium [Moles/volume] in Serum or Plasma"),
        "mmol/L",
        "mmol/L",
        _LABORATORY,
    ),
    "cholesterol": (
        loinc("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma"),
        "mg/dL",
        "mg/dL",
        _LABORATORY,
    ),
}

_CONDITION_ACTIVE = {"coding": [coding(CONDITION_CLINICAL, "active", "Active")]}
_CONDITION_RESOLVED = {"coding": [coding(CONDITION_CLINICAL, "resolved", "Resolved")]}
_CONDITION_CONFIRMED = {"coding": [coding(CONDITION_VERIFICATION, "confirmed", "Confirmed")]}
_PROBLEM_LIST = [{"coding": [coding(CONDITION_CATEGORY, "problem-list-item", "Problem List Item")]}]
_ENCOUNTER_DIAGNOSIS = [
    {"coding": [coding(CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")]}
]

# Serialized once (see the module docstring).
CLASS = {key: frag(value) for key, value in _CLASS.items()}
ENC_TYPE = {key: frag(value) for key, value in _ENC_TYPE.items()}
ADMIT = {key: frag(value) for key, value in _ADMIT.items()}
DISCHARGE = {key: frag(value) for key, value in _DISCHARGE.items()}
MEASURES = {
    key: (frag(code), unit, ucum, frag(category))
    for key, (code, unit, ucum, category) in _MEASURES.items()
}
PPRF, ATND, VITAL_SIGNS, LABORATORY = (
    frag(_PPRF),
    frag(_ATND),
    frag(_VITAL_SIGNS),
    frag(_LABORATORY),
)
BP_PANEL, SYSTOLIC, DIASTOLIC = frag(_BP_PANEL), frag(_SYSTOLIC), frag(_DIASTOLIC)
CONDITION_ACTIVE, CONDITION_RESOLVED = frag(_CONDITION_ACTIVE), frag(_CONDITION_RESOLVED)
CONDITION_CONFIRMED, PROBLEM_LIST = frag(_CONDITION_CONFIRMED), frag(_PROBLEM_LIST)
ENCOUNTER_DIAGNOSIS = frag(_ENCOUNTER_DIAGNOSIS)
