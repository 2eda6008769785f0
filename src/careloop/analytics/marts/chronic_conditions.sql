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
-- Screening codes (HIV's R75, "requires a second qualifying claim that is not R75"): a claims
-- rule holds only when one of its claims in the period is not screening-only (evidence
-- `screening`), and is first met on the later of its completion and that claim's date; a
-- screening-only problem-list item meets nothing.
-- Rests on: chronic_condition_evidence rows of the patient and condition (evidence_in_period
-- counts those dated inside the reference period).
WITH rule_key AS (
  -- one small integer per (condition, claims rule alternative, evidence family): the hits are
  -- grouped and sequenced on integers, not on the condition's and family's names
  SELECT
    r.condition_id,
    r.alternative,
    r.min_claims,
    r.claim_type,
    f.family,
    (cd.ccw_id * 100 + r.alternative) * 2 + f.is_ehr AS rule_id,
    cd.reference_years,
    cd.reference_start
  FROM condition_rule AS r
  JOIN condition_def AS cd ON cd.condition_id = r.condition_id
  CROSS JOIN (SELECT 'claims' AS family, 0 AS is_ehr UNION ALL SELECT 'ehr', 1) AS f
),
rule AS (
  SELECT DISTINCT
    rule_id, condition_id, alternative, min_claims, family, reference_years, reference_start
  FROM rule_key
),
hits AS (
  -- one row per patient, rule and evidence date (claims on distinct dates count)
  SELECT
    e.patient_id, k.rule_id, e.evidence_date, min(e.source_id) AS evidence_id,
    min(CASE WHEN e.screening THEN 1 ELSE 0 END) AS screening
  FROM chronic_condition_evidence AS e
  JOIN rule_key AS k
    ON k.condition_id = e.condition_id
    AND k.family = e.family
    AND (k.claim_type = e.claim_type OR (k.claim_type = 'ED' AND e.is_ed))
  WHERE e.family IN ('claims', 'ehr') AND e.evidence_date IS NOT NULL
  GROUP BY e.patient_id, k.rule_id, e.evidence_date
),
met_rule_ids AS (
  SELECT h.patient_id, h.rule_id
  FROM hits AS h
  JOIN rule AS r ON r.rule_id = h.rule_id
  CROSS JOIN params AS p
  WHERE h.evidence_date BETWEEN r.reference_start AND p.as_of
  GROUP BY h.patient_id, h.rule_id
  HAVING count(*) >= min(r.min_claims) AND min(h.screening) = 0
),
met_rules AS (
  SELECT m.patient_id, r.condition_id, r.family
  FROM met_rule_ids AS m
  JOIN rule AS r ON r.rule_id = m.rule_id
),
sequenced AS (
  -- rules of 2 or 3 claims: the date each claim completes the rule, with the dates before it
  SELECT
    h.patient_id,
    h.rule_id,
    h.evidence_date,
    lag(h.evidence_date, 1) OVER (
      PARTITION BY h.patient_id, h.rule_id ORDER BY h.evidence_date, h.evidence_id
    ) AS prev1,
    lag(h.evidence_date, 2) OVER (
      PARTITION BY h.patient_id, h.rule_id ORDER BY h.evidence_date, h.evidence_id
    ) AS prev2
  FROM hits AS h
  JOIN rule AS r ON r.rule_id = h.rule_id
  WHERE r.min_claims > 1
),
completed AS (
  SELECT
    s.patient_id,
    s.rule_id,
    r.condition_id,
    s.evidence_date,
    CASE r.min_claims WHEN 2 THEN s.prev1 WHEN 3 THEN s.prev2 END AS earliest_needed,
    CASE r.reference_years
      WHEN 1 THEN CAST(s.evidence_date - INTERVAL 1 YEAR AS DATE)
      WHEN 2 THEN CAST(s.evidence_date - INTERVAL 2 YEAR AS DATE)
      ELSE CAST(s.evidence_date - INTERVAL 3 YEAR AS DATE)
    END AS period_before
  FROM sequenced AS s
  JOIN rule AS r ON r.rule_id = s.rule_id
),
screened_rule AS (
  -- the rules of conditions with screening codes
  SELECT DISTINCT k.rule_id
  FROM rule_key AS k
  JOIN cc_code_map AS m ON m.condition_id = k.condition_id
  WHERE m.screening
),
confirmed AS (
  -- their first claim that is not screening-only
  SELECT h.patient_id, h.rule_id, min(h.evidence_date) AS first_confirmed
  FROM hits AS h
  JOIN screened_rule AS s ON s.rule_id = h.rule_id
  WHERE h.screening = 0
  GROUP BY h.patient_id, h.rule_id
),
first_claims AS (
  SELECT
    done.patient_id,
    done.condition_id,
    min(CASE WHEN s.rule_id IS NULL THEN done.evidence_date ELSE greatest(done.evidence_date, f.first_confirmed) END)
      AS first_met_date
  FROM (
    SELECT c.patient_id, c.condition_id, c.rule_id, c.evidence_date
    FROM completed AS c
    WHERE c.earliest_needed > c.period_before
    UNION ALL
    -- rules of one claim: completed by their first claim
    SELECT h.patient_id, r.condition_id, h.rule_id, h.evidence_date
    FROM hits AS h
    JOIN rule AS r ON r.rule_id = h.rule_id
    WHERE r.min_claims = 1
  ) AS done
  LEFT JOIN screened_rule AS s ON s.rule_id = done.rule_id
  LEFT JOIN confirmed AS f ON f.patient_id = done.patient_id AND f.rule_id = done.rule_id
  WHERE s.rule_id IS NULL OR f.first_confirmed IS NOT NULL
  GROUP BY done.patient_id, done.condition_id
),
problems AS (
  SELECT e.patient_id, e.condition_id, min(e.evidence_date) AS first_met_date
  FROM chronic_condition_evidence AS e
  WHERE e.family = 'problem_list' AND NOT e.screening
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
