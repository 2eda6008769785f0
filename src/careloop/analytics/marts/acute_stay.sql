-- acute_stay: acute inpatient stays, transfers merged (UTL-001 "one per stay; transfers merged").
-- A segment starts a new stay unless it begins on or before the previous segment's discharge
-- date, or the day after it when admitted by transfer (admit_source hosp-trans) or when the
-- previous segment ended in a transfer (discharge disposition hosp, other-hcf).
-- A stay ends in death when its last segment's disposition is exp (expired), and in a transfer
-- when it is hosp / other-hcf / psy / long / rehab (UTL-002: not an index stay).
-- Rests on: facility_stay rows (first_source_table, first_source_id = the first segment;
-- segments = how many source stays were merged).
WITH seg AS (
  SELECT
    s.*,
    coalesce(s.discharge_date, s.admit_date) AS end_date,
    lag(coalesce(s.discharge_date, s.admit_date)) OVER (
      PARTITION BY s.patient_id ORDER BY s.admit_date, s.discharge_date, s.source_table, s.source_id
    ) AS prev_end,
    lag(s.discharge_disposition) OVER (
      PARTITION BY s.patient_id ORDER BY s.admit_date, s.discharge_date, s.source_table, s.source_id
    ) AS prev_disposition
  FROM facility_stay AS s
  WHERE s.kind = 'acute'
),
flagged AS (
  SELECT
    seg.*,
    CASE
      WHEN prev_end IS NULL THEN 1
      WHEN date_diff('day', prev_end, admit_date) <= 0 THEN 0
      WHEN date_diff('day', prev_end, admit_date) = 1
        AND (admit_source = 'hosp-trans' OR prev_disposition IN ('hosp', 'other-hcf')) THEN 0
      ELSE 1
    END AS starts_stay
  FROM seg
),
numbered AS (
  SELECT
    flagged.*,
    sum(starts_stay) OVER (
      PARTITION BY patient_id ORDER BY admit_date, discharge_date, source_table, source_id
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS stay_seq
  FROM flagged
),
last_segment AS (
  SELECT
    patient_id,
    stay_seq,
    discharge_disposition,
    row_number() OVER (
      PARTITION BY patient_id, stay_seq ORDER BY admit_date DESC, discharge_date DESC, source_table DESC, source_id DESC
    ) AS rn
  FROM numbered
)
SELECT
  n.patient_id,
  n.stay_seq,
  max(CASE WHEN n.starts_stay = 1 THEN n.source_table END) AS first_source_table,
  max(CASE WHEN n.starts_stay = 1 THEN n.source_id END) AS first_source_id,
  min(n.admit_date) AS admit_date,
  max(n.discharge_date) AS discharge_date,
  max(CASE WHEN n.starts_stay = 1 THEN n.admit_source END) AS admit_source,
  max(l.discharge_disposition) AS discharge_disposition,
  count(*) AS segments
FROM numbered AS n
JOIN last_segment AS l
  ON l.patient_id = n.patient_id AND l.stay_seq = n.stay_seq AND l.rn = 1
GROUP BY n.patient_id, n.stay_seq
