-- hcc_diagnosis: the ICD-10-CM diagnoses of the HCC data year (HCC-003), from
-- params.hcc_data_start (1 January of the year before the payment year) to params.hcc_data_end
-- (31 December, or the as-of date when earlier), with their source and whether it is a
-- risk-adjustment source (acceptable = true: scored; false: problem list, "suspect" only).
-- Claims (CMS filtering, as hccinfhir's filter): inpatient claims (type of bill 11x); hospital
--   outpatient and carrier / professional claims with a line whose CPT/HCPCS is on the CMS
--   risk-adjustment-eligible list of the data year (hcc_eligible_procedure, from hccinfhir).
--   SNF, home health, hospice, DME and Part D claims are not sources.
-- EHR (adapted rule, documented in docs/risk-scores.md): encounter diagnoses (Conditions of
--   category encounter-diagnosis, and the encounter's ICD-10-CM reason codes) of face-to-face
--   encounters: an acute inpatient encounter (class inpatient, not NONAC), or an encounter whose
--   type codes hold an eligible CPT/HCPCS (office, ED, home and telehealth E/M visits ...).
-- Problem list (acceptable = false): ICD-10-CM problem-list items active on the as-of date
--   (clinical status active / recurrence / relapse, not abated, not refuted or entered in error).
-- Rests on: claim, claim_diagnosis, claim_line, encounter, encounter_code, condition.
WITH eligible_claim AS (
  SELECT c.claim_id, c.patient_id, c.start_date
  FROM claim AS c, params AS p
  WHERE c.start_date BETWEEN p.hcc_data_start AND p.hcc_data_end
    AND coalesce(c.status, '') NOT IN ('cancelled', 'entered-in-error')
    AND (
      c.claim_type = 'inpatient'
      OR (
        c.claim_type IN ('outpatient', 'carrier', 'professional')
        AND c.claim_id IN (
          SELECT l.claim_id FROM claim_line AS l JOIN hcc_eligible_procedure AS e ON e.code = l.code
        )
      )
    )
),
face_to_face AS (
  SELECT e.encounter_id, e.patient_id, CAST(e.start_ts AS DATE) AS service_date
  FROM encounter AS e, params AS p
  WHERE CAST(e.start_ts AS DATE) BETWEEN p.hcc_data_start AND p.hcc_data_end
    AND coalesce(e.status, '') NOT IN ('cancelled', 'entered-in-error', 'planned')
    AND (
      (e.encounter_class = 'inpatient' AND coalesce(e.class_code, '') <> 'NONAC')
      OR e.encounter_id IN (
        SELECT t.encounter_id
        FROM encounter_code AS t
        JOIN hcc_eligible_procedure AS x ON x.code = t.code
        WHERE t.kind = 'type'
      )
    )
),
dx_rows AS (
  SELECT c.patient_id, d.code, 'claim' AS source_table, c.claim_id AS source_id,
    c.start_date AS service_date, TRUE AS acceptable
  FROM eligible_claim AS c
  JOIN claim_diagnosis AS d ON d.claim_id = c.claim_id
  UNION ALL
  SELECT f.patient_id, ec.code, 'encounter' AS source_table, f.encounter_id AS source_id,
    f.service_date, TRUE AS acceptable
  FROM face_to_face AS f
  JOIN encounter_code AS ec ON ec.encounter_id = f.encounter_id
  WHERE ec.kind = 'reason' AND ec.system = 'http://hl7.org/fhir/sid/icd-10-cm'
  UNION ALL
  SELECT f.patient_id, c.code, 'condition' AS source_table, c.condition_id AS source_id,
    f.service_date, TRUE AS acceptable
  FROM face_to_face AS f
  JOIN condition AS c ON c.encounter_id = f.encounter_id
  WHERE c.category = 'encounter-diagnosis'
    AND c.system = 'http://hl7.org/fhir/sid/icd-10-cm'
    AND coalesce(c.verification_status, '') NOT IN ('refuted', 'entered-in-error')
  UNION ALL
  SELECT c.patient_id, c.code, 'condition' AS source_table, c.condition_id AS source_id,
    coalesce(c.recorded_date, c.onset) AS service_date, FALSE AS acceptable
  FROM condition AS c, params AS p
  WHERE c.category = 'problem-list-item'
    AND c.system = 'http://hl7.org/fhir/sid/icd-10-cm'
    AND coalesce(c.verification_status, '') NOT IN ('refuted', 'entered-in-error')
    AND coalesce(c.clinical_status, 'active') IN ('active', 'recurrence', 'relapse')
    AND coalesce(c.recorded_date, c.onset, p.as_of) <= p.as_of
    AND (c.abatement IS NULL OR c.abatement > p.as_of)
)
SELECT DISTINCT
  patient_id,
  upper(replace(trim(code), '.', '')) AS icd10,
  source_table,
  source_id,
  service_date,
  acceptable
FROM dx_rows
WHERE code IS NOT NULL AND trim(code) <> ''
