"""CCW RIF import (issue 4 §1): every file of the shared BFD samples, counts as their README says."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from careloop.clinical import models as cm
from careloop.interop.claims.layouts import RIF_TYPES
from careloop.interop.claims.runner import ClaimsImport
from careloop.interop.models import ImportRun

pytestmark = pytest.mark.django_db

# README of cms_bfd/rif: claims per type over all files, minus the same claim id met again
# (sample-a-bcarrier, -multiple-lines and sample-u-bcarrier are one claim; the
# "-with-four-character-drg-code" inpatient/SNF files repeat the sample-A claim id).
CLAIMS = {
    "carrier": 1 + 606 + 37,
    "dme": 1 + 606 + 1,
    "home_health": 1 + 606 + 14,
    "hospice": 1 + 606 + 1,
    "inpatient": 1 + 680 + 16,
    "outpatient": 1 + 677 + 19,
    "snf": 1 + 680 + 1,
    "part_d": 1 + 18,
}
SUPERSEDED = {"carrier": 2, "inpatient": 1, "snf": 1}
EXPORT_SUMMARY_ERROR = "unknown column layout: the header matches no RIF record type"


def _rif(shared_data):
    return shared_data / "claims" / "cms_bfd" / "rif"


def test_every_rif_file_imports(org_a, shared_data):
    run, report = ClaimsImport(org_a.pk, "rif").run([str(_rif(shared_data))])
    # the one file that is not RIF (README: "(not RIF) comma-separated") is the one error
    assert [
        (e["file"].rsplit("/", 1)[-1], e["message"][: len(EXPORT_SUMMARY_ERROR)])
        for e in report.errors
    ] == [("export_summary.csv", EXPORT_SUMMARY_ERROR)]
    assert run.kind == "rif" and run.status == ImportRun.Status.FAILED
    for claim_type, n in CLAIMS.items():
        counts = report.by_type[f"Claim ({claim_type})"]
        assert counts["created"] == n, claim_type
        assert counts["skipped"] == SUPERSEDED.get(claim_type, 0), claim_type
        assert cm.Claim.objects.filter(claim_type=claim_type).count() == n
    # 567834 (sample A) + the 10 benes of sample-hicn-mult-bene (one of them 567834) + 3 Synthea
    assert set(cm.Patient.objects.values_list("source_id", flat=True)) >= {
        "567834",
        "-1000006",
        "-1000014",
        "-1000018",
    }
    assert cm.Patient.objects.count() == report.by_type["Patient"]["created"] == 14
    # beneficiary history rows are folded into the Patient's identifiers
    assert report.by_type["BeneficiaryHistory"]["skipped"] == 5 + 6 + 3


def test_beneficiary_mapping(org_a, shared_data):
    folder = _rif(shared_data) / "rif-static-samples"
    ClaimsImport(org_a.pk, "rif").run([str(folder / "sample-a-beneficiaries.txt")])
    p = cm.Patient.objects.get(source_id="567834")
    assert (p.mbi, p.family_name, p.given_name, p.gender, p.orec) == (
        "3456789",
        "Doe",
        "John",
        "male",
        "1",
    )
    assert p.birth_date.isoformat() == "1981-03-17"
    assert p.deceased and p.deceased_date.isoformat() == "1981-03-17"  # DEATH_DT 17-Mar-1981
    cov = {c.kind: c for c in cm.Coverage.objects.filter(patient=p)}
    # buy-in C (A and B with state buy-in) all year; HMO 1 Jan-Oct; Part D S4607 Jan-Nov
    assert (cov["part-a"].start.isoformat(), cov["part-a"].end.isoformat()) == (
        "2018-01-01",
        "2018-12-31",
    )
    assert cov["part-c"].end.isoformat() == "2018-10-31"
    assert cov["part-d"].end.isoformat() == "2018-11-30" and "S4607" in cov["part-d"].payer


def test_claim_lines_grouped_and_codes_without_dots(org_a, shared_data):
    folder = _rif(shared_data) / "rif-static-samples"
    ClaimsImport(org_a.pk, "rif").run(
        [
            str(folder / "sample-a-beneficiaries.txt"),
            str(folder / "sample-a-bcarrier-multiple-lines.txt"),
        ]
    )
    claim = cm.Claim.objects.get(source_id="carrier:9991831999")
    assert len(claim.line_codes) == 7
    assert claim.diagnosis_codes[0] == "A02"  # principal first
    assert all("." not in c for c in claim.diagnosis_codes)
    assert claim.claim_type == "carrier" and str(claim.payment_amount) == "199.99"


def test_reimport_is_a_no_op_and_command_exits_non_zero(org_a, shared_data, tmp_path):
    folder = str(_rif(shared_data))
    ClaimsImport(org_a.pk, "rif").run([folder])
    out = tmp_path / "report.json"
    with pytest.raises(CommandError):
        call_command(
            "import", "claims", "--format", "rif", "--organization", org_a.slug,
            "--report", str(out), "--quiet", folder,
        )  # fmt: skip
    data = json.loads(out.read_text())
    assert data["totals"]["created"] == 0 and data["totals"]["updated"] == 0
    assert data["error_count"] == 1  # export_summary.csv, again
    assert ImportRun.objects.filter(kind="rif").count() == 2


def test_layouts_match_bfd_mappings(shared_data):
    """Signature and required columns of each record type exist in BFD's RIF enum for it."""
    mappings = _rif(shared_data) / "layout" / "mappings"
    files = {
        "BENEFICIARY": "Beneficiary",
        "BENEFICIARY_HISTORY": "BeneficiaryHistory",
        "PDE": "PartDEvent",
        "DME": "DMEClaim",
        "CARRIER": "CarrierClaim",
        "INPATIENT": "InpatientClaim",
        "SNF": "SNFClaim",
        "HHA": "HHAClaim",
        "HOSPICE": "HospiceClaim",
        "OUTPATIENT": "OutpatientClaim",
    }
    enums = {}
    for name, stem in files.items():
        enums[name] = _enum_values((mappings / f"{stem}.yaml").read_text())
    for t in RIF_TYPES:
        assert t.signature <= enums[t.name], (t.name, t.signature - enums[t.name])
        assert set(t.required) <= enums[t.name], (t.name, set(t.required) - enums[t.name])
        # a header of another type that also has these columns must be caught first
        order = [x.name for x in RIF_TYPES]
        others = [n for n, cols in enums.items() if n != t.name and t.signature <= cols]
        assert all(order.index(n) < order.index(t.name) for n in others), (t.name, others)


def _enum_values(text: str) -> set[str]:
    """The `enumTypes[0].values` list of a BFD mapping YAML (no YAML library needed)."""
    lines = text.split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "values:" and i > 0)
    out = set()
    for ln in lines[start + 1 :]:
        if not ln.strip().startswith("- "):
            break
        out.add(ln.strip()[2:].strip())
    return out
