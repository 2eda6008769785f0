"""Store the results of an analytics run (the marts' Parquet and manifest.json) in the database.

`store_results(run_dir)` reads ``manifest.json`` and the patient-level marts
(``program_eligibility``, ``chronic_conditions`` and their evidence, ``utilization``, ``lace``,
``tcm_candidate``, ``hcc_score``, ``hcc_driver``, ``charlson``, ``super_utilizer``,
``risk_tier``, ``care_gap``) and writes one `AnalyticsRun` with one `PatientFinding` per
patient, in one transaction. The patients are taken in batches of ``BATCH_PATIENTS`` (each
mart read for the batch's range of ids only), so memory stays bounded whatever the run's size.
A mart the run lacks leaves its fields empty. The snapshot keeps the clinical primary keys, so
``patient_id`` is `clinical.Patient.pk`; a patient deleted since the snapshot is left out.
Storing a run id again replaces that run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q

from careloop.clinical.models import Coverage, Patient

from . import results
from .models import AnalyticsRun, CcmStatus, PatientFinding

__all__ = ["store_results"]

BATCH = 1000
BATCH_PATIENTS = 10_000


def _payers(as_of: date, organization: Any, patients: results.Patients) -> dict[int, list[str]]:
    """Payer names of the coverage active on the as-of date, per patient (the payer filter)."""
    active = (
        Coverage.objects.filter(patient_id__gte=patients.first, patient_id__lte=patients.last)
        .filter(Q(start__isnull=True) | Q(start__lte=as_of))
        .filter(Q(end__isnull=True) | Q(end__gte=as_of))
        .exclude(status__in=("cancelled", "entered-in-error", "draft"))
        .exclude(payer="")
    )
    if organization is not None:
        active = active.filter(organization=organization)
    out: dict[int, set[str]] = defaultdict(set)
    for pid, payer in active.values_list("patient_id", "payer").iterator(chunk_size=5000):
        out[pid].add(payer)
    return {pid: sorted(names) for pid, names in out.items()}


def _run(manifest: dict[str, Any], organization: Any) -> AnalyticsRun:
    started = datetime.fromisoformat(manifest["started_at"])
    versions = {
        "value_set_version": manifest.get("value_set_version"),
        "rules_version": manifest.get("rules_version"),
        "charlson_version": manifest.get("charlson_version"),
    }
    # versions a newer manifest adds (HCC tables, care-gap rules) are kept as they come
    for key, value in manifest.items():
        if key.endswith("_version") and key not in versions:
            versions[key] = value
    run: AnalyticsRun = AnalyticsRun.objects.create(
        run_id=manifest["run_id"],
        as_of=date.fromisoformat(manifest["as_of"]),
        engine=manifest["engine"],
        input_hash=manifest["input_hash"],
        rule_versions=versions,
        finished_at=started + timedelta(seconds=float(manifest.get("seconds") or 0)),
        organization=organization,
    )
    return run


@transaction.atomic
def store_results(run_dir: Path, *, organization: Any = None) -> AnalyticsRun:
    run_dir = Path(run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    AnalyticsRun.objects.filter(run_id=manifest["run_id"]).delete()
    run = _run(manifest, organization)

    ids = results.patient_ids(run_dir)
    for start in range(0, len(ids), BATCH_PATIENTS):
        batch = ids[start : start + BATCH_PATIENTS]
        _store_batch(run, run_dir, results.Patients(batch[0], batch[-1]), organization)
    return run


def _store_batch(
    run: AnalyticsRun, run_dir: Path, patients: results.Patients, organization: Any
) -> None:
    conditions = results.conditions(run_dir, patients)
    utilization = results.by_patient(run_dir, "utilization", patients)
    lace = results.latest_lace(run_dir, patients)
    tcm = results.latest_tcm(run_dir, patients)
    hcc = results.hcc_scores(run_dir, patients)
    drivers = results.hcc_drivers(run_dir, patients)
    charlson = results.by_patient(run_dir, "charlson", patients)
    flags = results.super_utilizer_flags(run_dir, patients)
    tiers = results.by_patient(run_dir, "risk_tier", patients)
    gaps = results.care_gaps(run_dir, patients)
    payers = _payers(run.as_of, organization, patients)
    orgs = dict(
        Patient.objects.filter(pk__gte=patients.first, pk__lte=patients.last).values_list(
            "pk", "organization_id"
        )
    )
    findings = []
    for row in results.rows(run_dir, "program_eligibility", patients):
        pid = row["patient_id"]
        if pid not in orgs:
            continue
        findings.append(
            _finding(
                run,
                row,
                organization_id=orgs[pid],
                conditions=conditions.get(pid, []),
                use=utilization.get(pid, {}),
                stay=lace.get(pid),
                discharge=tcm.get(pid),
                score=hcc.get(pid),
                terms=drivers.get(pid, {"drivers": [], "suspects": []}),
                charlson=charlson.get(pid),
                flags=flags.get(pid, []),
                tier=tiers.get(pid),
                gaps=gaps.get(pid, []),
                payers=payers.get(pid, []),
            )
        )
    PatientFinding.objects.bulk_create(findings, batch_size=BATCH)


def _finding(
    run: AnalyticsRun,
    row: dict[str, Any],
    *,
    organization_id: int,
    conditions: list[dict[str, Any]],
    use: dict[str, Any],
    stay: dict[str, Any] | None,
    discharge: dict[str, Any] | None,
    score: dict[str, Any] | None,
    terms: dict[str, list[dict[str, Any]]],
    charlson: dict[str, Any] | None,
    flags: list[dict[str, Any]],
    tier: dict[str, Any] | None,
    gaps: list[dict[str, Any]],
    payers: list[str],
) -> PatientFinding:
    clean, jsonable = results.clean, results.jsonable
    open_gaps = [g["gap_id"] for g in gaps if g["status"] == "open"]
    reasons = {
        "ccm": [r.strip() for r in (row.get("ccm_reasons") or "").split(";") if r.strip()],
        "conditions": conditions,
        "payer_kind": row.get("payer_kind"),
        "alive": row.get("alive"),
        "last_qualifying_visit": jsonable(row.get("last_qualifying_visit")),
        "last_visit_code": row.get("last_visit_code"),
        "last_visit_source": (
            f"{row['last_visit_source_table']} {row['last_visit_source_id']}"
            if row.get("last_visit_source_table")
            else None
        ),
        "high_risk_condition": row.get("high_risk_condition"),
        "high_risk_conditions": row.get("high_risk_conditions"),
        "acute_use_for_chronic_condition": row.get("acute_use_for_chronic_condition"),
        "apcm_level": row.get("apcm_level"),
        "lace": clean(stay, results.LACE_KEYS) if stay else None,
        "tcm": clean(discharge, results.TCM_KEYS) if discharge else None,
        "utilization": clean(use, results.UTILIZATION_KEYS) if use else None,
        "hcc": (
            {
                "segment": (score or {}).get("segment"),
                "drivers": terms["drivers"],
                "suspects": terms["suspects"],
            }
            if score or terms["suspects"]
            else None
        ),
        "charlson_conditions": list((charlson or {}).get("conditions") or []),
        "super_utilizer": flags,
        "tier": list((tier or {}).get("reasons") or []),
        "gaps": gaps,
    }
    return PatientFinding(
        run=run,
        patient_id=row["patient_id"],
        organization_id=organization_id,
        ccm_eligible=row["ccm_status"] == CcmStatus.ELIGIBLE,
        ccm_status=row["ccm_status"],
        pcm_eligible=bool(row.get("pcm_candidate")),
        tcm_candidate=bool(row.get("tcm_candidate")),
        chronic_condition_ids=[c["condition_id"] for c in conditions],
        chronic_condition_count=int(row.get("chronic_conditions") or 0),
        inpatient_admissions_12m=int(use.get("inpatient_admissions") or 0),
        ed_visits_12m=int(use.get("ed_visits") or 0),
        readmissions_12m=int(use.get("readmissions_30d") or 0),
        latest_lace=int(stay["lace"]) if stay else None,
        hcc_model=(score or {}).get("model") or "",
        hcc_payment_year=(score or {}).get("payment_year"),
        hcc_segment=(score or {}).get("segment") or "",
        hcc_raw_score=(score or {}).get("raw_score"),
        hcc_normalized_score=(score or {}).get("normalized_score"),
        hccs=sorted(int(h) for h in (score or {}).get("hccs") or []),
        charlson_index=(charlson or {}).get("charlson_index"),
        super_utilizer=bool(flags),
        super_utilizer_rules=[f["rule_id"] for f in flags],
        risk_tier=(tier or {}).get("tier") or "",
        recommended_program=(tier or {}).get("recommended_program") or "",
        open_gap_ids=open_gaps,
        open_gap_count=len(open_gaps),
        closed_gap_count=sum(1 for g in gaps if g["status"] == "closed"),
        payers=payers,
        reasons=reasons,
    )
