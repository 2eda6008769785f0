-- hcc_driver: the terms that make up each patient's hcc_score ("risk drivers", HCC-004), one row
-- per term: kind 'demographic' (the sex x age cell such as F75_79, and Medicaid, originally
-- disabled, institutional terms of the segment), 'hcc' (a payment HCC after hierarchies, with the
-- ICD-10-CM codes behind it in source_codes), 'interaction' (DIABETES_HF_V28 ...) and 'count' (the
-- payment-HCC count term D1 .. D10P). coefficient: the relative factor of the term in the
-- patient's segment (raw, not normalized); the coefficients of a patient's rows with suspect =
-- false add up to its raw_score. Terms with a zero factor are left out, except HCCs (a new
-- enrollee's HCCs are listed with 0).
-- suspect = true: an HCC that the problem list alone gives (HCC-003: EHR problem lists are not a
-- risk-adjustment source): not in the score; its coefficient is what the HCC's factor would be,
-- source_codes the problem-list codes. Rests on: hcc_term (the hcc step: careloop.analytics.hcc).
SELECT
  t.patient_id,
  t.term,
  t.kind,
  t.hcc,
  t.label,
  CAST(t.milli AS DOUBLE) / 1000 AS coefficient,
  t.source_codes,
  t.suspect
FROM hcc_term AS t
