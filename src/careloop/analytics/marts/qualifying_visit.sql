-- qualifying_visit: visits that qualify as a CCM initiating visit (CCM-020: office/outpatient
-- E/M 99202-99215, home 99341-99350, 99483, AWV G0438/G0439, IPPE G0402, TCM 99495/99496) with
-- one of the organization's billing practitioners (billing_practitioner NPIs; when none are
-- configured, params.any_practitioner_bills: every practitioner of the record counts), up to the
-- as-of date. From claim lines (the claim's practitioner or provider NPI) and from encounter type
-- codes (the encounter's practitioner). Rests on: claim / encounter rows (source_table, source_id).
WITH claim_visits AS (
  SELECT
    c.patient_id,
    coalesce(l.line_date, c.start_date) AS visit_date,
    l.code,
    'claim' AS source_table,
    c.claim_id AS source_id,
    coalesce(nullif(pr.npi, ''), c.provider_npi) AS npi,
    c.practitioner_id
  FROM claim AS c
  JOIN claim_line AS l ON l.claim_id = c.claim_id
  LEFT JOIN practitioner AS pr ON pr.practitioner_id = c.practitioner_id
  WHERE coalesce(c.status, '') NOT IN ('cancelled', 'entered-in-error')
),
encounter_visits AS (
  SELECT
    e.patient_id,
    CAST(e.start_ts AS DATE) AS visit_date,
    ec.code,
    'encounter' AS source_table,
    e.encounter_id AS source_id,
    pr.npi,
    e.practitioner_id
  FROM encounter AS e
  JOIN encounter_code AS ec ON ec.encounter_id = e.encounter_id AND ec.kind = 'type'
  LEFT JOIN practitioner AS pr ON pr.practitioner_id = e.practitioner_id
  WHERE e.start_ts IS NOT NULL
    AND coalesce(e.status, '') NOT IN ('cancelled', 'entered-in-error', 'planned')
),
visits AS (
  SELECT * FROM claim_visits
  UNION ALL
  SELECT * FROM encounter_visits
)
SELECT DISTINCT
  v.patient_id,
  v.visit_date,
  v.code,
  q.visit_kind,
  v.source_table,
  v.source_id,
  v.practitioner_id,
  v.npi
FROM visits AS v
JOIN qualifying_visit_code AS q ON q.code = v.code
CROSS JOIN params AS p
LEFT JOIN billing_practitioner AS b ON b.npi = v.npi
WHERE v.visit_date <= p.as_of
  AND (p.any_practitioner_bills OR b.npi IS NOT NULL)
