-- super_utilizer: one row per patient per super-utilizer rule that holds (§5.3), over the 12
-- months before the as-of date [params.start_12m, as_of], counted as the utilization mart counts
-- (UTL-001, UTL-002); thresholds are CONFIG (params.su_*). A patient with no row is not flagged.
-- SU-001: >= su_admissions inpatient admissions (acute stays, transfers merged).
-- SU-002: >= su_ed_visits ED visits (a visit that led to an admission counts with the admission).
-- SU-003: >= su_readmissions 30-day readmissions.
-- SU-004: >= su_combined_admissions admissions and >= su_combined_ed_visits ED visits.
-- SU-005: total allowed cost in the top su_cost_top_fraction of the patient's organization:
--   cost > 0 and at least the cost of the k-th costliest patient, k = ceil(fraction x patients).
-- evidence: the stays, visits and readmissions behind the rule ('inpatient 2026-03-01..2026-03-05',
-- 'ED visit 2026-04-02', 'readmission 2026-03-20 (12 days after discharge 2026-03-08)').
-- Rests on: utilization, acute_stay, ed_visit, readmission, patient.
-- scope: population (SU-005 ranks the patients of an organization: decision 0015)
WITH stay AS (
  SELECT
    s.patient_id,
    concat(
      'inpatient ', CAST(s.admit_date AS VARCHAR), '..',
      coalesce(CAST(s.discharge_date AS VARCHAR), 'open')
    ) AS evidence
  FROM acute_stay AS s, params AS p
  WHERE s.admit_date BETWEEN p.start_12m AND p.as_of
),
ed AS (
  SELECT v.patient_id, concat('ED visit ', CAST(v.visit_date AS VARCHAR)) AS evidence
  FROM ed_visit AS v, params AS p
  WHERE v.visit_date BETWEEN p.start_12m AND p.as_of AND NOT v.led_to_admission
),
readm AS (
  SELECT
    r.patient_id,
    concat(
      'readmission ', CAST(r.readmit_date AS VARCHAR), ' (', CAST(r.days_after_discharge AS VARCHAR),
      ' days after discharge ', CAST(r.index_discharge_date AS VARCHAR), ')'
    ) AS evidence
  FROM readmission AS r, params AS p
  WHERE r.readmit_date BETWEEN p.start_12m AND p.as_of
),
ranked AS (
  SELECT
    u.patient_id,
    pt.organization_id,
    u.total_cost,
    row_number() OVER (ORDER BY pt.organization_id, u.total_cost DESC, u.patient_id) AS pos
  FROM utilization AS u
  JOIN patient AS pt ON pt.patient_id = u.patient_id
),
org AS (
  SELECT
    r.organization_id,
    min(r.pos) AS first_pos,
    count(*) AS patients,
    CAST(ceil(count(*) * max(p.su_cost_top_fraction)) AS BIGINT) AS k
  FROM ranked AS r, params AS p
  GROUP BY r.organization_id
),
cost_threshold AS (
  SELECT o.organization_id, o.patients, r.total_cost AS threshold
  FROM org AS o
  JOIN ranked AS r ON r.organization_id = o.organization_id AND r.pos = o.first_pos + o.k - 1
),
rules AS (
  SELECT u.patient_id, 'SU-001' AS rule_id,
    concat(CAST(u.inpatient_admissions AS VARCHAR), ' inpatient admissions in 12 months (SU-001: ',
      CAST(p.su_admissions AS VARCHAR), ' or more)') AS detail
  FROM utilization AS u, params AS p
  WHERE u.inpatient_admissions >= p.su_admissions
  UNION ALL
  SELECT u.patient_id, 'SU-002' AS rule_id,
    concat(CAST(u.ed_visits AS VARCHAR), ' ED visits in 12 months (SU-002: ',
      CAST(p.su_ed_visits AS VARCHAR), ' or more)') AS detail
  FROM utilization AS u, params AS p
  WHERE u.ed_visits >= p.su_ed_visits
  UNION ALL
  SELECT u.patient_id, 'SU-003' AS rule_id,
    concat(CAST(u.readmissions_30d AS VARCHAR), ' thirty-day readmissions in 12 months (SU-003: ',
      CAST(p.su_readmissions AS VARCHAR), ' or more)') AS detail
  FROM utilization AS u, params AS p
  WHERE u.readmissions_30d >= p.su_readmissions
  UNION ALL
  SELECT u.patient_id, 'SU-004' AS rule_id,
    concat(CAST(u.inpatient_admissions AS VARCHAR), ' inpatient admissions and ',
      CAST(u.ed_visits AS VARCHAR), ' ED visits in 12 months (SU-004: ',
      CAST(p.su_combined_admissions AS VARCHAR), ' and ', CAST(p.su_combined_ed_visits AS VARCHAR),
      ' or more)') AS detail
  FROM utilization AS u, params AS p
  WHERE u.inpatient_admissions >= p.su_combined_admissions
    AND u.ed_visits >= p.su_combined_ed_visits
  UNION ALL
  SELECT r.patient_id, 'SU-005' AS rule_id,
    concat('total allowed cost ', CAST(CAST(round(r.total_cost, 2) AS DECIMAL(18, 2)) AS VARCHAR),
      ' in 12 months, in the top ', CAST(CAST(round(p.su_cost_top_fraction * 100, 1) AS DECIMAL(6, 1)) AS VARCHAR),
      '% of the organization''s ', CAST(t.patients AS VARCHAR), ' patients (SU-005: at least ',
      CAST(CAST(round(t.threshold, 2) AS DECIMAL(18, 2)) AS VARCHAR), ')') AS detail
  FROM ranked AS r
  JOIN cost_threshold AS t ON t.organization_id = r.organization_id
  CROSS JOIN params AS p
  WHERE r.total_cost > 0 AND r.total_cost >= t.threshold
),
evidence AS (
  SELECT r.patient_id, r.rule_id, x.evidence
  FROM rules AS r
  JOIN stay AS x ON x.patient_id = r.patient_id
  WHERE r.rule_id IN ('SU-001', 'SU-004')
  UNION ALL
  SELECT r.patient_id, r.rule_id, x.evidence
  FROM rules AS r
  JOIN ed AS x ON x.patient_id = r.patient_id
  WHERE r.rule_id IN ('SU-002', 'SU-004')
  UNION ALL
  SELECT r.patient_id, r.rule_id, x.evidence
  FROM rules AS r
  JOIN readm AS x ON x.patient_id = r.patient_id
  WHERE r.rule_id = 'SU-003'
),
evidence_text AS (
  SELECT patient_id, rule_id, string_agg(evidence, '|' ORDER BY evidence) AS evidence_text
  FROM evidence
  GROUP BY patient_id, rule_id
)
SELECT
  r.patient_id,
  r.rule_id,
  r.detail,
  coalesce(string_split(e.evidence_text, '|'), CAST([] AS VARCHAR[])) AS evidence
FROM rules AS r
LEFT JOIN evidence_text AS e ON e.patient_id = r.patient_id AND e.rule_id = r.rule_id
