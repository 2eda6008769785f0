-- icd10_code: every distinct ICD-10-CM code string of the snapshot, as the marts match them:
-- claim diagnosis codes as stored (the snapshot normalizes them), Condition codes upper-cased
-- without dots, encounter type and reason codes as stored. The code maps (cc_code_map,
-- care_gap_icd10_map) run their prefix-range matches on these few thousand codes once, so the
-- marts join their millions of diagnosis rows on equality.
-- scope: codes (run once on the whole snapshot, not per slice of patients: decision 0015)
SELECT DISTINCT code FROM claim_diagnosis
UNION
SELECT DISTINCT upper(replace(trim(code), '.', '')) AS code
FROM condition
WHERE system = 'http://hl7.org/fhir/sid/icd-10-cm'
UNION
SELECT DISTINCT code FROM encounter_code
WHERE system = 'http://hl7.org/fhir/sid/icd-10-cm'
