"""A hand-built clinical record written as a snapshot (one Parquet file per snapshot table), for
mart tests that need exact rows: care gaps (§8), CCW procedure codes (§4.1)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from careloop.analytics.snapshot import SNAPSHOT_TABLES

T = date(2026, 11, 30)
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CVX = "http://hl7.org/fhir/sid/cvx"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _schemas() -> dict[str, pa.Schema]:
    out: dict[str, pa.Schema] = {}
    for spec in SNAPSHOT_TABLES:
        out[spec.name] = pa.schema([(c.name, c.type) for c in spec.columns])
        for child, cols in spec.children.items():
            out[child] = pa.schema(list(cols))
    return out


SCHEMAS = _schemas()


@dataclass
class Record:
    """A hand-built clinical record, written as a snapshot (one Parquet file per table)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def add(self, table: str, **values: Any) -> int:
        unknown = set(values) - set(SCHEMAS[table].names)
        assert not unknown, f"{table}: no columns {unknown}"
        self.rows.setdefault(table, []).append(values)
        return next(self.ids)

    def patient(self, pid: int, born: date, gender: str = "female", **extra: Any) -> int:
        self.add(
            "patient",
            patient_id=pid,
            birth_date=born,
            gender=gender,
            **{"deceased": False, **extra},
        )
        return pid

    def part_b(self, pid: int, start: date = date(2010, 1, 1), kind: str = "part-b") -> None:
        self.add("coverage", coverage_id=next(self.ids), patient_id=pid, kind=kind,
                 status="active", start_date=start)  # fmt: skip

    def problem(
        self, pid: int, code: str, system: str = ICD10CM, on: date = date(2020, 1, 1)
    ) -> None:
        self.add("condition", condition_id=next(self.ids), patient_id=pid, system=system, code=code,
                 category="problem-list-item", clinical_status="active",
                 verification_status="confirmed", recorded_date=on)  # fmt: skip

    def vaccine(self, pid: int, cvx: str, on: date) -> None:
        self.add("immunization", immunization_id=next(self.ids), patient_id=pid, system=CVX,
                 code=cvx, status="completed", occurrence=on)  # fmt: skip

    def procedure(self, pid: int, code: str, on: date, system: str = CPT) -> None:
        self.add("procedure", procedure_id=next(self.ids), patient_id=pid, system=system,
                 code=code, status="completed", performed=on)  # fmt: skip

    def claim(
        self, pid: int, on: date, lines: tuple[str, ...] = (), dx: tuple[str, ...] = (),
        claim_type: str = "carrier", system: str = "", procedures: tuple[str, ...] = (),
    ) -> int:  # fmt: skip
        cid = next(self.ids)
        self.add("claim", claim_id=cid, patient_id=pid, claim_type=claim_type, status="active",
                 start_date=on, end_date=on)  # fmt: skip
        for pos, code in enumerate(lines, 1):
            self.add("claim_line", claim_id=cid, patient_id=pid, position=pos, system=system,
                     code=code, line_date=on)  # fmt: skip
        for pos, code in enumerate(dx, 1):
            self.add("claim_diagnosis", claim_id=cid, patient_id=pid, position=pos, code=code)
        for pos, code in enumerate(procedures, 1):
            self.add("claim_procedure", claim_id=cid, patient_id=pid, position=pos, code=code)
        return cid

    def lab(self, pid: int, loinc: str, value: float | None, on: date) -> None:
        self.add("observation", observation_id=next(self.ids), patient_id=pid, code=loinc,
                 category="laboratory", status="final", effective_ts=datetime(on.year, on.month, on.day, 9),
                 value=value)  # fmt: skip

    def encounter(self, pid: int, klass: str, on: date) -> int:
        eid = next(self.ids)
        self.add("encounter", encounter_id=eid, patient_id=pid, encounter_class=klass,
                 status="finished", start_ts=datetime(on.year, on.month, on.day, 8),
                 end_ts=datetime(on.year, on.month, on.day, 20))  # fmt: skip
        return eid

    def bp(
        self, pid: int, on: date, systolic: float, diastolic: float, encounter: int | None = None
    ) -> None:
        oid = next(self.ids)
        self.add("observation", observation_id=oid, patient_id=pid, encounter_id=encounter,
                 code="85354-9", category="vital-signs", status="final",
                 effective_ts=datetime(on.year, on.month, on.day, 10, oid % 60))  # fmt: skip
        self.add("observation_component", observation_id=oid, patient_id=pid, position=1,
                 code="8480-6", value=systolic, unit="mm[Hg]")  # fmt: skip
        self.add("observation_component", observation_id=oid, patient_id=pid, position=2,
                 code="8462-4", value=diastolic, unit="mm[Hg]")  # fmt: skip

    def medication(self, pid: int, rxcui: str, on: date, status: str = "active") -> None:
        self.add("medication", medication_id=next(self.ids), patient_id=pid, system=RXNORM,
                 code=rxcui, resource_type="MedicationRequest", status=status, authored_on=on)  # fmt: skip

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for name, schema in SCHEMAS.items():
            rows = self.rows.get(name, [])
            table = (
                pa.Table.from_pylist(
                    [{f: r.get(f) for f in schema.names} for r in rows], schema=schema
                )
                if rows
                else schema.empty_table()
            )
            pq.write_table(table, directory / f"{name}.parquet")
        return directory
