-- tcm_candidate: discharges in the last 30 days (as_of - 29 .. as_of) to a community setting
-- (TCM-001, ELIG-004): acute stays (transfers merged), SNF stays and observation stays whose
-- discharge disposition is home, alt-home or aadvice, or is not recorded (claims carry none),
-- of patients alive on the as-of date. contact_deadline: the 2nd business day after the
-- discharge date (§0: Monday-Friday less US federal holidays, calendar_day.business_seq);
-- face_to_face_by_7 / _14: the 99496 / 99495 windows (BILL-005).
-- Rests on: acute_stay / facility_stay (source_table, source_id).
WITH discharges AS (
  SELECT
    s.patient_id, 'acute' AS kind, s.first_source_table AS source_table,
    s.first_source_id AS source_id, s.admit_date, s.discharge_date, s.discharge_disposition
  FROM acute_stay AS s
  UNION ALL
  SELECT
    f.patient_id, f.kind, f.source_table, f.source_id, f.admit_date, f.discharge_date,
    f.discharge_disposition
  FROM facility_stay AS f
  WHERE f.kind IN ('snf', 'observation')
)
SELECT
  d.patient_id,
  d.kind,
  d.source_table,
  d.source_id,
  d.admit_date,
  d.discharge_date,
  d.discharge_disposition,
  deadline.day AS contact_deadline,
  CAST(d.discharge_date + INTERVAL 7 DAY AS DATE) AS face_to_face_by_7,
  CAST(d.discharge_date + INTERVAL 14 DAY AS DATE) AS face_to_face_by_14,
  CAST(d.discharge_date + INTERVAL 29 DAY AS DATE) AS period_end
FROM discharges AS d
CROSS JOIN params AS p
JOIN patient AS pt ON pt.patient_id = d.patient_id
JOIN calendar_day AS dc ON dc.day = d.discharge_date
JOIN calendar_day AS deadline
  ON deadline.business_seq = dc.business_seq + 2 AND deadline.is_business_day
WHERE d.discharge_date BETWEEN p.start_30d AND p.as_of
  AND coalesce(d.discharge_disposition, '') IN ('home', 'alt-home', 'aadvice', '')
  AND CASE
    WHEN pt.deceased_date IS NOT NULL THEN pt.deceased_date > p.as_of
    ELSE NOT coalesce(pt.deceased, FALSE)
  END
