-- charlson: the Charlson comorbidity index of every patient (CHR-001): Quan et al. 2005 ICD-10
-- coding (code prefixes), Quan et al. 2011 weights, the hierarchy (mild vs moderate/severe liver
-- disease, diabetes without vs with complications, any malignancy vs metastatic solid tumour:
-- only the more severe counts). One definition: charlson_quan_code / charlson_quan_def are built
-- from careloop.analytics.charlson (the function charlson_index the tests compare with).
-- Codes: the patient's ICD-10-CM codes of the 12 months before the as-of date
-- [params.start_12m, as_of] (claim diagnoses of any non-cancelled claim, encounter reason codes,
-- Condition resources recorded or with onset in the window) and the problem-list items active on
-- the as-of date (not abated, clinical status active / recurrence / relapse). Refuted and
-- entered-in-error Conditions never count. A patient without a condition has index 0 and an
-- empty list. conditions: the condition ids after the hierarchy, weight 0 ones included.
-- Rests on: claim_diagnosis, encounter_code, condition rows of the patient.
WITH codes AS (
  SELECT c.patient_id, upper(replace(trim(d.code), '.', '')) AS code
  FROM claim AS c
  JOIN claim_diagnosis AS d ON d.claim_id = c.claim_id
  CROSS JOIN params AS p
  WHERE coalesce(c.status, '') NOT IN ('cancelled', 'entered-in-error')
    AND c.start_date BETWEEN p.start_12m AND p.as_of
  UNION
  SELECT ec.patient_id, upper(replace(trim(ec.code), '.', '')) AS code
  FROM encounter_code AS ec
  JOIN encounter AS e ON e.encounter_id = ec.encounter_id
  CROSS JOIN params AS p
  WHERE ec.kind = 'reason' AND ec.system = 'http://hl7.org/fhir/sid/icd-10-cm'
    AND CAST(e.start_ts AS DATE) BETWEEN p.start_12m AND p.as_of
  UNION
  SELECT c.patient_id, upper(replace(trim(c.code), '.', '')) AS code
  FROM condition AS c
  CROSS JOIN params AS p
  WHERE c.system = 'http://hl7.org/fhir/sid/icd-10-cm'
    AND coalesce(c.verification_status, '') NOT IN ('refuted', 'entered-in-error')
    AND (
      coalesce(c.recorded_date, c.onset) BETWEEN p.start_12m AND p.as_of
      OR (
        c.category = 'problem-list-item'
        AND coalesce(c.clinical_status, 'active') IN ('active', 'recurrence', 'relapse')
        AND coalesce(c.recorded_date, c.onset, p.as_of) <= p.as_of
        AND (c.abatement IS NULL OR c.abatement > p.as_of)
      )
    )
),
code_map AS (
  -- the prefix match once per distinct code, then an equi-join on every patient's code
  SELECT DISTINCT c.code, q.charlson_condition
  FROM (SELECT DISTINCT code FROM codes) AS c
  JOIN charlson_quan_code AS q
    ON length(c.code) >= q.prefix_len AND substr(c.code, 1, q.prefix_len) = q.prefix
),
found AS (
  SELECT DISTINCT x.patient_id, m.charlson_condition
  FROM codes AS x
  JOIN code_map AS m ON m.code = x.code
),
counted AS (
  SELECT f.patient_id, f.charlson_condition, d.weight
  FROM found AS f
  JOIN charlson_quan_def AS d ON d.charlson_condition = f.charlson_condition
  LEFT JOIN found AS severe
    ON severe.patient_id = f.patient_id AND severe.charlson_condition = d.superseded_by
  WHERE severe.charlson_condition IS NULL
),
per_patient AS (
  SELECT
    patient_id,
    CAST(sum(weight) AS INTEGER) AS charlson_index,
    string_agg(charlson_condition, '|' ORDER BY charlson_condition) AS condition_text
  FROM counted
  GROUP BY patient_id
)
SELECT
  pt.patient_id,
  coalesce(pp.charlson_index, 0) AS charlson_index,
  coalesce(string_split(pp.condition_text, '|'), CAST([] AS VARCHAR[])) AS conditions
FROM patient AS pt
LEFT JOIN per_patient AS pp ON pp.patient_id = pt.patient_id
