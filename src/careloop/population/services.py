"""Store the results of an analytics run (the marts' Parquet and manifest.json) in the database.

`store_results(run_dir)` reads ``manifest.json`` and the patient-level marts
(``program_eligibility``, ``chronic_conditions``, ``utilization``, ``lace``, ``tcm_candidate``)
and writes one `AnalyticsRun` with one `PatientFinding` per patient, in one transaction. The
snapshot keeps the clinical primary keys, so ``patient_id`` is `clinical.Patient.pk`; a patient
deleted since the snapshot is left out. Storing a run id again replaces that run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from django.db import transaction

from careloop.clinical.models import Patient

from .models import AnalyticsRun, CcmStatus, PatientFinding

__all__ = ["store_results"]

BATCH = 1000


def _rows(run_dir: Path, mart: str) -> list[dict[str, Any]]:
    path = run_dir / f"{mart}.parquet"
    if not path.exists():
        return []
    return pq.read_table(path).to_pylist()


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _clean(row: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: _jsonable(row.get(k)) for k in keys}


CONDITION_KEYS = (
    "condition_id",
    "name",
    "counts_as",
    "met_by_claims",
    "met_by_ehr_encounters",
    "met_by_problem_list",
    "first_met_date",
    "last_evidence_date",
    "evidence_in_period",
)
LACE_KEYS = (
    "admit_date",
    "discharge_date",
    "lace",
    "l_points",
    "a_points",
    "c_points",
    "e_points",
    "high_risk",
)
TCM_KEYS = ("kind", "admit_date", "discharge_date", "discharge_disposition", "contact_deadline")


@transaction.atomic
def store_results(run_dir: Path, *, organization: Any = None) -> AnalyticsRun:
    run_dir = Path(run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    started = datetime.fromisoformat(manifest["started_at"])
    AnalyticsRun.objects.filter(run_id=manifest["run_id"]).delete()
    run = AnalyticsRun.objects.create(
        run_id=manifest["run_id"],
        as_of=date.fromisoformat(manifest["as_of"]),
        engine=manifest["engine"],
        input_hash=manifest["input_hash"],
        rule_versions={
            "value_set_version": manifest.get("value_set_version"),
            "rules_version": manifest.get("rules_version"),
            "charlson_version": manifest.get("charlson_version"),
        },
        finished_at=started + timedelta(seconds=float(manifest.get("seconds") or 0)),
        organization=organization,
    )

    conditions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in _rows(run_dir, "chronic_conditions"):
        if row.get("chronic", True):
            conditions[row["patient_id"]].append(_clean(row, CONDITION_KEYS))
    utilization = {row["patient_id"]: row for row in _rows(run_dir, "utilization")}
    lace: dict[int, dict[str, Any]] = {}
    for row in _rows(run_dir, "lace"):
        seen = lace.get(row["patient_id"])
        if seen is None or (row["discharge_date"], row["stay_seq"]) > (
            seen["discharge_date"],
            seen["stay_seq"],
        ):
            lace[row["patient_id"]] = row
    tcm: dict[int, dict[str, Any]] = {}
    for row in _rows(run_dir, "tcm_candidate"):
        seen = tcm.get(row["patient_id"])
        if seen is None or row["discharge_date"] > seen["discharge_date"]:
            tcm[row["patient_id"]] = row

    eligibility = _rows(run_dir, "program_eligibility")
    orgs = dict(
        Patient.objects.filter(pk__in=[r["patient_id"] for r in eligibility]).values_list(
            "pk", "organization_id"
        )
    )
    findings = []
    for row in eligibility:
        pid = row["patient_id"]
        if pid not in orgs:
            continue
        use = utilization.get(pid, {})
        stay = lace.get(pid)
        conds = sorted(conditions.get(pid, []), key=lambda c: c["name"])
        reasons = {
            "ccm": [r.strip() for r in (row.get("ccm_reasons") or "").split(";") if r.strip()],
            "conditions": conds,
            "payer_kind": row.get("payer_kind"),
            "alive": row.get("alive"),
            "last_qualifying_visit": _jsonable(row.get("last_qualifying_visit")),
            "last_visit_code": row.get("last_visit_code"),
            "high_risk_condition": row.get("high_risk_condition"),
            "acute_use_for_chronic_condition": row.get("acute_use_for_chronic_condition"),
            "apcm_level": row.get("apcm_level"),
            "lace": _clean(stay, LACE_KEYS) if stay else None,
            "tcm": _clean(tcm[pid], TCM_KEYS) if pid in tcm else None,
        }
        findings.append(
            PatientFinding(
                run=run,
                patient_id=pid,
                organization_id=orgs[pid],
                ccm_eligible=row["ccm_status"] == CcmStatus.ELIGIBLE,
                ccm_status=row["ccm_status"],
                pcm_eligible=bool(row.get("pcm_candidate")),
                tcm_candidate=bool(row.get("tcm_candidate")),
                chronic_condition_ids=[c["condition_id"] for c in conds],
                chronic_condition_count=int(row.get("chronic_conditions") or 0),
                inpatient_admissions_12m=int(use.get("inpatient_admissions") or 0),
                ed_visits_12m=int(use.get("ed_visits") or 0),
                readmissions_12m=int(use.get("readmissions_30d") or 0),
                latest_lace=int(stay["lace"]) if stay else None,
                reasons=reasons,
            )
        )
    PatientFinding.objects.bulk_create(findings, batch_size=BATCH)
    return run
