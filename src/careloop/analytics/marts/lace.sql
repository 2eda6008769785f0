-- lace: the LACE index of every acute discharge in the last 30 days (§5.5, van Walraven 2010;
-- CHR-002 weights). L: < 1 day 0, 1 → 1, 2 → 2, 3 → 3, 4-6 → 4, 7-13 → 5, >= 14 → 7.
-- A: emergent admission 3. C: Charlson total with the LACE weights (charlson_def), a condition not
-- counted when its more severe form (superseded_by) is present; 0-3 → itself, >= 4 → 5.
-- E: ED visits in the 6 months before admission, capped at 4. Total 0-19; >= 10 high risk.
-- Rests on: lace_input (the stay and its inputs), lace_input_condition (the Charlson conditions).
-- The same formula in Python: careloop.analytics.lace.score_lace (tests run both on the vectors).
WITH conditions AS (
  SELECT c.patient_id, c.stay_seq, c.charlson_condition, d.weight
  FROM lace_input_condition AS c
  JOIN charlson_def AS d ON d.charlson_condition = c.charlson_condition
  LEFT JOIN lace_input_condition AS severe
    ON severe.patient_id = c.patient_id
    AND severe.stay_seq = c.stay_seq
    AND severe.charlson_condition = d.superseded_by
  WHERE severe.charlson_condition IS NULL
),
charlson AS (
  SELECT patient_id, stay_seq, CAST(sum(weight) AS BIGINT) AS charlson, count(*) AS conditions
  FROM conditions
  GROUP BY patient_id, stay_seq
),
parts AS (
  SELECT
    l.patient_id,
    l.stay_seq,
    l.admit_date,
    l.discharge_date,
    l.los_days,
    l.emergent,
    l.ed_visits_6m,
    coalesce(ch.charlson, 0) AS charlson,
    CASE
      WHEN l.los_days < 1 THEN 0
      WHEN l.los_days <= 3 THEN l.los_days
      WHEN l.los_days <= 6 THEN 4
      WHEN l.los_days <= 13 THEN 5
      ELSE 7
    END AS l_points,
    CASE WHEN l.emergent THEN 3 ELSE 0 END AS a_points,
    CASE WHEN coalesce(ch.charlson, 0) >= 4 THEN 5 ELSE coalesce(ch.charlson, 0) END AS c_points,
    least(l.ed_visits_6m, 4) AS e_points
  FROM lace_input AS l
  LEFT JOIN charlson AS ch ON ch.patient_id = l.patient_id AND ch.stay_seq = l.stay_seq
)
SELECT
  parts.*,
  CAST(l_points + a_points + c_points + e_points AS BIGINT) AS lace,
  l_points + a_points + c_points + e_points >= 10 AS high_risk
FROM parts
