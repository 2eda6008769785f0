"""One test per bad-input class: the exact error (file, line, column, value), nothing half-stored."""

from __future__ import annotations

import zipfile

import pytest

from careloop.clinical import models as cm
from careloop.interop.claims.runner import ClaimsImport

pytestmark = pytest.mark.django_db

SAMPLES = ("claims", "cms_bfd", "rif", "rif-static-samples")


def _sample(shared_data, name):
    return (shared_data.joinpath(*SAMPLES) / name).read_text()


def _beneficiary(shared_data, tmp_path):
    path = tmp_path / "bene.txt"
    path.write_text(_sample(shared_data, "sample-a-beneficiaries.txt"))
    return path


def _carrier_two_claims(shared_data, tmp_path, bad_date: str = "27-OCT-1999"):
    """Two carrier claims: 9991831999 (7 lines, line 3 altered) and 9991832000 (1 line)."""
    header, *lines = (
        _sample(shared_data, "sample-a-bcarrier-multiple-lines.txt").strip().split("\n")
    )
    cols = header.split("|")
    i = cols.index("LINE_1ST_EXPNS_DT")
    row = lines[2].split("|")
    row[i] = bad_date
    lines[2] = "|".join(row)
    other = lines[0].split("|")
    other[cols.index("CLM_ID")] = "9991832000"
    path = tmp_path / "carrier.txt"
    path.write_text("\n".join([header, *lines, "|".join(other)]) + "\n")
    return path


def test_bad_date_fails_the_whole_claim_and_keeps_the_others(org_a, shared_data, tmp_path):
    bene = _beneficiary(shared_data, tmp_path)
    carrier = _carrier_two_claims(shared_data, tmp_path, bad_date="31-FEB-1999")
    _run, report = ClaimsImport(org_a.pk, "rif").run([str(bene), str(carrier)])
    first = report.errors[0]
    assert (first["file"], first["line"], first["column"], first["value"]) == (
        str(carrier), 4, "LINE_1ST_EXPNS_DT", "31-FEB-1999",
    )  # fmt: skip
    assert first["message"].startswith("not a valid date")
    assert report.errors[1]["message"] == (
        "claim 9991831999 not stored: 1 bad line(s); none of its 7 lines were written"
    )
    assert not cm.Claim.objects.filter(source_id="carrier:9991831999").exists()
    assert cm.Claim.objects.filter(source_id="carrier:9991832000").exists()
    assert report.by_type["Claim (carrier)"]["failed"] == 1
    assert report.by_type["Claim (carrier)"]["created"] == 1


def test_not_a_date(org_a, shared_data, tmp_path):
    carrier = _carrier_two_claims(shared_data, tmp_path, bad_date="1999/10/27")
    report = ClaimsImport(org_a.pk, "rif").run(
        [str(_beneficiary(shared_data, tmp_path)), str(carrier)]
    )[1]
    assert report.errors[0]["message"] == "not a date: expected DD-MON-YYYY, e.g. 17-MAR-1981"


def test_unknown_column_layout(org_a, tmp_path):
    path = tmp_path / "members.csv"
    path.write_text("member,dob\n1,1950-01-01\n")
    report = ClaimsImport(org_a.pk, "tuva").run([str(path)])[1]
    assert report.errors[0]["line"] == 1
    assert report.errors[0]["message"].startswith(
        "unknown column layout: the header matches no Tuva input-layer table"
    )
    rif = tmp_path / "x.txt"
    rif.write_text("DML_IND|FOO|BAR\nINSERT|1|2\n")
    report = ClaimsImport(org_a.pk, "rif").run([str(rif)])[1]
    assert report.errors[0]["message"].startswith(
        "unknown column layout: the header matches no RIF"
    )
    assert cm.Patient.objects.count() == 0


def test_truncated_line(org_a, shared_data, tmp_path):
    header, row = _sample(shared_data, "sample-a-beneficiaries.txt").rstrip("\n").split("\n")
    path = tmp_path / "bene.txt"
    path.write_text(f"{header}\n{row[: len(row) // 2]}")  # the data row cut in the middle
    report = ClaimsImport(org_a.pk, "rif").run([str(path)])[1]
    err = report.errors[0]
    assert err["line"] == 2 and err["record_type"] == "BENEFICIARY" and err["id"] == "567834"
    assert err["message"].startswith("wrong column count: expected 210 columns, got ")
    assert cm.Patient.objects.count() == 0


def test_short_cclf8_record(org_a, shared_data, tmp_path):
    src = shared_data / "claims" / "cclf" / "extracted" / "archives" / "valid"
    member = next(src.glob("T.BCD.A9988*/*ZC8Y18*"))
    lines = member.read_text().splitlines()
    lines[2] = lines[2][:400]
    path = tmp_path / "T.BCD.A9988.ZCY18.D181120.T1000000"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(member.name, "\n".join(lines) + "\n")
    report = ClaimsImport(org_a.pk, "cclf").run([str(path)])[1]
    assert [(e["member"], e["line"], e["message"]) for e in report.errors] == [
        (member.name, 3, "short CCLF8 record: 400 characters, expected 549")
    ]
    assert cm.Patient.objects.count() == 5  # the other records of the file are stored


def test_corrupted_zip(org_a, tmp_path):
    path = tmp_path / "T.BCD.A0001.ZCY18.D181120.T1000000"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    report = ClaimsImport(org_a.pk, "cclf").run([str(path)])[1]
    assert report.errors == [
        {"file": str(path), "message": "corrupted zip archive: File is not a zip file"}
    ]


def test_claim_for_unknown_beneficiary(org_a, shared_data, tmp_path):
    carrier = _carrier_two_claims(shared_data, tmp_path)
    report = ClaimsImport(org_a.pk, "rif").run([str(carrier)])[1]
    assert {e["id"] for e in report.errors} == {"9991831999", "9991832000"}
    assert all("dangling reference 'Patient/567834'" in e["message"] for e in report.errors)
    assert cm.Claim.objects.count() == 0
