-- care_gap_icd10_map: every ICD-10-CM code string of the snapshot that a care-gap ICD-10 list
-- (care_gap_icd10, from rules/care_gaps.toml) names, with the list. The prefix-range match runs
-- once per distinct code here (a few thousand codes), so care_gap_evidence joins its diagnosis
-- rows on equality (the range join on every diagnosis row took half the pipeline's time).
-- The codes are icd10_code's (the strings care_gap_evidence matches).
-- Entry semantics: len(code) >= prefix_len and low <= substr(code, 1, prefix_len) <= high.
SELECT DISTINCT c.code, x.list_id
FROM icd10_code AS c
JOIN care_gap_icd10 AS x
  ON length(c.code) >= x.prefix_len AND substr(c.code, 1, x.prefix_len) BETWEEN x.low AND x.high
