-- care_gap: preventive-care gaps as of T (§8, GAP-001..GAP-009), one row per patient and gap
-- whose denominator holds the patient; excluded patients have no row (contract: notes/contracts.md).
-- Denominator: alive on T; age on the gap's age date inside [min_age, max_age] for the patient's
-- sex (care_gap_age); one of the gap's chronic conditions met on T (care_gap_condition: §4
-- chronic_conditions); GAP-001 also an active Medicare Part B or Part C coverage on T and the
-- first Part B coverage starting before the 12 months (not in the first 12 months of Part B).
-- Exclusions (care_gap_exclusion): hospice, the measure's own lists in their windows; composite
-- ones need every list of one alternative (bilateral mastectomy = Z90.13 / 0HTV0ZZ, or a right
-- and a left one; frailty with advanced illness from age 66).
-- Closed by (care_gap_closer windows, computed from T in careloop.analytics.care_gaps):
--   GAP-002..006: any evidence of the gap's lists inside its window (COL-E: one window per list);
--   GAP-001: G0438, or a G0439 at least 11 full months after the month of the previous AWV;
--   GAP-007: the most recent HbA1c/GMI result date in 12 months has a result <= 9.0% (the lowest
--            of that date; CPT II 3044F/3051F/3052F <= 9, 3046F > 9); none or > 9.0 = open;
--   GAP-008: the most recent reading date in 12 months (care_gap_bp) has lowest systolic < 140
--            and lowest diastolic < 90; none = open;
--   GAP-009: a moderate- or high-intensity statin (statin_product) in 12 months.
-- last_evidence_date: the closing evidence; for an open gap the most recent evidence of its
-- lists at any date (last season's vaccine, a low-intensity statin, a result > 9.0), else NULL.
-- Rests on: care_gap_evidence (source_table, source_id), care_gap_bp, chronic_conditions.
WITH p AS (
  SELECT as_of, start_12m FROM care_gap_param
),
alive AS (
  SELECT pt.patient_id, pt.birth_date, pt.gender,
         year(p.as_of) - year(pt.birth_date)
           - CASE WHEN month(p.as_of) * 100 + day(p.as_of) < month(pt.birth_date) * 100 + day(pt.birth_date)
                  THEN 1 ELSE 0 END AS age_t
  FROM patient AS pt
  CROSS JOIN p
  WHERE pt.birth_date IS NOT NULL
    AND CASE
          WHEN pt.deceased_date IS NOT NULL THEN pt.deceased_date > p.as_of
          ELSE NOT coalesce(pt.deceased, FALSE)
        END
),
ages AS (
  SELECT a.gap_id, pt.patient_id, pt.age_t
  FROM care_gap_age AS a
  JOIN alive AS pt ON a.sex IS NULL OR a.sex = pt.gender
  WHERE year(a.age_date) - year(pt.birth_date)
          - CASE WHEN month(a.age_date) * 100 + day(a.age_date) < month(pt.birth_date) * 100 + day(pt.birth_date)
                 THEN 1 ELSE 0 END
        BETWEEN a.min_age AND a.max_age
),
condition_gaps AS (
  SELECT DISTINCT gap_id FROM care_gap_condition
),
condition_met AS (
  SELECT DISTINCT c.gap_id, cc.patient_id
  FROM care_gap_condition AS c
  JOIN chronic_conditions AS cc ON cc.condition_id = c.condition_id
),
medicare AS (
  SELECT cv.patient_id
  FROM coverage AS cv
  CROSS JOIN p
  WHERE cv.kind IN ('part-b', 'part-c')
    AND (cv.start_date IS NULL OR cv.start_date <= p.as_of)
    AND (cv.end_date IS NULL OR cv.end_date >= p.as_of)
    AND coalesce(cv.status, '') NOT IN ('cancelled', 'entered-in-error', 'draft')
  GROUP BY cv.patient_id
),
part_b_new AS (
  SELECT cv.patient_id
  FROM coverage AS cv
  CROSS JOIN p
  WHERE cv.kind = 'part-b' AND coalesce(cv.status, '') NOT IN ('cancelled', 'entered-in-error', 'draft')
  GROUP BY cv.patient_id, p.start_12m
  HAVING min(coalesce(cv.start_date, DATE '1900-01-01')) >= p.start_12m
),
denominator AS (
  SELECT a.gap_id, a.patient_id, a.age_t
  FROM ages AS a
  JOIN care_gap_def AS d ON d.gap_id = a.gap_id
  LEFT JOIN condition_gaps AS cg ON cg.gap_id = a.gap_id
  LEFT JOIN condition_met AS cm ON cm.gap_id = a.gap_id AND cm.patient_id = a.patient_id
  LEFT JOIN medicare AS m ON m.patient_id = a.patient_id
  LEFT JOIN part_b_new AS nb ON nb.patient_id = a.patient_id
  WHERE (cg.gap_id IS NULL OR cm.patient_id IS NOT NULL)
    AND (NOT d.medicare_part_b OR (m.patient_id IS NOT NULL AND nb.patient_id IS NULL))
),
exclusion_hits AS (
  SELECT x.gap_id, x.exclusion_id, x.alternative, e.patient_id, count(DISTINCT x.list_id) AS lists
  FROM care_gap_exclusion AS x
  JOIN care_gap_evidence AS e ON e.list_id = x.list_id
  WHERE x.window_start IS NULL OR e.evidence_date >= x.window_start
  GROUP BY x.gap_id, x.exclusion_id, x.alternative, e.patient_id
),
exclusion_needs AS (
  SELECT gap_id, exclusion_id, alternative, count(DISTINCT list_id) AS lists, max(min_age) AS min_age
  FROM care_gap_exclusion
  GROUP BY gap_id, exclusion_id, alternative
),
excluded AS (
  SELECT DISTINCT h.gap_id, h.patient_id
  FROM exclusion_hits AS h
  JOIN exclusion_needs AS n
    ON n.gap_id = h.gap_id AND n.exclusion_id = h.exclusion_id AND n.alternative = h.alternative
  JOIN alive AS pt ON pt.patient_id = h.patient_id
  WHERE h.lists = n.lists AND (n.min_age IS NULL OR pt.age_t >= n.min_age)
),
in_scope AS (
  SELECT d.gap_id, d.patient_id
  FROM denominator AS d
  LEFT JOIN excluded AS x ON x.gap_id = d.gap_id AND x.patient_id = d.patient_id
  WHERE x.patient_id IS NULL
),
awv_days AS (
  SELECT e.patient_id, e.evidence_date, bool_or(e.code = 'G0438') AS initial, min(e.source_id) AS source_id
  FROM care_gap_evidence AS e
  WHERE e.list_id = 'awv'
  GROUP BY e.patient_id, e.evidence_date
),
awv AS (
  SELECT a.*,
         lag(a.evidence_date) OVER (PARTITION BY a.patient_id ORDER BY a.evidence_date, a.source_id) AS previous
  FROM awv_days AS a
),
statins AS (
  SELECT e.*, sp.intensity, sp.label AS statin_label
  FROM care_gap_evidence AS e
  JOIN statin_product AS sp ON sp.rxcui = e.code
  WHERE e.list_id = 'statin'
),
-- candidate evidence per gap: counts = it closes the gap (inside the window, and the gap's rule)
evidence AS (
  SELECT c.gap_id, e.patient_id, e.evidence_date, e.code, c.label, e.source_table, e.source_id,
         (c.window_start IS NULL OR e.evidence_date >= c.window_start) AS counts
  FROM care_gap_closer AS c
  JOIN care_gap_evidence AS e ON e.list_id = c.list_id
  WHERE c.gap_id IN ('GAP-002', 'GAP-003', 'GAP-004', 'GAP-005', 'GAP-006')
  UNION ALL
  SELECT 'GAP-001' AS gap_id, e.patient_id, e.evidence_date, e.code, 'annual wellness visit' AS label,
         e.source_table, e.source_id,
         e.evidence_date >= p.start_12m
           AND (a.initial OR a.previous IS NULL
                OR (year(a.evidence_date) * 12 + month(a.evidence_date))
                   - (year(a.previous) * 12 + month(a.previous)) >= 12) AS counts
  FROM care_gap_evidence AS e
  JOIN awv AS a ON a.patient_id = e.patient_id AND a.evidence_date = e.evidence_date
  CROSS JOIN p
  WHERE e.list_id = 'awv'
  UNION ALL
  SELECT 'GAP-009' AS gap_id, s.patient_id, s.evidence_date, s.code,
         concat(s.statin_label, ', RxNorm') AS label, s.source_table, s.source_id,
         s.evidence_date >= p.start_12m AND s.intensity IN ('moderate', 'high') AS counts
  FROM statins AS s
  CROSS JOIN p
),
best AS (
  -- the deciding evidence per gap and patient: closing first, then the latest, the greatest
  -- code, source table and row (an aggregate, not a window: no sort of the evidence)
  SELECT ev.gap_id, ev.patient_id,
         max(struct_pack(
           priority := CASE WHEN ev.counts THEN 2 WHEN NOT ev.counts THEN 1 ELSE 0 END,
           evidence_date := ev.evidence_date, code := ev.code, source_table := ev.source_table,
           source_id := ev.source_id, label := ev.label
         )) AS top
  FROM evidence AS ev
  GROUP BY ev.gap_id, ev.patient_id
),
hba1c_days AS (
  SELECT e.patient_id, e.evidence_date, min(e.value) AS lowest, bool_or(e.above_9 = FALSE) AS code_le9,
         bool_or(e.above_9) AS code_gt9, min(e.code) AS code, min(e.source_id) AS source_id
  FROM care_gap_evidence AS e
  CROSS JOIN p
  WHERE e.list_id = 'hba1c' AND e.evidence_date >= p.start_12m
    AND (e.value IS NOT NULL OR e.above_9 IS NOT NULL)
  GROUP BY e.patient_id, e.evidence_date
),
hba1c_last AS (
  SELECT h.*,
         h.lowest <= 9.0 OR coalesce(h.code_le9, FALSE) AS controlled,
         row_number() OVER (PARTITION BY h.patient_id ORDER BY h.evidence_date DESC, h.source_id DESC) AS rn
  FROM hba1c_days AS h
),
bp_last AS (
  SELECT b.*,
         row_number() OVER (PARTITION BY b.patient_id ORDER BY b.reading_date DESC, b.first_observation_id DESC) AS rn
  FROM care_gap_bp AS b
  CROSS JOIN p
  WHERE b.reading_date >= p.start_12m AND b.systolic IS NOT NULL AND b.diastolic IS NOT NULL
),
bp_any AS (
  SELECT patient_id, max(reading_date) AS reading_date
  FROM care_gap_bp
  GROUP BY patient_id
),
judged AS (
  SELECT
    s.gap_id,
    s.patient_id,
    CASE
      WHEN s.gap_id = 'GAP-007' THEN coalesce(h.controlled, FALSE)
      WHEN s.gap_id = 'GAP-008' THEN coalesce(bp.systolic < 140 AND bp.diastolic < 90, FALSE)
      ELSE coalesce(b.top.priority = 2, FALSE)
    END AS closed,
    CASE
      WHEN s.gap_id = 'GAP-007' THEN h.evidence_date
      WHEN s.gap_id = 'GAP-008' THEN coalesce(bp.reading_date, ba.reading_date)
      ELSE b.top.evidence_date
    END AS last_evidence_date,
    b.top.code AS code, b.top.label AS label, b.top.source_table AS source_table,
    h.evidence_date AS hba1c_date, h.lowest AS hba1c_value, h.code AS hba1c_code, h.code_gt9,
    bp.reading_date AS bp_date, bp.systolic, bp.diastolic, ba.reading_date AS bp_any_date
  FROM in_scope AS s
  LEFT JOIN best AS b ON b.gap_id = s.gap_id AND b.patient_id = s.patient_id
  LEFT JOIN hba1c_last AS h ON s.gap_id = 'GAP-007' AND h.patient_id = s.patient_id AND h.rn = 1
  LEFT JOIN bp_last AS bp ON s.gap_id = 'GAP-008' AND bp.patient_id = s.patient_id AND bp.rn = 1
  LEFT JOIN bp_any AS ba ON s.gap_id = 'GAP-008' AND ba.patient_id = s.patient_id
)
SELECT
  j.patient_id,
  j.gap_id,
  d.name,
  CASE WHEN j.closed THEN 'closed' ELSE 'open' END AS status,
  j.last_evidence_date,
  concat(
    j.gap_id,
    ': ',
    CASE
      WHEN j.gap_id = 'GAP-007' AND j.hba1c_date IS NOT NULL THEN concat(
        'most recent HbA1c/GMI on ', CAST(j.hba1c_date AS VARCHAR), ': ',
        CASE
          WHEN j.hba1c_value IS NOT NULL THEN concat(CAST(round(j.hba1c_value, 1) AS VARCHAR), '%')
          ELSE concat('CPT II ', j.hba1c_code)
        END,
        CASE WHEN j.closed THEN ' (<= 9.0%)' ELSE ' (> 9.0%)' END
      )
      WHEN j.gap_id = 'GAP-008' AND j.bp_date IS NOT NULL THEN concat(
        'most recent blood pressure on ', CAST(j.bp_date AS VARCHAR), ': ',
        CAST(CAST(round(j.systolic) AS BIGINT) AS VARCHAR), '/',
        CAST(CAST(round(j.diastolic) AS BIGINT) AS VARCHAR),
        CASE WHEN j.closed THEN ' (lowest of the day, < 140/90)' ELSE ' (lowest of the day, not < 140/90)' END
      )
      WHEN j.closed THEN concat(
        j.label, ' ', j.code, ' on ', CAST(j.last_evidence_date AS VARCHAR), ' (', j.source_table, ')'
      )
      ELSE d.open_detail
    END,
    CASE
      WHEN j.closed THEN ''
      WHEN j.gap_id = 'GAP-008' AND j.bp_date IS NULL AND j.bp_any_date IS NOT NULL
        THEN concat('; last reading on ', CAST(j.bp_any_date AS VARCHAR))
      WHEN j.gap_id IN ('GAP-007', 'GAP-008') OR j.label IS NULL THEN ''
      ELSE concat('; last: ', j.label, ' ', j.code, ' on ', CAST(j.last_evidence_date AS VARCHAR))
    END
  ) AS detail
FROM judged AS j
JOIN care_gap_def AS d ON d.gap_id = j.gap_id
