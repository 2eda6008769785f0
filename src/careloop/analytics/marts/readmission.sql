-- readmission: 30-day all-cause readmissions (UTL-002). An index stay is an acute stay that did
-- not end in death (exp) or a transfer (hosp, other-hcf, psy, long, rehab); a readmission is the
-- next acute stay admitted 1 to 30 days after the index discharge date. Planned readmissions are
-- not excluded (CONFIG default: none excluded).
-- Rests on: acute_stay (index_stay_seq, readmit_stay_seq) and their first source rows.
SELECT
  i.patient_id,
  i.stay_seq AS index_stay_seq,
  i.discharge_date AS index_discharge_date,
  r.stay_seq AS readmit_stay_seq,
  r.admit_date AS readmit_date,
  r.first_source_table AS readmit_source_table,
  r.first_source_id AS readmit_source_id,
  date_diff('day', i.discharge_date, r.admit_date) AS days_after_discharge
FROM acute_stay AS i
JOIN acute_stay AS r
  ON r.patient_id = i.patient_id
  AND r.stay_seq = i.stay_seq + 1
WHERE i.discharge_date IS NOT NULL
  AND i.discharge_disposition NOT IN ('exp', 'hosp', 'other-hcf', 'psy', 'long', 'rehab')
  AND date_diff('day', i.discharge_date, r.admit_date) BETWEEN 1 AND 30
