-- facility_stay: every facility stay of the record, one row per source stay (not yet merged).
-- Rules: UTL-001 (inpatient admissions, observation stays, SNF days), TCM-001 (discharges).
-- kind: acute (inpatient encounter, class other than NONAC, or an inpatient claim), snf (a
-- non-acute inpatient encounter, class NONAC, or a SNF claim), observation (an observation
-- encounter). A claim linked to an encounter of the snapshot is the same stay and is not counted
-- again: encounters come first, claims add the stays that only a claim records.
-- Rests on: encounter.encounter_id or claim.claim_id (source_table, source_id).
SELECT
  e.patient_id,
  CASE
    WHEN e.encounter_class = 'observation' THEN 'observation'
    WHEN e.class_code = 'NONAC' THEN 'snf'
    ELSE 'acute'
  END AS kind,
  'encounter' AS source_table,
  e.encounter_id AS source_id,
  CAST(e.start_ts AS DATE) AS admit_date,
  CAST(e.end_ts AS DATE) AS discharge_date,
  coalesce(e.admit_source, '') AS admit_source,
  coalesce(e.discharge_disposition, '') AS discharge_disposition
FROM encounter AS e
WHERE e.encounter_class IN ('inpatient', 'observation')
  AND e.start_ts IS NOT NULL
  AND coalesce(e.status, '') NOT IN ('cancelled', 'entered-in-error', 'planned')
UNION ALL
SELECT
  c.patient_id,
  CASE WHEN c.claim_type = 'snf' THEN 'snf' ELSE 'acute' END AS kind,
  'claim' AS source_table,
  c.claim_id AS source_id,
  c.start_date AS admit_date,
  c.end_date AS discharge_date,
  '' AS admit_source,
  '' AS discharge_disposition
FROM claim AS c
LEFT JOIN encounter AS e ON e.encounter_id = c.encounter_id
WHERE c.claim_type IN ('inpatient', 'snf')
  AND c.start_date IS NOT NULL
  AND e.encounter_id IS NULL
  AND coalesce(c.status, '') NOT IN ('cancelled', 'entered-in-error')
