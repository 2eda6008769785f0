"""Code-system URIs and the careloop-specific codings shared by readers, mappers and the generator.

One place for every system string, so the importer, the demo generator and the analytics
marts agree. Standard URIs are from HL7 FHIR R4 terminology (hl7.org/fhir/terminologies-systems)
and CMS Blue Button 2.0.
"""

from __future__ import annotations

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10PCS = "http://www.cms.gov/Medicare/Coding/ICD10"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
HCPCS_ALT = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
UCUM = "http://unitsofmeasure.org"
NPI = "http://hl7.org/fhir/sid/us-npi"
MBI = "http://hl7.org/fhir/sid/us-mbi"
SSN = "http://hl7.org/fhir/sid/us-ssn"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
ENCOUNTER_CLASS = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
BB_EOB_TYPE = "https://bluebutton.cms.gov/resources/codesystem/eob-type"
NUBC_DISCHARGE = "https://www.nubc.org/CodeSystem/PatDischargeStatus"
ADMIT_SOURCE = "http://terminology.hl7.org/CodeSystem/admit-source"
DISCHARGE_DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
CMS_PLACE_OF_SERVICE = (
    "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
)
COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
COVERAGE_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

# careloop's own systems (used by the demo generator; the importer understands them).
CARELOOP = "https://careloop.dev/fhir"
MRN_SYSTEM = f"{CARELOOP}/sid/mrn"
SOURCE_SYSTEM_SYNTH = "careloop-synth"
# Coverage.type coding for Medicare program parts, in the careloop system:
#   part-a, part-b, part-c (Medicare Advantage), part-d, medicaid
COVERAGE_KIND = f"{CARELOOP}/CodeSystem/coverage-kind"
# Coverage extension: dual status code (CMS dual status: 01 QMB only, 02 QMB+full, ... 08 other full)
DUAL_STATUS_EXT = f"{CARELOOP}/StructureDefinition/dual-status"
# Blue Button's dual-status extension (monthly), recognized by the importer.
BB_DUAL_STATUS_PREFIX = "https://bluebutton.cms.gov/resources/variables/dual_"
# Patient extension: original reason for entitlement (OREC: 0 aged, 1 disability, 2 ESRD, 3 both)
OREC_EXT = f"{CARELOOP}/StructureDefinition/orec"
BB_OREC = "https://bluebutton.cms.gov/resources/variables/orec"

# Dual status codes (CMS MMA dual status), QMB-bearing ones marked.
DUAL_STATUS_QMB = frozenset({"01", "02"})
DUAL_STATUS_FULL = frozenset({"02", "04", "08"})
DUAL_STATUS_PARTIAL = frozenset({"01", "03", "05", "06"})
