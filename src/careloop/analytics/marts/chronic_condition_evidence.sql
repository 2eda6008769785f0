-- chronic_condition_evidence: every row that can count towards a CCW condition, up to the as-of
-- date (the rows a chronic-condition finding rests on).
-- family 'claims' (§4.1): a claim with a value-set code in a diagnosis position (CC-003; AMI:
-- positions 1-2 only, max_dx_position), of a claim type that can qualify (CC-002: inpatient IP,
-- snf SNF, home_health HHA, outpatient HOP, carrier/professional CARRIER; DME, hospice, Part D
-- never), and not carrying a disqualifying code of the condition (CC-005). Dated on its from-date.
-- is_ed: a claim with place of service 23 (for the OUD rule's ED alternative). screening: every
-- code of the condition on the row is a screening code (HIV's R75: cc_code_map.screening), so
-- the row needs another, non-screening row for the claims rule (chronic_conditions).
-- §4.1 procedure codes (cc_code_map from valueset_procedure): an ICD-10-PCS code of the
-- condition's icd10pcs list on the claim's procedures counts like a diagnosis code (one row per
-- claim and condition either way; the row's code is the least of its codes); a claim of
-- those types carrying one of its qualifying_procedures (ICD-10-PCS on its procedures, CPT /
-- HCPCS on its lines) is a row of claim type PROCEDURE, which the condition's PROCEDURE
-- alternative meets with one claim. (None of those conditions has CC-005 disqualifying codes.)
-- family 'ehr' (§4.2, CC-101/102): an encounter diagnosis (Condition not on the problem list) or
-- an encounter reason code, ICD-10-CM or SNOMED CT, counting as one claim of type IP (acute
-- inpatient encounter), SNF (non-acute inpatient, NONAC) or CARRIER (others), dated on the
-- Condition's recorded (else onset) date or the encounter's start. A Condition counts unless its
-- verification is refuted / entered-in-error; a resolved, inactive or remission Condition counts
-- only when its abatement date is after the evidence date (CC-104).
-- family 'problem_list' (CC-102): a problem-list item active on the as-of date: clinical status
-- active, recurrence or relapse, verification not refuted / entered-in-error, dated on or before
-- the as-of date, abatement absent or after the as-of date. It meets the condition on its own.
WITH claim_codes AS (
  -- one row per claim and condition, grouped on two integers (the claim, the condition's CCW
  -- number); the include codes in the condition's diagnosis positions, and whether any position
  -- holds one of its disqualifying codes (CC-005), in the same pass over the diagnoses
  SELECT
    d.claim_id,
    cd.ccw_id,
    min(CASE WHEN d.role = 'include' AND d.position <= coalesce(cd.max_dx_position, 999) THEN d.position END)
      AS position,
    min(CASE WHEN d.role = 'include' AND d.position <= coalesce(cd.max_dx_position, 999) THEN d.code END)
      AS code,
    bool_and(CASE WHEN d.role = 'include' AND d.position <= coalesce(cd.max_dx_position, 999) THEN d.screening END)
      AS screening,
    bool_or(d.role = 'disqualify') AS disqualified
  FROM (
    SELECT d.claim_id, d.position, d.code, m.condition_id, m.role, m.screening
    FROM claim_diagnosis AS d
    JOIN cc_code_map AS m ON m.code_system = 'icd10cm' AND m.code = d.code
    UNION ALL
    SELECT pr.claim_id, 100 + pr.position AS position, m.code, m.condition_id, m.role, m.screening
    FROM claim_procedure AS pr
    JOIN cc_code_map AS m
      ON m.code_system = 'icd10pcs' AND m.code = upper(replace(trim(pr.code), '.', ''))
  ) AS d
  JOIN condition_def AS cd ON cd.condition_id = d.condition_id
  GROUP BY d.claim_id, cd.ccw_id
),
claims AS (
  SELECT
    c.patient_id,
    cd.condition_id,
    'claims' AS family,
    CASE c.claim_type
      WHEN 'inpatient' THEN 'IP'
      WHEN 'snf' THEN 'SNF'
      WHEN 'home_health' THEN 'HHA'
      WHEN 'outpatient' THEN 'HOP'
      WHEN 'carrier' THEN 'CARRIER'
      WHEN 'professional' THEN 'CARRIER'
    END AS claim_type,
    c.place_of_service = '23' AS is_ed,
    c.start_date AS evidence_date,
    'claim' AS source_table,
    c.claim_id AS source_id,
    k.code,
    k.screening
  FROM claim_codes AS k
  JOIN claim AS c ON c.claim_id = k.claim_id
  JOIN condition_def AS cd ON cd.ccw_id = k.ccw_id
  CROSS JOIN params AS p
  WHERE k.position IS NOT NULL AND NOT k.disqualified
    AND c.start_date <= p.as_of
    AND coalesce(c.status, '') NOT IN ('cancelled', 'entered-in-error')
    AND c.claim_type IN ('inpatient', 'snf', 'home_health', 'outpatient', 'carrier', 'professional')
),
procedure_claims AS (
  SELECT
    c.patient_id,
    m.condition_id,
    'claims' AS family,
    'PROCEDURE' AS claim_type,
    FALSE AS is_ed,
    c.start_date AS evidence_date,
    'claim' AS source_table,
    c.claim_id AS source_id,
    min(x.code) AS code,
    FALSE AS screening
  FROM (
    SELECT claim_id, upper(replace(trim(code), '.', '')) AS code FROM claim_procedure
    UNION ALL
    SELECT claim_id, upper(trim(code)) AS code FROM claim_line
  ) AS x
  JOIN cc_code_map AS m ON m.code_system = 'procedure' AND m.code = x.code
  JOIN claim AS c ON c.claim_id = x.claim_id
  CROSS JOIN params AS p
  WHERE c.start_date <= p.as_of
    AND coalesce(c.status, '') NOT IN ('cancelled', 'entered-in-error')
    AND c.claim_type IN ('inpatient', 'snf', 'home_health', 'outpatient', 'carrier', 'professional')
  GROUP BY c.patient_id, m.condition_id, c.start_date, c.claim_id
),
conditions AS (
  SELECT
    c.condition_id AS row_id,
    c.patient_id,
    c.encounter_id,
    c.category,
    CASE
      WHEN c.system = 'http://hl7.org/fhir/sid/icd-10-cm' THEN 'icd10cm'
      WHEN c.system = 'http://snomed.info/sct' THEN 'snomed'
    END AS code_system,
    CASE
      WHEN c.system = 'http://hl7.org/fhir/sid/icd-10-cm' THEN upper(replace(trim(c.code), '.', ''))
      ELSE trim(c.code)
    END AS code,
    coalesce(c.recorded_date, c.onset) AS evidence_date,
    coalesce(c.clinical_status, '') AS clinical_status,
    c.abatement
  FROM condition AS c
  WHERE coalesce(c.verification_status, '') NOT IN ('refuted', 'entered-in-error')
),
ehr_dx AS (
  SELECT
    c.patient_id, m.condition_id, 'ehr' AS family,
    CASE
      WHEN e.encounter_class = 'inpatient' AND e.class_code = 'NONAC' THEN 'SNF'
      WHEN e.encounter_class = 'inpatient' THEN 'IP'
      ELSE 'CARRIER'
    END AS claim_type,
    coalesce(e.encounter_class = 'emergency', FALSE) AS is_ed,
    c.evidence_date, 'condition' AS source_table, c.row_id AS source_id, c.code, m.screening
  FROM conditions AS c
  JOIN cc_code_map AS m ON m.code_system = c.code_system AND m.code = c.code AND m.role = 'include'
  LEFT JOIN encounter AS e ON e.encounter_id = c.encounter_id
  CROSS JOIN params AS p
  WHERE coalesce(c.category, '') <> 'problem-list-item'
    AND c.evidence_date <= p.as_of
    AND (
      c.clinical_status IN ('active', 'recurrence', 'relapse', '')
      OR c.abatement > c.evidence_date
    )
),
reasons AS (
  SELECT
    e.patient_id, m.condition_id, 'ehr' AS family,
    CASE
      WHEN e.encounter_class = 'inpatient' AND e.class_code = 'NONAC' THEN 'SNF'
      WHEN e.encounter_class = 'inpatient' THEN 'IP'
      WHEN e.encounter_class = 'home' THEN 'HHA'
      ELSE 'CARRIER'
    END AS claim_type,
    e.encounter_class = 'emergency' AS is_ed,
    CAST(e.start_ts AS DATE) AS evidence_date,
    'encounter' AS source_table, e.encounter_id AS source_id, ec.code, m.screening
  FROM encounter_code AS ec
  JOIN encounter AS e ON e.encounter_id = ec.encounter_id
  JOIN cc_code_map AS m
    ON m.code = ec.code AND m.role = 'include'
    AND m.code_system = CASE
      WHEN ec.system = 'http://hl7.org/fhir/sid/icd-10-cm' THEN 'icd10cm'
      WHEN ec.system = 'http://snomed.info/sct' THEN 'snomed'
    END
  CROSS JOIN params AS p
  WHERE ec.kind = 'reason'
    AND e.start_ts IS NOT NULL
    AND CAST(e.start_ts AS DATE) <= p.as_of
    AND coalesce(e.status, '') NOT IN ('cancelled', 'entered-in-error', 'planned')
),
problems AS (
  SELECT
    c.patient_id, m.condition_id, 'problem_list' AS family, 'PROBLEM_LIST' AS claim_type,
    FALSE AS is_ed, c.evidence_date, 'condition' AS source_table, c.row_id AS source_id, c.code,
    m.screening
  FROM conditions AS c
  JOIN cc_code_map AS m ON m.code_system = c.code_system AND m.code = c.code AND m.role = 'include'
  CROSS JOIN params AS p
  WHERE c.category = 'problem-list-item'
    AND c.clinical_status IN ('active', 'recurrence', 'relapse')
    AND coalesce(c.evidence_date, p.as_of) <= p.as_of
    AND (c.abatement IS NULL OR c.abatement > p.as_of)
)
SELECT * FROM claims
UNION ALL
SELECT * FROM procedure_claims
UNION ALL
SELECT * FROM ehr_dx
UNION ALL
SELECT * FROM reasons
UNION ALL
SELECT * FROM problems
