-- ed_visit: emergency department visits (UTL-001): encounters of class emergency, and claims
-- with place of service 23 (emergency room, hospital) that no snapshot encounter records (one
-- visit per patient and date). led_to_admission: an acute stay begins on the visit's date or the
-- day after (UTL-001: such a visit is counted with the admission, not as an ED visit).
-- Rests on: encounter.encounter_id or claim.claim_id (source_table, source_id).
WITH visits AS (
  SELECT
    e.patient_id,
    CAST(e.start_ts AS DATE) AS visit_date,
    'encounter' AS source_table,
    e.encounter_id AS source_id
  FROM encounter AS e
  WHERE e.encounter_class = 'emergency'
    AND e.start_ts IS NOT NULL
    AND coalesce(e.status, '') NOT IN ('cancelled', 'entered-in-error', 'planned')
  UNION ALL
  SELECT
    c.patient_id,
    c.start_date AS visit_date,
    'claim' AS source_table,
    min(c.claim_id) AS source_id
  FROM claim AS c
  LEFT JOIN encounter AS e ON e.encounter_id = c.encounter_id
  WHERE c.place_of_service = '23'
    AND c.claim_type IN ('outpatient', 'carrier', 'professional', 'institutional')
    AND c.start_date IS NOT NULL
    AND e.encounter_id IS NULL
    AND coalesce(c.status, '') NOT IN ('cancelled', 'entered-in-error')
  GROUP BY c.patient_id, c.start_date
),
admitted AS (
  SELECT DISTINCT v.patient_id, v.source_table, v.source_id
  FROM visits AS v
  JOIN acute_stay AS s
    ON s.patient_id = v.patient_id
    AND date_diff('day', v.visit_date, s.admit_date) BETWEEN 0 AND 1
)
SELECT
  v.patient_id,
  v.visit_date,
  v.source_table,
  v.source_id,
  a.patient_id IS NOT NULL AS led_to_admission
FROM visits AS v
LEFT JOIN admitted AS a
  ON a.patient_id = v.patient_id AND a.source_table = v.source_table AND a.source_id = v.source_id
