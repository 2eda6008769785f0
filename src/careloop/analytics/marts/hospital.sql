-- hospital: the HOSPITAL score (§5.6, Donzé et al. 2013) of every acute discharge in the last 30
-- days (the discharges of lace_input, as_of - 29 .. as_of). Without a hemoglobin or a sodium value
-- in the stay the score is not computable: hospital and risk are NULL, never 0.
-- H: last hemoglobin of the stay (LOINC 718-7; g/dL, a g/L value divided by 10) < 12 -> 1.
-- O: oncology discharge -> 2; the record has no discharging service, so CONFIG's alternative is
--    used: active cancer (ICD-10-CM C00-C96) as the stay's principal diagnosis (first diagnosis of
--    its first source: the inpatient claim's position 1 or the encounter's first reason code).
-- S: last sodium of the stay (LOINC 2951-2, 2947-0) < 135 mmol/L -> 1.
-- P: any procedure during the stay (a Procedure resource performed, or an ICD-10-PCS code on a
--    claim that starts, within admission .. discharge) -> 1.
-- IT: urgent or emergent admission -> 1 (the record has no admission type: admitted through the
--    ED, lace_input.emergent).
-- A: acute admissions in the 12 months before this admission: 0-1 -> 0, 2-5 -> 2, > 5 -> 5.
-- L: length of stay (discharge - admission, days) >= 5 -> 2.
-- Total 0-13; risk 0-4 low, 5-6 intermediate, >= 7 high. The same formula in Python:
-- careloop.analytics.hospital.score_hospital (the tests run both).
-- Rests on: lace_input, acute_stay, observation, procedure, claim, claim_procedure,
-- claim_diagnosis, encounter_code.
WITH labs AS (
  SELECT
    s.patient_id,
    s.stay_seq,
    CASE WHEN o.code = '718-7' THEN 'hemoglobin' ELSE 'sodium' END AS lab,
    CASE WHEN o.code = '718-7' AND lower(coalesce(o.unit, '')) = 'g/l' THEN o.value / 10 ELSE o.value END
      AS value,
    row_number() OVER (
      PARTITION BY s.patient_id, s.stay_seq, CASE WHEN o.code = '718-7' THEN 'hemoglobin' ELSE 'sodium' END
      ORDER BY o.effective_ts DESC, o.observation_id DESC
    ) AS rn
  FROM lace_input AS s
  JOIN observation AS o ON o.patient_id = s.patient_id
  WHERE o.code IN ('718-7', '2951-2', '2947-0')
    AND o.value IS NOT NULL
    AND coalesce(o.status, '') NOT IN ('cancelled', 'entered-in-error')
    AND CAST(o.effective_ts AS DATE) BETWEEN s.admit_date AND s.discharge_date
),
principal AS (
  SELECT s.patient_id, s.stay_seq, d.code
  FROM lace_input AS s
  JOIN claim_diagnosis AS d ON s.first_source_table = 'claim' AND d.claim_id = s.first_source_id
  WHERE d.position = (SELECT min(x.position) FROM claim_diagnosis AS x WHERE x.claim_id = d.claim_id)
  UNION ALL
  SELECT s.patient_id, s.stay_seq, c.code
  FROM lace_input AS s
  JOIN encounter_code AS c ON s.first_source_table = 'encounter' AND c.encounter_id = s.first_source_id
  WHERE c.kind = 'reason'
    AND c.system = 'http://hl7.org/fhir/sid/icd-10-cm'
    AND c.position = (
      SELECT min(y.position) FROM encounter_code AS y
      WHERE y.encounter_id = c.encounter_id AND y.kind = 'reason'
        AND y.system = 'http://hl7.org/fhir/sid/icd-10-cm'
    )
),
oncology AS (
  SELECT DISTINCT patient_id, stay_seq
  FROM principal
  WHERE upper(substr(code, 1, 1)) = 'C'
),
procedures AS (
  SELECT DISTINCT s.patient_id, s.stay_seq
  FROM lace_input AS s
  JOIN procedure AS pr ON pr.patient_id = s.patient_id
  WHERE pr.performed BETWEEN s.admit_date AND s.discharge_date
    AND coalesce(pr.status, '') NOT IN ('entered-in-error', 'not-done')
  UNION
  SELECT DISTINCT s.patient_id, s.stay_seq
  FROM lace_input AS s
  JOIN claim AS c ON c.patient_id = s.patient_id
  JOIN claim_procedure AS cp ON cp.claim_id = c.claim_id
  WHERE c.start_date BETWEEN s.admit_date AND s.discharge_date
    AND coalesce(c.status, '') NOT IN ('cancelled', 'entered-in-error')
),
prior AS (
  SELECT s.patient_id, s.stay_seq, count(*) AS admissions
  FROM lace_input AS s
  JOIN acute_stay AS a ON a.patient_id = s.patient_id
  WHERE a.stay_seq < s.stay_seq
    AND a.admit_date >= CAST(s.admit_date - INTERVAL 12 MONTH AS DATE)
    AND a.admit_date < s.admit_date
  GROUP BY s.patient_id, s.stay_seq
),
parts AS (
  SELECT
    s.patient_id,
    s.stay_seq,
    s.admit_date,
    s.discharge_date,
    hb.value AS hemoglobin,
    na.value AS sodium,
    onc.patient_id IS NOT NULL AS oncology_discharge,
    pr.patient_id IS NOT NULL AS procedure_during_stay,
    s.emergent AS urgent_admission,
    coalesce(a.admissions, 0) AS admissions_prev_12m,
    date_diff('day', s.admit_date, s.discharge_date) AS los_days
  FROM lace_input AS s
  LEFT JOIN labs AS hb
    ON hb.patient_id = s.patient_id AND hb.stay_seq = s.stay_seq AND hb.lab = 'hemoglobin' AND hb.rn = 1
  LEFT JOIN labs AS na
    ON na.patient_id = s.patient_id AND na.stay_seq = s.stay_seq AND na.lab = 'sodium' AND na.rn = 1
  LEFT JOIN oncology AS onc ON onc.patient_id = s.patient_id AND onc.stay_seq = s.stay_seq
  LEFT JOIN procedures AS pr ON pr.patient_id = s.patient_id AND pr.stay_seq = s.stay_seq
  LEFT JOIN prior AS a ON a.patient_id = s.patient_id AND a.stay_seq = s.stay_seq
),
points AS (
  SELECT
    parts.*,
    hemoglobin IS NOT NULL AND sodium IS NOT NULL AS computable,
    CASE WHEN hemoglobin < 12 THEN 1 ELSE 0 END AS h_points,
    CASE WHEN oncology_discharge THEN 2 ELSE 0 END AS o_points,
    CASE WHEN sodium < 135 THEN 1 ELSE 0 END AS s_points,
    CASE WHEN procedure_during_stay THEN 1 ELSE 0 END AS p_points,
    CASE WHEN urgent_admission THEN 1 ELSE 0 END AS it_points,
    CASE WHEN admissions_prev_12m <= 1 THEN 0 WHEN admissions_prev_12m <= 5 THEN 2 ELSE 5 END
      AS a_points,
    CASE WHEN los_days >= 5 THEN 2 ELSE 0 END AS l_points
  FROM parts
)
SELECT
  points.*,
  CASE
    WHEN computable THEN CAST(h_points + o_points + s_points + p_points + it_points + a_points + l_points AS BIGINT)
  END AS hospital,
  CASE
    WHEN NOT computable THEN NULL
    WHEN h_points + o_points + s_points + p_points + it_points + a_points + l_points <= 4 THEN 'low'
    WHEN h_points + o_points + s_points + p_points + it_points + a_points + l_points <= 6 THEN 'intermediate'
    ELSE 'high'
  END AS risk
FROM points
