"""Column layouts as data, with their sources.

RIF (CCW Research Identifiable Files, as fed to the CMS Beneficiary FHIR Data server):
column names and order from BFD's RIF mappings (`CMSgov/beneficiary-fhir-data`,
`apps/bfd-model/bfd-model-rif/mappings/*.yaml`, commit 62b2d2e8; copied in
`shared/data/claims/cms_bfd/rif/layout/mappings/`). A file's record type is found from its
header: the *signature* columns occur in that record type only; *required* are the columns
the mapping reads. Detection takes the first type in
`RIF_TYPES` order whose signature is in the header. `tests/interop/test_claims_layouts.py` checks both against the YAML enums.

Tuva input layer: `tuva-health/tuva` `models/input_layer/*.yml` (current) and the 2023
`tuva_demo` seeds (legacy: `patient_id` instead of `person_id`).

CCLF8: CMS CCLF Information Packet (Shared Savings Program), "Beneficiary Demographics File",
549-byte fixed-width records; positions below are 1-based inclusive as in the packet.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RifType:
    name: str  # BFD's RIF record type
    family: str  # beneficiary | history | professional | institutional | pde
    claim_type: str  # careloop Claim.claim_type ("" for beneficiary files)
    signature: frozenset[str]
    required: tuple[str, ...]
    file_hints: tuple[str, ...]  # words in BFD sample file names


_CLAIM = ("BENE_ID", "CLM_ID", "CLM_FROM_DT", "CLM_THRU_DT", "CLM_PMT_AMT", "PRNCPAL_DGNS_CD")
_INSTITUTIONAL = (*_CLAIM, "CLM_TOT_CHRG_AMT", "ORG_NPI_NUM", "CLM_LINE_NUM", "REV_CNTR")
_PROFESSIONAL = (
    *_CLAIM,
    "NCH_CARR_CLM_SBMTD_CHRG_AMT",
    "LINE_NUM",
    "HCPCS_CD",
    "LINE_SRVC_CNT",
    "LINE_PLACE_OF_SRVC_CD",
    "LINE_1ST_EXPNS_DT",
    "LINE_SBMTD_CHRG_AMT",
    "LINE_ICD_DGNS_CD",
)

RIF_TYPES: tuple[RifType, ...] = (
    RifType(
        "BENEFICIARY",
        "beneficiary",
        "",
        frozenset({"BENE_ID", "BENE_ENTLMT_RSN_ORIG", "RFRNC_YR"}),
        (
            "BENE_ID",
            "MBI_NUM",
            "BENE_CRNT_HIC_NUM",
            "BENE_BIRTH_DT",
            "BENE_SEX_IDENT_CD",
            "BENE_SRNM_NAME",
            "BENE_GVN_NAME",
            "DEATH_DT",
            "BENE_ENTLMT_RSN_ORIG",
            "RFRNC_YR",
            *(f"MDCR_ENTLMT_BUYIN_{m}_IND" for m in range(1, 13)),
            *(f"HMO_{m}_IND" for m in range(1, 13)),
        ),
        ("beneficiaries", "beneficiary_20", "bene"),
    ),
    RifType(
        "BENEFICIARY_HISTORY",
        "history",
        "",
        frozenset({"BENE_ID", "EFCTV_END_DT", "BENE_CRNT_HIC_NUM"}),
        ("BENE_ID", "MBI_NUM", "BENE_CRNT_HIC_NUM", "EFCTV_BGN_DT", "EFCTV_END_DT"),
        ("beneficiaryhistory", "beneficiary_history"),
    ),
    RifType(
        "PDE",
        "pde",
        "part_d",
        frozenset({"PDE_ID", "PROD_SRVC_ID"}),
        (
            "PDE_ID",
            "BENE_ID",
            "SRVC_DT",
            "PROD_SRVC_ID",
            "QTY_DSPNSD_NUM",
            "DAYS_SUPLY_NUM",
            "TOT_RX_CST_AMT",
            "CVRD_D_PLAN_PD_AMT",
            "SRVC_PRVDR_ID_QLFYR_CD",
            "SRVC_PRVDR_ID",
            "PLAN_CNTRCT_REC_ID",
        ),
        ("pde",),
    ),
    RifType(
        "DME",
        "professional",
        "dme",
        frozenset({"CLM_ID", "DMERC_LINE_PRCNG_STATE_CD"}),
        (*_PROFESSIONAL, "PRVDR_NPI"),
        ("dme",),
    ),
    RifType(
        "CARRIER",
        "professional",
        "carrier",
        frozenset({"CLM_ID", "CARR_NUM", "PRF_PHYSN_NPI"}),
        (*_PROFESSIONAL, "CARR_CLM_BLG_NPI_NUM", "PRF_PHYSN_NPI"),
        ("carrier",),
    ),
    RifType(
        "INPATIENT",
        "institutional",
        "inpatient",
        frozenset({"CLM_ID", "CLM_DRG_OUTLIER_STAY_CD"}),
        (*_INSTITUTIONAL, "CLM_ADMSN_DT", "NCH_BENE_DSCHRG_DT", "CLM_DRG_CD"),
        ("inpatient",),
    ),
    RifType(
        "SNF",
        "institutional",
        "snf",
        frozenset({"CLM_ID", "NCH_QLFYD_STAY_FROM_DT"}),
        (*_INSTITUTIONAL, "CLM_ADMSN_DT", "NCH_BENE_DSCHRG_DT"),
        ("snf",),
    ),
    RifType(
        "HHA",
        "institutional",
        "home_health",
        frozenset({"CLM_ID", "CLM_HHA_TOT_VISIT_CNT"}),
        (*_INSTITUTIONAL, "REV_CNTR_DT"),
        ("hha",),
    ),
    RifType(
        "HOSPICE",
        "institutional",
        "hospice",
        frozenset({"CLM_ID", "CLM_HOSPC_START_DT_ID"}),
        (*_INSTITUTIONAL, "REV_CNTR_DT"),
        ("hospice",),
    ),
    RifType(
        "OUTPATIENT",
        "institutional",
        "outpatient",
        frozenset({"CLM_ID", "CLM_OP_PRVDR_PMT_AMT"}),
        (*_INSTITUTIONAL, "REV_CNTR_DT"),
        ("outpatient",),
    ),
)

# Months as the beneficiary file spells them in per-month column names.
RIF_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEPT", "OCT", "NOV", "DEC")

# MDCR_ENTLMT_BUYIN_n_IND (CCW "Medicare Entitlement/Buy-In Indicator"): which parts a month has.
# 0 none; 1 Part A; 2 Part B; 3 A and B; A/B/C the same with a state buy-in.
BUYIN_PARTS = {
    "0": (),
    "1": ("part-a",),
    "2": ("part-b",),
    "3": ("part-a", "part-b"),
    "A": ("part-a",),
    "B": ("part-b",),
    "C": ("part-a", "part-b"),
}
# HMO_n_IND (CCW "HMO Indicator"): 0 not in a Medicare Advantage plan, 4 FFS demonstration;
# 1, 2, A, B, C a Medicare Advantage (Part C) plan that month.
HMO_PART_C = frozenset({"1", "2", "A", "B", "C"})
# Dual status codes that mean dual eligibility (CCW META_DUAL_ELGBL_STUS_<MON>_CD).
DUAL_CODES = frozenset({"01", "02", "03", "04", "05", "06", "08"})

# --- CCLF8 (Beneficiary Demographics), 1-based inclusive positions ----------------------------

CCLF8_LENGTH = 549
CCLF8_FIELDS: tuple[tuple[str, int, int], ...] = (
    ("BENE_MBI_ID", 1, 11),
    ("BENE_HIC_NUM", 12, 22),
    ("BENE_FIPS_STATE_CD", 23, 24),
    ("BENE_FIPS_CNTY_CD", 25, 27),
    ("BENE_ZIP_CD", 28, 32),
    ("BENE_DOB", 33, 42),
    ("BENE_SEX_CD", 43, 43),
    ("BENE_RACE_CD", 44, 44),
    ("BENE_AGE", 45, 47),
    ("BENE_MDCR_STUS_CD", 48, 49),
    ("BENE_DUAL_STUS_CD", 50, 51),
    ("BENE_DEATH_DT", 52, 61),
    ("BENE_RNG_BGN_DT", 62, 71),
    ("BENE_RNG_END_DT", 72, 81),
    ("BENE_1ST_NAME", 82, 111),
    ("BENE_MIDL_NAME", 112, 126),
    ("BENE_LAST_NAME", 127, 166),
    ("BENE_ORGNL_ENTLMT_RSN_CD", 167, 167),
    ("BENE_ENTLMT_BUYIN_IND", 168, 168),
    ("BENE_PART_A_ENRLMT_BGN_DT", 169, 178),
    ("BENE_PART_B_ENRLMT_BGN_DT", 179, 188),
    ("BENE_LINE_1_ADR", 189, 233),
    ("BENE_LINE_2_ADR", 234, 278),
    ("BENE_LINE_3_ADR", 279, 318),
    ("BENE_LINE_4_ADR", 319, 358),
    ("BENE_LINE_5_ADR", 359, 398),
    ("BENE_LINE_6_ADR", 399, 438),
    ("GEO_ZIP_PLC_NAME", 439, 538),
    ("GEO_USPS_STATE_CD", 539, 540),
    ("GEO_ZIP5_CD", 541, 545),
    ("GEO_ZIP4_CD", 546, 549),
)
CCLF_FILES = {
    "1": "Part A Claims Header File",
    "2": "Part A Claims Revenue Center Detail File",
    "3": "Part A Procedure Code File",
    "4": "Part A Diagnosis Code File",
    "5": "Part B Physicians File",
    "6": "Part B DME File",
    "7": "Part D File",
    "8": "Beneficiary Demographics File",
    "9": "BENE XREF File",
    "A": "Part A BE and Demo Codes File",
    "B": "Part B BE and Demo Codes File",
}

# --- Tuva input layer -------------------------------------------------------------------------

# table -> columns that identify it (any one person key is accepted: person_id or patient_id)
TUVA_TABLES: dict[str, frozenset[str]] = {
    "eligibility": frozenset({"enrollment_start_date", "enrollment_end_date", "birth_date"}),
    "medical_claim": frozenset({"claim_id", "claim_line_number", "claim_type", "bill_type_code"}),
    "pharmacy_claim": frozenset({"claim_id", "ndc_code", "dispensing_date"}),
    "lab_result": frozenset({"lab_result_id", "source_component_code", "result"}),
}
# Input-layer tables careloop does not import (yet): reported as skipped, with a warning.
TUVA_NOT_IMPORTED: dict[str, frozenset[str]] = {
    "appointment": frozenset({"appointment_id"}),
    "immunization": frozenset({"immunization_id"}),
    "observation": frozenset({"observation_id", "observation_type"}),
    "provider_attribution": frozenset({"payer_attributed_provider"}),
}
