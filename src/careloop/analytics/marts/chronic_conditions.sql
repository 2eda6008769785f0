-- chronic_conditions: the CCW conditions met on the as-of date T, one row per patient and
-- condition (all 75 CCW categories; `chronic` is false for the acute-event ones, which CCM
-- counting leaves out).
-- CC-001/004: met by claims when, inside the condition's reference period (the 1, 2 or 3 years
-- ending on T: condition_def.reference_start .. T), one alternative of its claims rule
-- (condition_rule: min_claims claims on distinct dates, of the listed claim types) holds.
-- CC-102: EHR encounter diagnoses follow the same rule on their own (family 'ehr'); an active
-- problem-list item meets the condition by itself. CC-105: met when any source meets it.
-- CC-006: first_met_date, the earliest date at which the rule held (claims or EHR: the date of the
-- qualifying claim that completed an alternative within its period; problem list: the item's
-- recorded or onset date).
-- Rests on: chronic_condition_evidence rows of the patient and condition (evidence_in_period
-- counts those dated inside the reference period).
WITH hits AS (
  SELECT
    e.patient_id,
    e.condition_id,
    e.family,
    r.alternative,
    r.min_claims,
    e.evidence_date,
    min(e.source_id) AS evidence_id
  FROM chronic_condition_evidence AS e
  JOIN condition_rule AS r
    ON r.condition_id = e.condition_id
    AND (r.claim_type = e.claim_type OR (r.claim_type = 'ED' AND e.is_ed))
  WHERE e.family IN ('claims', 'ehr') AND e.evidence_date IS NOT NULL
  GROUP BY e.patient_id, e.condition_id, e.family, r.alternative, r.min_claims, e.evidence_date
),
met_rules AS (
  SELECT h.patient_id, h.condition_id, h.family
  FROM hits AS h
  JOIN condition_def AS cd ON cd.condition_id = h.condition_id
  CROSS JOIN params AS p
  WHERE h.evidence_date BETWEEN cd.reference_start AND p.as_of
  GROUP BY h.patient_id, h.condition_id, h.family, h.alternative, h.min_claims
  HAVING count(*) >= h.min_claims
),
sequenced AS (
  SELECT
    h.*,
    cd.reference_years,
    lag(h.evidence_date, 1) OVER (
      PARTITION BY h.patient_id, h.condition_id, h.family, h.alternative
      ORDER BY h.evidence_date, h.evidence_id
    ) AS prev1,
    lag(h.evidence_date, 2) OVER (
      PARTITION BY h.patient_id, h.condition_id, h.family, h.alternative
      ORDER BY h.evidence_date, h.evidence_id
    ) AS prev2
  FROM hits AS h
  JOIN condition_def AS cd ON cd.condition_id = h.condition_id
),
completed AS (
  SELECT
    s.patient_id,
    s.condition_id,
    s.evidence_date,
    CASE s.min_claims WHEN 2 THEN s.prev1 WHEN 3 THEN s.prev2 END AS earliest_needed,
    CASE s.reference_years
      WHEN 1 THEN CAST(s.evidence_date - INTERVAL 1 YEAR AS DATE)
      WHEN 2 THEN CAST(s.evidence_date - INTERVAL 2 YEAR AS DATE)
      ELSE CAST(s.evidence_date - INTERVAL 3 YEAR AS DATE)
    END AS period_before,
    s.min_claims
  FROM sequenced AS s
),
first_claims AS (
  SELECT c.patient_id, c.condition_id, min(c.evidence_date) AS first_met_date
  FROM completed AS c
  WHERE c.min_claims = 1 OR c.earliest_needed > c.period_before
  GROUP BY c.patient_id, c.condition_id
),
problems AS (
  SELECT e.patient_id, e.condition_id, min(e.evidence_date) AS first_met_date
  FROM chronic_condition_evidence AS e
  WHERE e.family = 'problem_list'
  GROUP BY e.patient_id, e.condition_id
),
met_families AS (
  SELECT
    patient_id,
    condition_id,
    bool_or(family = 'claims') AS by_claims,
    bool_or(family = 'ehr') AS by_ehr
  FROM met_rules
  GROUP BY patient_id, condition_id
),
met AS (
  SELECT patient_id, condition_id FROM met_rules
  UNION
  SELECT patient_id, condition_id FROM problems
),
in_period AS (
  SELECT e.patient_id, e.condition_id, count(*) AS n, max(e.evidence_date) AS last_date
  FROM chronic_condition_evidence AS e
  JOIN condition_def AS cd ON cd.condition_id = e.condition_id
  CROSS JOIN params AS p
  WHERE e.family = 'problem_list' OR e.evidence_date BETWEEN cd.reference_start AND p.as_of
  GROUP BY e.patient_id, e.condition_id
)
SELECT
  m.patient_id,
  m.condition_id,
  cd.ccw_id,
  cd.name,
  cd.chronic,
  cd.is_common,
  cd.counts_as,
  p.as_of,
  cd.reference_start,
  coalesce(mf.by_claims, FALSE) AS met_by_claims,
  coalesce(mf.by_ehr, FALSE) AS met_by_ehr_encounters,
  pl.patient_id IS NOT NULL AS met_by_problem_list,
  CASE
    WHEN fc.first_met_date IS NULL THEN pl.first_met_date
    WHEN pl.first_met_date IS NULL THEN fc.first_met_date
    ELSE least(fc.first_met_date, pl.first_met_date)
  END AS first_met_date,
  ip.last_date AS last_evidence_date,
  coalesce(ip.n, 0) AS evidence_in_period,
  cd.claims_qualification AS claims_rule
FROM met AS m
JOIN condition_def AS cd ON cd.condition_id = m.condition_id
CROSS JOIN params AS p
LEFT JOIN met_families AS mf ON mf.patient_id = m.patient_id AND mf.condition_id = m.condition_id
LEFT JOIN first_claims AS fc ON fc.patient_id = m.patient_id AND fc.condition_id = m.condition_id
LEFT JOIN problems AS pl ON pl.patient_id = m.patient_id AND pl.condition_id = m.condition_id
LEFT JOIN in_period AS ip ON ip.patient_id = m.patient_id AND ip.condition_id = m.condition_id
