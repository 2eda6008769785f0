-- lace_input: the LACE inputs of every acute discharge in the last 30 days, as_of - 29 .. as_of
-- (§5.5). los_days: discharge date minus admission date (CONFIG lace_los_inclusive: both days
-- counted). emergent: admitted through the emergency department (admit source emd, or an ED visit
-- on the admission date or the day before). ed_visits_6m: ED visits in the 6 months before the
-- admission, not counting the visit that led to it (visits on the admission date or the day
-- before). The admission type is not in the record, so lace_urgent_counts has nothing to add.
-- Rests on: acute_stay (patient_id, stay_seq, first_source_*), ed_visit.
WITH discharges AS (
  SELECT s.*
  FROM acute_stay AS s
  CROSS JOIN params AS p
  WHERE s.discharge_date BETWEEN p.start_30d AND p.as_of
),
ed_counts AS (
  SELECT
    s.patient_id,
    s.stay_seq,
    CAST(sum(CASE WHEN date_diff('day', v.visit_date, s.admit_date) BETWEEN 0 AND 1 THEN 1 ELSE 0 END) AS BIGINT)
      AS ed_at_admission,
    CAST(sum(
      CASE
        WHEN v.visit_date >= CAST(s.admit_date - INTERVAL 6 MONTH AS DATE)
          AND date_diff('day', v.visit_date, s.admit_date) > 1 THEN 1
        ELSE 0
      END
    ) AS BIGINT) AS ed_before
  FROM discharges AS s
  JOIN ed_visit AS v ON v.patient_id = s.patient_id
  GROUP BY s.patient_id, s.stay_seq
)
SELECT
  s.patient_id,
  s.stay_seq,
  s.first_source_table,
  s.first_source_id,
  s.admit_date,
  s.discharge_date,
  date_diff('day', s.admit_date, s.discharge_date)
    + CASE WHEN p.lace_los_inclusive THEN 1 ELSE 0 END AS los_days,
  s.admit_source = 'emd' OR coalesce(e.ed_at_admission, 0) > 0 AS emergent,
  coalesce(e.ed_before, 0) AS ed_visits_6m
FROM discharges AS s
CROSS JOIN params AS p
LEFT JOIN ed_counts AS e ON e.patient_id = s.patient_id AND e.stay_seq = s.stay_seq
