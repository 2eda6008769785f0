-- hcc_member: each patient's CMS-HCC member record (HCC-002), the input of the V28 scorer
-- (careloop.analytics.hcc: patient_id, age, sex, dual_status, orec, crec, new_enrollee, snp, lti).
-- age: on 1 February of the payment year (params.hcc_age_date; payment year = year(as_of) + 1
--   unless CONFIG hcc_payment_year). aged = age >= 65; under 65 with OREC <> 0 is disabled.
-- sex: gender male -> M, female -> F; patients of another or unknown gender, or without a birth
--   date, have no member row (the model has no cell for them) and no HCC score.
-- dual_status: the dual-status code (CMS MMR / CCW) of an active Medicaid coverage on the as-of
--   date (the highest code when several); a Medicaid coverage without a code counts as '02'
--   (full-benefit); no Medicaid coverage: '00' (non-dual).
-- orec: patient.orec (original reason for entitlement) when the record has it, else '0' (old age).
-- crec: not in the record (NULL). snp: false (no special-needs-plan data in the record).
-- new_enrollee: a Part B coverage that starts after 1 January of the data year (fewer than 12
--   months of Part B in the data year); a patient without any Part B coverage row is scored as a
--   continuing enrollee (the record cannot tell, and the diagnoses then count).
-- lti (institutional, INS): a SNF / non-acute inpatient stay open on the as-of date that began
--   90 or more days before it (long-term institutional, HCC-002).
-- Rests on: patient, coverage, facility_stay.
WITH medicaid AS (
  SELECT c.patient_id, max(coalesce(nullif(trim(c.dual_status), ''), '02')) AS dual_status
  FROM coverage AS c, params AS p
  WHERE c.kind = 'medicaid'
    AND coalesce(c.status, 'active') = 'active'
    AND coalesce(c.start_date, p.as_of) <= p.as_of
    AND (c.end_date IS NULL OR c.end_date >= p.as_of)
  GROUP BY c.patient_id
),
part_b AS (
  SELECT c.patient_id, min(c.start_date) AS first_start
  FROM coverage AS c
  WHERE c.kind = 'part-b' AND coalesce(c.status, '') NOT IN ('cancelled', 'entered-in-error')
  GROUP BY c.patient_id
),
institutional AS (
  SELECT s.patient_id, min(s.admit_date) AS since
  FROM facility_stay AS s, params AS p
  WHERE s.kind = 'snf'
    AND s.admit_date <= p.as_of
    AND (s.discharge_date IS NULL OR s.discharge_date >= p.as_of)
    AND date_diff('day', s.admit_date, p.as_of) >= 90
  GROUP BY s.patient_id
)
SELECT
  pt.patient_id,
  CAST(
    year(p.hcc_age_date) - year(pt.birth_date)
    - CASE
      WHEN month(pt.birth_date) > month(p.hcc_age_date)
        OR (month(pt.birth_date) = month(p.hcc_age_date) AND day(pt.birth_date) > day(p.hcc_age_date))
        THEN 1
      ELSE 0
    END AS INTEGER
  ) AS age,
  CASE pt.gender WHEN 'male' THEN 'M' ELSE 'F' END AS sex,
  coalesce(m.dual_status, '00') AS dual_status,
  coalesce(nullif(trim(pt.orec), ''), '0') AS orec,
  pt.orec IS NOT NULL AND trim(pt.orec) <> '' AS orec_known,
  CAST(NULL AS VARCHAR) AS crec,
  coalesce(b.first_start > p.hcc_data_start, FALSE) AS new_enrollee,
  b.first_start AS part_b_start,
  FALSE AS snp,
  i.patient_id IS NOT NULL AS lti,
  i.since AS institutional_since
FROM patient AS pt
CROSS JOIN params AS p
LEFT JOIN medicaid AS m ON m.patient_id = pt.patient_id
LEFT JOIN part_b AS b ON b.patient_id = pt.patient_id
LEFT JOIN institutional AS i ON i.patient_id = pt.patient_id
WHERE pt.birth_date IS NOT NULL AND pt.gender IN ('male', 'female')
