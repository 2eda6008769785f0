-- program_eligibility: one row per patient, as of params.as_of (§3).
-- alive: no death date on or before T (a deceased flag without a date counts as dead).
-- accepted_payer (CCM-002, CONFIG accepted_payer): an active coverage (start <= T, end absent or
-- >= T, status not cancelled / entered-in-error) of an accepted kind and payer. The default row
-- (part-b, any payer) means Medicare fee-for-service Part B: it does not match while a Medicare
-- Advantage (part-c) coverage is active, unless that plan is itself an accepted payer.
-- qmb: an active coverage flagged QMB. chronic_conditions: distinct counting groups
-- (counts_as) of the chronic CCW conditions met on T (CCM-001; acute-event categories left out).
-- ELIG-001 ccm_status: eligible (>= 2 conditions, accepted payer, alive, a qualifying visit in
-- the 12 months start_12m .. T), needs_initiating_visit (all but the visit), not_eligible.
-- ELIG-002 pcm_candidate: accepted payer, alive, and exactly one high-risk condition
-- (pcm_high_risk; entries with codes need an evidence code in them), or a chronic condition that
-- was the principal diagnosis of an inpatient stay or ED visit in the 12 months.
-- ELIG-003 apcm_level: accepted payer: G0558 (>= 2 conditions and QMB), G0557 (>= 2), G0556.
-- ELIG-004 tcm_candidate: a row in tcm_candidate (the discharge and its contact deadline).
-- Rests on: chronic_conditions and chronic_condition_evidence, coverage, qualifying_visit
-- (last_visit_source_*), tcm_candidate, the patient row.
WITH active_coverage AS (
  SELECT cv.*
  FROM coverage AS cv
  CROSS JOIN params AS p
  WHERE (cv.start_date IS NULL OR cv.start_date <= p.as_of)
    AND (cv.end_date IS NULL OR cv.end_date >= p.as_of)
    AND coalesce(cv.status, '') NOT IN ('cancelled', 'entered-in-error', 'draft')
),
payer_match AS (
  SELECT cv.patient_id, cv.kind, cv.payer, cv.coverage_id, ap.payer IS NULL AS any_payer
  FROM active_coverage AS cv
  JOIN accepted_payer AS ap ON ap.kind = cv.kind AND (ap.payer IS NULL OR ap.payer = cv.payer)
),
advantage AS (
  SELECT DISTINCT cv.patient_id
  FROM active_coverage AS cv
  LEFT JOIN payer_match AS m ON m.coverage_id = cv.coverage_id
  WHERE cv.kind = 'part-c' AND m.coverage_id IS NULL
),
payer AS (
  SELECT m.patient_id, min(m.kind) AS payer_kind, min(m.coverage_id) AS coverage_id
  FROM payer_match AS m
  LEFT JOIN advantage AS a ON a.patient_id = m.patient_id
  WHERE NOT (m.kind = 'part-b' AND m.any_payer AND a.patient_id IS NOT NULL)
  GROUP BY m.patient_id
),
qmb AS (
  SELECT DISTINCT patient_id FROM active_coverage WHERE qmb
),
chronic AS (
  SELECT patient_id, count(DISTINCT counts_as) AS n
  FROM chronic_conditions
  WHERE chronic
  GROUP BY patient_id
),
high_risk_code AS (
  -- the code entries of pcm_high_risk matched once per distinct code (every evidence code is
  -- one of cc_code_map's), so the evidence rows join on equality
  SELECT DISTINCT m.condition_id, m.code
  FROM cc_code_map AS m
  JOIN pcm_high_risk AS r
    ON r.condition_id = m.condition_id AND r.low IS NOT NULL
    AND length(m.code) >= r.prefix_len
    AND substr(m.code, 1, r.prefix_len) BETWEEN r.low AND r.high
  WHERE m.role = 'include'
),
high_risk_rows AS (
  SELECT DISTINCT cc.patient_id, cc.condition_id, cc.counts_as
  FROM chronic_conditions AS cc
  JOIN pcm_high_risk AS r ON r.condition_id = cc.condition_id AND r.low IS NULL
  UNION
  SELECT DISTINCT cc.patient_id, cc.condition_id, cc.counts_as
  FROM chronic_conditions AS cc
  JOIN chronic_condition_evidence AS e
    ON e.patient_id = cc.patient_id AND e.condition_id = cc.condition_id
  JOIN high_risk_code AS h ON h.condition_id = e.condition_id AND h.code = e.code
  WHERE e.family = 'problem_list' OR e.evidence_date >= cc.reference_start
),
high_risk AS (
  SELECT patient_id, count(DISTINCT counts_as) AS n, min(condition_id) AS condition_id
  FROM high_risk_rows
  GROUP BY patient_id
),
acute_for_condition AS (
  SELECT DISTINCT cc.patient_id
  FROM chronic_conditions AS cc
  JOIN chronic_condition_evidence AS e
    ON e.patient_id = cc.patient_id AND e.condition_id = cc.condition_id
  JOIN claim AS c ON e.source_table = 'claim' AND c.claim_id = e.source_id
  JOIN claim_diagnosis AS d ON d.claim_id = c.claim_id AND d.position = 1 AND d.code = e.code
  CROSS JOIN params AS p
  WHERE cc.chronic
    AND e.evidence_date BETWEEN p.start_12m AND p.as_of
    AND (c.claim_type = 'inpatient' OR c.place_of_service = '23')
),
last_visit AS (
  -- the latest visit in the 12 months (then the greatest code, source table and row): max()
  -- over a struct in that order, an aggregate instead of a window over every visit
  SELECT
    v.patient_id,
    max(struct_pack(
      visit_date := v.visit_date, code := v.code, source_table := v.source_table,
      source_id := v.source_id
    )) AS top
  FROM qualifying_visit AS v
  CROSS JOIN params AS p
  WHERE v.visit_date BETWEEN p.start_12m AND p.as_of
  GROUP BY v.patient_id
),
tcm AS (
  SELECT patient_id, count(*) AS discharges, max(discharge_date) AS last_discharge,
         min(contact_deadline) AS next_deadline
  FROM tcm_candidate
  GROUP BY patient_id
),
base AS (
  SELECT
    pt.patient_id,
    p.as_of,
    CASE
      WHEN pt.deceased_date IS NOT NULL THEN pt.deceased_date > p.as_of
      ELSE NOT coalesce(pt.deceased, FALSE)
    END AS alive,
    py.patient_id IS NOT NULL AS accepted_payer,
    py.payer_kind,
    q.patient_id IS NOT NULL AS qmb,
    coalesce(ch.n, 0) AS chronic_conditions,
    coalesce(hr.n, 0) AS high_risk_conditions,
    hr.condition_id AS high_risk_condition,
    af.patient_id IS NOT NULL AS acute_use_for_chronic_condition,
    lv.top.visit_date AS last_qualifying_visit,
    lv.top.code AS last_visit_code,
    lv.top.source_table AS last_visit_source_table,
    lv.top.source_id AS last_visit_source_id,
    coalesce(t.discharges, 0) AS tcm_discharges,
    t.last_discharge AS tcm_last_discharge,
    t.next_deadline AS tcm_contact_deadline
  FROM patient AS pt
  CROSS JOIN params AS p
  LEFT JOIN payer AS py ON py.patient_id = pt.patient_id
  LEFT JOIN qmb AS q ON q.patient_id = pt.patient_id
  LEFT JOIN chronic AS ch ON ch.patient_id = pt.patient_id
  LEFT JOIN high_risk AS hr ON hr.patient_id = pt.patient_id
  LEFT JOIN acute_for_condition AS af ON af.patient_id = pt.patient_id
  LEFT JOIN last_visit AS lv ON lv.patient_id = pt.patient_id
  LEFT JOIN tcm AS t ON t.patient_id = pt.patient_id
)
SELECT
  b.*,
  CASE
    WHEN b.alive AND b.accepted_payer AND b.chronic_conditions >= 2
      AND b.last_qualifying_visit IS NOT NULL THEN 'eligible'
    WHEN b.alive AND b.accepted_payer AND b.chronic_conditions >= 2 THEN 'needs_initiating_visit'
    ELSE 'not_eligible'
  END AS ccm_status,
  concat_ws(
    '; ',
    CASE WHEN NOT b.alive THEN 'ELIG-001: deceased' END,
    CASE WHEN NOT b.accepted_payer THEN 'CCM-002: no accepted payer (Part B) on the as-of date' END,
    CASE
      WHEN b.chronic_conditions < 2
        THEN concat('CCM-001: ', CAST(b.chronic_conditions AS VARCHAR), ' chronic condition(s), 2 needed')
      ELSE concat('CCM-001: ', CAST(b.chronic_conditions AS VARCHAR), ' chronic conditions')
    END,
    CASE
      WHEN b.last_qualifying_visit IS NULL THEN 'CCM-020: no qualifying visit with a billing practitioner in 12 months'
      ELSE concat('CCM-020: visit ', b.last_visit_code, ' on ', CAST(b.last_qualifying_visit AS VARCHAR))
    END
  ) AS ccm_reasons,
  b.alive AND b.accepted_payer
    AND (b.high_risk_conditions = 1 OR b.acute_use_for_chronic_condition) AS pcm_candidate,
  CASE
    WHEN NOT b.alive OR NOT b.accepted_payer THEN NULL
    WHEN b.chronic_conditions >= 2 AND b.qmb THEN 'G0558'
    WHEN b.chronic_conditions >= 2 THEN 'G0557'
    ELSE 'G0556'
  END AS apcm_level,
  b.tcm_discharges > 0 AS tcm_candidate
FROM base AS b
