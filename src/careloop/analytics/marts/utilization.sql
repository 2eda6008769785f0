-- utilization: per patient, the 12 months ending on the as-of date, [params.start_12m, as_of]
-- (UTL-001, UTL-002). inpatient_admissions: acute stays admitted in the window (transfers
-- merged); ed_visits: ED visits in the window that did not lead to an admission;
-- readmissions_30d: readmissions admitted in the window; observation_stays; snf_days: days of SNF
-- stays inside the window (discharge day not counted; an open stay runs to the as-of date);
-- total_cost: claims' total amount (the allowed amount of the claim) for claims starting in the
-- window. Rests on: acute_stay, ed_visit, readmission, facility_stay, claim.
WITH adm AS (
  SELECT s.patient_id, count(*) AS n
  FROM acute_stay AS s, params AS p
  WHERE s.admit_date BETWEEN p.start_12m AND p.as_of
  GROUP BY s.patient_id
),
ed AS (
  SELECT v.patient_id, count(*) AS n
  FROM ed_visit AS v, params AS p
  WHERE v.visit_date BETWEEN p.start_12m AND p.as_of AND NOT v.led_to_admission
  GROUP BY v.patient_id
),
readm AS (
  SELECT r.patient_id, count(*) AS n
  FROM readmission AS r, params AS p
  WHERE r.readmit_date BETWEEN p.start_12m AND p.as_of
  GROUP BY r.patient_id
),
obs AS (
  SELECT s.patient_id, count(*) AS n
  FROM facility_stay AS s, params AS p
  WHERE s.kind = 'observation' AND s.admit_date BETWEEN p.start_12m AND p.as_of
  GROUP BY s.patient_id
),
snf AS (
  SELECT
    s.patient_id,
    sum(
      greatest(
        0,
        date_diff(
          'day',
          greatest(s.admit_date, p.start_12m),
          least(coalesce(s.discharge_date, p.as_of), p.as_of)
        )
      )
    ) AS days
  FROM facility_stay AS s, params AS p
  WHERE s.kind = 'snf' AND s.admit_date <= p.as_of
    AND coalesce(s.discharge_date, p.as_of) >= p.start_12m
  GROUP BY s.patient_id
),
cost AS (
  SELECT c.patient_id, sum(coalesce(c.total_amount, 0)) AS amount
  FROM claim AS c, params AS p
  WHERE c.start_date BETWEEN p.start_12m AND p.as_of
    AND coalesce(c.status, '') NOT IN ('cancelled', 'entered-in-error')
  GROUP BY c.patient_id
)
SELECT
  pt.patient_id,
  p.as_of,
  coalesce(adm.n, 0) AS inpatient_admissions,
  coalesce(ed.n, 0) AS ed_visits,
  coalesce(readm.n, 0) AS readmissions_30d,
  coalesce(obs.n, 0) AS observation_stays,
  CAST(coalesce(snf.days, 0) AS BIGINT) AS snf_days,
  round(coalesce(cost.amount, 0), 2) AS total_cost
FROM patient AS pt
CROSS JOIN params AS p
LEFT JOIN adm ON adm.patient_id = pt.patient_id
LEFT JOIN ed ON ed.patient_id = pt.patient_id
LEFT JOIN readm ON readm.patient_id = pt.patient_id
LEFT JOIN obs ON obs.patient_id = pt.patient_id
LEFT JOIN snf ON snf.patient_id = pt.patient_id
LEFT JOIN cost ON cost.patient_id = pt.patient_id
