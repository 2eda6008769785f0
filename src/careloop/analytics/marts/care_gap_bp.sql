-- care_gap_bp: blood pressure by reading date for GAP-008 (HEDIS CBP), one row per patient and
-- date up to T: the lowest systolic and the lowest diastolic of the date (LOINC 8480-6 / 8462-4,
-- alone or as components of the 85354-9 panel: lists bp_systolic, bp_diastolic, bp_panel).
-- Readings taken during an acute inpatient stay or an ED visit do not count: the observation's
-- encounter is of class inpatient or emergency, or its date falls inside an acute_stay (admit ..
-- discharge) or on an ed_visit date. Patient-reported (home device) readings count.
-- Rests on: observation rows (first_observation_id = the lowest id of the date's readings).
WITH panel AS (
  SELECT o.observation_id, o.patient_id, o.encounter_id, o.effective_ts, c.code, c.value
  FROM observation AS o
  JOIN care_gap_code AS k ON k.list_id = 'bp_panel' AND k.code = trim(o.code)
  JOIN observation_component AS c ON c.observation_id = o.observation_id
  WHERE coalesce(o.status, '') NOT IN ('cancelled', 'entered-in-error')
  UNION ALL
  SELECT o.observation_id, o.patient_id, o.encounter_id, o.effective_ts, o.code, o.value
  FROM observation AS o
  WHERE coalesce(o.status, '') NOT IN ('cancelled', 'entered-in-error')
),
readings AS (
  SELECT r.observation_id, r.patient_id, r.encounter_id, CAST(r.effective_ts AS DATE) AS reading_date,
         k.list_id, r.value
  FROM panel AS r
  JOIN care_gap_code AS k
    ON k.list_id IN ('bp_systolic', 'bp_diastolic') AND k.code = trim(r.code)
  CROSS JOIN care_gap_param AS p
  WHERE r.value IS NOT NULL AND r.effective_ts IS NOT NULL
    AND CAST(r.effective_ts AS DATE) <= p.as_of
),
acute_setting AS (
  SELECT DISTINCT r.observation_id
  FROM readings AS r
  JOIN encounter AS e ON e.encounter_id = r.encounter_id
  WHERE e.encounter_class IN ('inpatient', 'emergency')
  UNION
  SELECT DISTINCT r.observation_id
  FROM readings AS r
  JOIN acute_stay AS s
    ON s.patient_id = r.patient_id
    AND r.reading_date BETWEEN s.admit_date AND coalesce(s.discharge_date, s.admit_date)
  UNION
  SELECT DISTINCT r.observation_id
  FROM readings AS r
  JOIN ed_visit AS v ON v.patient_id = r.patient_id AND v.visit_date = r.reading_date
)
SELECT
  r.patient_id,
  r.reading_date,
  min(CASE WHEN r.list_id = 'bp_systolic' THEN r.value END) AS systolic,
  min(CASE WHEN r.list_id = 'bp_diastolic' THEN r.value END) AS diastolic,
  count(DISTINCT r.observation_id) AS observations,
  min(r.observation_id) AS first_observation_id
FROM readings AS r
LEFT JOIN acute_setting AS a ON a.observation_id = r.observation_id
WHERE a.observation_id IS NULL
GROUP BY r.patient_id, r.reading_date
