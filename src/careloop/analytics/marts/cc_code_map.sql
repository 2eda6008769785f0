-- cc_code_map: every ICD-10-CM code of the snapshot (icd10_code) and every SNOMED CT code of the
-- value set mapped to its CCW conditions, through the project's one value-set definition
-- (careloop.analytics.chronic_conditions, exported at run time to valueset_icd10 /
-- valueset_snomed). All 75 CCW categories, acute ones included.
-- ICD-10-CM entry semantics (docs/chronic-conditions.md): a normalized code c matches an entry
-- when len(c) >= prefix_len and low <= substr(c, 1, prefix_len) <= high, and, for an entry with
-- a 7th-character filter, len(c) = 7 and its 7th character is one of them. A code belongs to a
-- condition when an include entry matches and no exclude entry of that condition does; role
-- 'disqualify' marks the CC-005 claim-level exclusions. `screening`: an include code that counts
-- towards the claims rule only beside a claim with another code of the condition (HIV's R75,
-- CCW additional logic; screening_icd10cm).
-- Procedure codes (§4.1, valueset_procedure, exact codes): code_system 'icd10pcs' (counted like
-- the condition's diagnosis codes on a claim) and 'procedure' (ICD-10-PCS, CPT or HCPCS: one
-- non-drug claim with the code meets the condition, claim type PROCEDURE).
WITH matches AS (
  SELECT DISTINCT c.code, v.condition_id, v.role
  FROM icd10_code AS c
  JOIN valueset_icd10 AS v
    ON length(c.code) >= v.prefix_len
    AND substr(c.code, 1, v.prefix_len) BETWEEN v.low AND v.high
    AND (v.seventh IS NULL OR (length(c.code) = 7 AND strpos(v.seventh, substr(c.code, 7, 1)) > 0))
)
SELECT
  'icd10cm' AS code_system, m.code, m.condition_id, 'include' AS role,
  s.code IS NOT NULL AS screening
FROM matches AS m
LEFT JOIN matches AS x
  ON x.code = m.code AND x.condition_id = m.condition_id AND x.role = 'exclude'
LEFT JOIN matches AS s
  ON s.code = m.code AND s.condition_id = m.condition_id AND s.role = 'screening'
WHERE m.role = 'include' AND x.code IS NULL
UNION ALL
SELECT 'icd10cm' AS code_system, m.code, m.condition_id, 'disqualify' AS role, FALSE AS screening
FROM matches AS m
WHERE m.role = 'disqualify'
UNION ALL
SELECT 'snomed' AS code_system, s.code, s.condition_id, 'include' AS role, FALSE AS screening
FROM valueset_snomed AS s
UNION ALL
SELECT
  CASE v.counts_as WHEN 'diagnosis' THEN 'icd10pcs' ELSE 'procedure' END AS code_system,
  v.code, v.condition_id, 'include' AS role, FALSE AS screening
FROM valueset_procedure AS v
