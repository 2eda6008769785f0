-- care_gap_evidence: every coded row that can close or exclude a care gap (§8), up to the as-of
-- date: one row per source row and code list (care_gap_code / care_gap_icd10, from
-- rules/care_gaps.toml). The code system of each source row is mapped onto a family (cvx,
-- cpt_hcpcs, loinc, snomed, icd10pcs) by care_gap_code_system; a claim line without a system
-- counts as CPT/HCPCS; observation codes (no system in the snapshot) as LOINC.
-- Sources: claim lines (line date, else the claim's from-date), claim procedures (ICD-10-PCS,
-- CPT), claim diagnoses and EHR Conditions / encounter codes (ICD-10-CM prefix entries through
-- care_gap_icd10_map, matched once per distinct code; SNOMED CT), hospice claims (list hospice,
-- dated on their through-date, at most T), Procedures,
-- Immunizations (completed), encounter type and reason codes, Observations (with their value:
-- HbA1c %, GAP-007), and statin medications (list statin, GAP-009: dated on the last day the
-- order was active up to T: its end date, T while active, else its order date).
-- Cancelled, entered-in-error, not-done and refuted rows never count.
-- Rests on: source_table / source_id (claim, procedure, immunization, encounter, condition,
-- observation, medication).
WITH sys AS (
  SELECT system, family FROM care_gap_code_system
),
claim_rows AS (
  SELECT c.patient_id, k.list_id, coalesce(l.line_date, c.start_date) AS evidence_date,
         k.code, CAST(NULL AS DOUBLE) AS value, k.above_9, 'claim' AS source_table,
         c.claim_id AS source_id
  FROM claim AS c
  JOIN claim_line AS l ON l.claim_id = c.claim_id
  JOIN sys AS s ON s.system = coalesce(l.system, '')
  JOIN care_gap_code AS k ON k.family = s.family AND k.code = upper(trim(l.code))
  WHERE coalesce(c.status, '') NOT IN ('cancelled', 'entered-in-error')
  UNION ALL
  SELECT c.patient_id, k.list_id, c.start_date AS evidence_date, k.code,
         CAST(NULL AS DOUBLE) AS value, k.above_9, 'claim' AS source_table, c.claim_id AS source_id
  FROM claim AS c
  JOIN claim_procedure AS pr ON pr.claim_id = c.claim_id
  JOIN care_gap_code AS k
    ON k.family IN ('icd10pcs', 'cpt_hcpcs') AND k.code = upper(replace(trim(pr.code), '.', ''))
  WHERE coalesce(c.status, '') NOT IN ('cancelled', 'entered-in-error')
  UNION ALL
  SELECT c.patient_id, x.list_id, c.start_date AS evidence_date, d.code,
         CAST(NULL AS DOUBLE) AS value, CAST(NULL AS BOOLEAN) AS above_9, 'claim' AS source_table,
         c.claim_id AS source_id
  FROM claim AS c
  JOIN claim_diagnosis AS d ON d.claim_id = c.claim_id
  JOIN care_gap_icd10_map AS x ON x.code = d.code
  WHERE coalesce(c.status, '') NOT IN ('cancelled', 'entered-in-error')
  UNION ALL
  SELECT c.patient_id, 'hospice' AS list_id,
         least(coalesce(c.end_date, c.start_date), p.as_of) AS evidence_date,
         'hospice claim' AS code, CAST(NULL AS DOUBLE) AS value, CAST(NULL AS BOOLEAN) AS above_9,
         'claim' AS source_table, c.claim_id AS source_id
  FROM claim AS c
  CROSS JOIN care_gap_param AS p
  WHERE c.claim_type = 'hospice' AND c.start_date <= p.as_of
    AND coalesce(c.status, '') NOT IN ('cancelled', 'entered-in-error')
),
ehr_codes AS (
  SELECT pr.patient_id, pr.system, pr.code, pr.performed AS evidence_date,
         'procedure' AS source_table, pr.procedure_id AS source_id
  FROM procedure AS pr
  WHERE coalesce(pr.status, '') NOT IN ('entered-in-error', 'not-done', 'preparation', 'cancelled')
  UNION ALL
  SELECT i.patient_id, i.system, i.code, i.occurrence AS evidence_date,
         'immunization' AS source_table, i.immunization_id AS source_id
  FROM immunization AS i
  WHERE coalesce(i.status, '') IN ('completed', '')
  UNION ALL
  SELECT e.patient_id, ec.system, ec.code, CAST(e.start_ts AS DATE) AS evidence_date,
         'encounter' AS source_table, e.encounter_id AS source_id
  FROM encounter AS e
  JOIN encounter_code AS ec ON ec.encounter_id = e.encounter_id
  WHERE coalesce(e.status, '') NOT IN ('cancelled', 'entered-in-error', 'planned')
  UNION ALL
  SELECT c.patient_id, c.system,
         CASE
           WHEN c.system = 'http://hl7.org/fhir/sid/icd-10-cm' THEN upper(replace(trim(c.code), '.', ''))
           ELSE trim(c.code)
         END AS code,
         coalesce(c.recorded_date, c.onset) AS evidence_date,
         'condition' AS source_table, c.condition_id AS source_id
  FROM condition AS c
  WHERE coalesce(c.verification_status, '') NOT IN ('refuted', 'entered-in-error')
),
ehr_rows AS (
  SELECT r.patient_id, k.list_id, r.evidence_date, k.code, CAST(NULL AS DOUBLE) AS value,
         k.above_9, r.source_table, r.source_id
  FROM ehr_codes AS r
  JOIN sys AS s ON s.system = coalesce(r.system, '') AND s.family <> 'icd10cm'
  JOIN care_gap_code AS k ON k.family = s.family AND k.code = upper(trim(r.code))
  UNION ALL
  SELECT r.patient_id, x.list_id, r.evidence_date, r.code, CAST(NULL AS DOUBLE) AS value,
         CAST(NULL AS BOOLEAN) AS above_9, r.source_table, r.source_id
  FROM ehr_codes AS r
  JOIN care_gap_icd10_map AS x
    ON r.system = 'http://hl7.org/fhir/sid/icd-10-cm' AND x.code = r.code
  UNION ALL
  SELECT o.patient_id, k.list_id, CAST(o.effective_ts AS DATE) AS evidence_date, k.code, o.value,
         k.above_9, 'observation' AS source_table, o.observation_id AS source_id
  FROM observation AS o
  JOIN care_gap_code AS k ON k.family = 'loinc' AND k.code = trim(o.code)
  WHERE coalesce(o.status, '') NOT IN ('cancelled', 'entered-in-error')
),
statin_orders AS (
  SELECT m.patient_id, m.code, m.medication_id, sp.strength_mg,
         coalesce(m.authored_on, m.start_date) AS order_date,
         CASE
           WHEN m.end_date IS NOT NULL THEN m.end_date
           WHEN coalesce(m.status, '') IN ('active', 'intended', 'on-hold', '') THEN p.as_of
           ELSE coalesce(m.authored_on, m.start_date)
         END AS active_through,
         p.as_of
  FROM medication AS m
  JOIN statin_product AS sp ON sp.rxcui = trim(m.code)
  CROSS JOIN care_gap_param AS p
  WHERE coalesce(m.system, 'http://www.nlm.nih.gov/research/umls/rxnorm')
      = 'http://www.nlm.nih.gov/research/umls/rxnorm'
    AND coalesce(m.status, '') NOT IN ('entered-in-error', 'cancelled', 'draft')
),
statin_rows AS (
  SELECT s.patient_id, 'statin' AS list_id, least(s.active_through, s.as_of) AS evidence_date,
         s.code, s.strength_mg AS value, CAST(NULL AS BOOLEAN) AS above_9,
         'medication' AS source_table, s.medication_id AS source_id
  FROM statin_orders AS s
  WHERE s.order_date <= s.as_of
),
all_rows AS (
  SELECT * FROM claim_rows
  UNION ALL
  SELECT * FROM ehr_rows
  UNION ALL
  SELECT * FROM statin_rows
)
SELECT DISTINCT a.patient_id, a.list_id, a.evidence_date, a.code, a.value, a.above_9,
       a.source_table, a.source_id
FROM all_rows AS a
CROSS JOIN care_gap_param AS p
WHERE a.evidence_date IS NOT NULL AND a.evidence_date <= p.as_of
