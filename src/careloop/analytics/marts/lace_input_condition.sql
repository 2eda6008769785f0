-- lace_input_condition: the Charlson conditions (rules/charlson_lace.toml, Quan 2005 ICD-10
-- codes) of each discharge in lace_input, from the patient's ICD-10-CM codes in the year up to
-- the discharge date: claim diagnoses (claim from-date), encounter diagnoses and reason codes, and
-- problem-list items recorded by the discharge date and not abated before the admission.
-- Rests on: lace_input, claim_diagnosis / condition / encounter_code rows of the patient.
WITH discharged AS (
  -- only the codes of patients with a discharge in lace_input are read
  SELECT DISTINCT patient_id FROM lace_input
),
codes AS (
  SELECT c.patient_id, d.code, c.start_date AS code_date, FALSE AS is_problem, CAST(NULL AS DATE) AS abatement
  FROM claim AS c
  JOIN claim_diagnosis AS d ON d.claim_id = c.claim_id
  WHERE coalesce(c.status, '') NOT IN ('cancelled', 'entered-in-error')
    AND c.patient_id IN (SELECT patient_id FROM discharged)
  UNION ALL
  SELECT
    c.patient_id,
    upper(replace(trim(c.code), '.', '')) AS code,
    coalesce(c.recorded_date, c.onset) AS code_date,
    coalesce(c.category = 'problem-list-item', FALSE) AS is_problem,
    c.abatement
  FROM condition AS c
  WHERE c.system = 'http://hl7.org/fhir/sid/icd-10-cm'
    AND coalesce(c.verification_status, '') NOT IN ('refuted', 'entered-in-error')
    AND c.patient_id IN (SELECT patient_id FROM discharged)
  UNION ALL
  SELECT ec.patient_id, ec.code, CAST(e.start_ts AS DATE) AS code_date, FALSE AS is_problem,
    CAST(NULL AS DATE) AS abatement
  FROM encounter_code AS ec
  JOIN encounter AS e ON e.encounter_id = ec.encounter_id
  WHERE ec.kind = 'reason' AND ec.system = 'http://hl7.org/fhir/sid/icd-10-cm'
    AND ec.patient_id IN (SELECT patient_id FROM discharged)
),
code_map AS (
  SELECT DISTINCT x.code, ch.charlson_condition
  FROM (SELECT DISTINCT code FROM codes) AS x
  JOIN charlson_icd10 AS ch
    ON length(x.code) >= ch.prefix_len
    AND substr(x.code, 1, ch.prefix_len) BETWEEN ch.low AND ch.high
)
SELECT DISTINCT
  l.patient_id,
  l.stay_seq,
  m.charlson_condition
FROM lace_input AS l
JOIN codes AS c ON c.patient_id = l.patient_id
JOIN code_map AS m ON m.code = c.code
WHERE coalesce(c.code_date, l.discharge_date) <= l.discharge_date
  AND (
    c.code_date > CAST(l.discharge_date - INTERVAL 1 YEAR AS DATE)
    OR (c.is_problem AND (c.abatement IS NULL OR c.abatement >= l.admit_date))
  )
