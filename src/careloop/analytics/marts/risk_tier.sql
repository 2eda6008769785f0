-- risk_tier: each patient's risk tier and recommended program (§5.4), thresholds CONFIG
-- (params.tier_*). The first tier whose rule holds decides; reasons list that tier's clauses
-- that hold, then the TIER-005 program choice, each starting with its rule id.
-- TIER-001 very_high: any super-utilizer flag (§5.3), or normalized HCC >= tier_very_high_hcc,
--   or LACE >= tier_very_high_lace on a discharge in the last 30 days (lace).
-- TIER-002 high: normalized HCC >= tier_high_hcc, or >= tier_high_admissions inpatient admissions
--   in 12 months (utilization), or HOSPITAL >= tier_high_hospital on a discharge in the last 30
--   days (hospital; a discharge without the labs has no HOSPITAL score and never counts).
-- TIER-003 rising: normalized HCC >= tier_rising_hcc, or >= tier_rising_conditions chronic
--   conditions (program_eligibility, §4) with an open care gap (care_gap, §8).
-- TIER-004 low: otherwise.
-- TIER-005 program: case_management for very_high; else ccm when CCM eligible or a candidate who
--   needs the initiating visit; else pcm for a PCM candidate; else none. A deceased patient: none.
-- A patient without an HCC score (no member record, hcc_member) meets no HCC clause.
-- Rests on: super_utilizer, hcc_score, lace, hospital, utilization, program_eligibility, care_gap.
WITH su AS (
  SELECT patient_id, string_agg(rule_id, ', ' ORDER BY rule_id) AS rules
  FROM super_utilizer
  GROUP BY patient_id
),
lace_max AS (
  SELECT patient_id, max(lace) AS lace, max(discharge_date) AS last_discharge
  FROM lace
  GROUP BY patient_id
),
hospital_max AS (
  SELECT patient_id, max(hospital) AS hospital
  FROM hospital
  WHERE hospital IS NOT NULL
  GROUP BY patient_id
),
gaps AS (
  SELECT patient_id, count(*) AS open_gaps, string_agg(gap_id, ', ' ORDER BY gap_id) AS gap_ids
  FROM care_gap
  WHERE status = 'open'
  GROUP BY patient_id
),
facts AS (
  SELECT
    pt.patient_id,
    su.rules AS su_rules,
    h.normalized_score AS hcc,
    CAST(CAST(h.normalized_score AS DECIMAL(10, 3)) AS VARCHAR) AS hcc_text,
    l.lace,
    hs.hospital,
    coalesce(u.inpatient_admissions, 0) AS admissions,
    coalesce(e.chronic_conditions, 0) AS chronic_conditions,
    coalesce(g.open_gaps, 0) AS open_gaps,
    g.gap_ids,
    coalesce(e.alive, TRUE) AS alive,
    e.ccm_status,
    coalesce(e.pcm_candidate, FALSE) AS pcm_candidate,
    p.*
  FROM patient AS pt
  CROSS JOIN params AS p
  LEFT JOIN su ON su.patient_id = pt.patient_id
  LEFT JOIN hcc_score AS h ON h.patient_id = pt.patient_id
  LEFT JOIN lace_max AS l ON l.patient_id = pt.patient_id
  LEFT JOIN hospital_max AS hs ON hs.patient_id = pt.patient_id
  LEFT JOIN utilization AS u ON u.patient_id = pt.patient_id
  LEFT JOIN program_eligibility AS e ON e.patient_id = pt.patient_id
  LEFT JOIN gaps AS g ON g.patient_id = pt.patient_id
),
clauses AS (
  SELECT
    f.*,
    CASE WHEN f.su_rules IS NOT NULL THEN concat('TIER-001: super-utilizer (', f.su_rules, ')') END
      AS c1_su,
    CASE
      WHEN f.hcc >= f.tier_very_high_hcc
        THEN concat('TIER-001: normalized HCC ', f.hcc_text, ' >= ',
          CAST(CAST(f.tier_very_high_hcc AS DECIMAL(10, 3)) AS VARCHAR))
    END AS c1_hcc,
    CASE
      WHEN f.lace >= f.tier_very_high_lace
        THEN concat('TIER-001: LACE ', CAST(f.lace AS VARCHAR), ' on a discharge in the last 30 days (>= ',
          CAST(f.tier_very_high_lace AS VARCHAR), ')')
    END AS c1_lace,
    CASE
      WHEN f.hcc >= f.tier_high_hcc
        THEN concat('TIER-002: normalized HCC ', f.hcc_text, ' >= ',
          CAST(CAST(f.tier_high_hcc AS DECIMAL(10, 3)) AS VARCHAR))
    END AS c2_hcc,
    CASE
      WHEN f.admissions >= f.tier_high_admissions
        THEN concat('TIER-002: ', CAST(f.admissions AS VARCHAR), ' inpatient admission(s) in 12 months (>= ',
          CAST(f.tier_high_admissions AS VARCHAR), ')')
    END AS c2_adm,
    CASE
      WHEN f.hospital >= f.tier_high_hospital
        THEN concat('TIER-002: HOSPITAL ', CAST(f.hospital AS VARCHAR), ' on a discharge in the last 30 days (>= ',
          CAST(f.tier_high_hospital AS VARCHAR), ')')
    END AS c2_hospital,
    CASE
      WHEN f.hcc >= f.tier_rising_hcc
        THEN concat('TIER-003: normalized HCC ', f.hcc_text, ' >= ',
          CAST(CAST(f.tier_rising_hcc AS DECIMAL(10, 3)) AS VARCHAR))
    END AS c3_hcc,
    CASE
      WHEN f.chronic_conditions >= f.tier_rising_conditions AND f.open_gaps > 0
        THEN concat('TIER-003: ', CAST(f.chronic_conditions AS VARCHAR), ' chronic conditions with ',
          CAST(f.open_gaps AS VARCHAR), ' open care gap(s) (', f.gap_ids, ')')
    END AS c3_gaps
  FROM facts AS f
),
tiered AS (
  SELECT
    c.*,
    CASE
      WHEN c.c1_su IS NOT NULL OR c.c1_hcc IS NOT NULL OR c.c1_lace IS NOT NULL THEN 'very_high'
      WHEN c.c2_hcc IS NOT NULL OR c.c2_adm IS NOT NULL OR c.c2_hospital IS NOT NULL THEN 'high'
      WHEN c.c3_hcc IS NOT NULL OR c.c3_gaps IS NOT NULL THEN 'rising'
      ELSE 'low'
    END AS tier
  FROM clauses AS c
),
programs AS (
  SELECT
    t.*,
    CASE
      WHEN NOT t.alive THEN 'none'
      WHEN t.tier = 'very_high' THEN 'case_management'
      WHEN t.ccm_status IN ('eligible', 'needs_initiating_visit') THEN 'ccm'
      WHEN t.pcm_candidate THEN 'pcm'
      ELSE 'none'
    END AS recommended_program
  FROM tiered AS t
)
SELECT
  patient_id,
  tier,
  recommended_program,
  string_split(
    concat_ws(
      '|',
      CASE WHEN tier = 'very_high' THEN c1_su END,
      CASE WHEN tier = 'very_high' THEN c1_hcc END,
      CASE WHEN tier = 'very_high' THEN c1_lace END,
      CASE WHEN tier = 'high' THEN c2_hcc END,
      CASE WHEN tier = 'high' THEN c2_adm END,
      CASE WHEN tier = 'high' THEN c2_hospital END,
      CASE WHEN tier = 'rising' THEN c3_hcc END,
      CASE WHEN tier = 'rising' THEN c3_gaps END,
      CASE WHEN tier = 'low' THEN 'TIER-004: no rule of TIER-001, TIER-002 or TIER-003 holds' END,
      CASE
        WHEN NOT alive THEN 'TIER-005: no program (deceased)'
        WHEN recommended_program = 'case_management' THEN 'TIER-005: case management (very high tier)'
        WHEN recommended_program = 'ccm' AND ccm_status = 'eligible' THEN 'TIER-005: CCM (CCM eligible, ELIG-001)'
        WHEN recommended_program = 'ccm'
          THEN 'TIER-005: CCM (CCM candidate who needs the initiating visit, ELIG-001)'
        WHEN recommended_program = 'pcm' THEN 'TIER-005: PCM (PCM candidate, ELIG-002)'
        ELSE 'TIER-005: no program (not CCM eligible, not a PCM candidate)'
      END
    ),
    '|'
  ) AS reasons
FROM programs
