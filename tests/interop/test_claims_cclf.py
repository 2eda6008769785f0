"""CCLF8 through `careloop import claims --format cclf`: every BCDA fixture, each broken one
with the error its README documents."""

from __future__ import annotations

import pytest

from careloop.clinical import models as cm
from careloop.interop.claims.runner import ClaimsImport

pytestmark = pytest.mark.django_db

# file (relative to cclf/) -> the documented defect and the message it must give
BROKEN = {
    "archives/corrupted/T.BCD.A0001.ZCY18.D181120.T1000000": "corrupted zip archive",
    "archives/8/invalid/T.BCD.A0001.ZCY18.D181125.T1000087": "empty zip archive",
    "archives/invalid_bcd/P.BCD.A0001.ZCY18.D181121.T2000000": (
        "short CCLF8 record: 515 characters, expected 549"
    ),
    "archives/0/missing_data/T.BCD.ACO.ZC0Y18.D181120.T0001098": "not a CCLF file name",
    "archives/0/missing_data/T.BCD.ACO.ZC0Y18.D181120.T0001000": "malformed CCLF0 summary row",
    "archives/0/invalid/T.A0001.ACO.ZC0Y18.D181120.Z1000000": "malformed CCLF0 summary row",
    "archives/0/invalid/T.BCD.ACOB.ZC0Y18.D181120.E0001000": "malformed CCLF0 summary row",
    "archives/csv/P.PCPB.M2411.D181120.T1000000": "not a CCLF file: a BCDA CSV attribution roster",
    "archives/csv/P.PCPB.M2411.D181121.T1000000": "not a CCLF file: a BCDA CSV attribution roster",
    "archives/csv/T.ACCESS.ACCES00001.Y25.D250630.T1000000": "not a CCLF file: a BCDA CSV",
    "archives/csv/T.GUIDE.GUIDE-0001.Y25.D250630.T1000000": "not a CCLF file: a BCDA CSV",
    "archives/csv/T.PCPB.M2411.D241206.T1732561": "not a CCLF file: a BCDA CSV",
    "mixed/with_invalid_filenames/T#EFT.ON.ACO.NGD1800.DPRF.D181120.T1000009": (
        "not a CCLF file name"
    ),
    # named ZC0 but holding CCLF9 records
    "mixed/with_invalid_filenames/T.UNKNOWNACO.ACO.ZC0Y18.D181120.T1000010": (
        "malformed CCLF0 summary row"
    ),
}


def test_every_cclf_file(org_a, shared_data):
    root = shared_data / "claims" / "cclf"
    _run, report = ClaimsImport(org_a.pk, "cclf").run([str(root)])
    by_file: dict[str, set[str]] = {}
    for e in report.errors:
        rel = e["file"].split("/claims/cclf/", 1)[1]
        by_file.setdefault(rel, set()).add(e["message"])
    assert set(by_file) == set(BROKEN)
    for rel, expected in BROKEN.items():
        assert all(m.startswith(expected) for m in by_file[rel]), (rel, by_file[rel])
    # README: 6 distinct synthetic beneficiaries (MBIs 1A69B98CD30…35) in the full CCLF8 records
    assert sorted(cm.Patient.objects.values_list("mbi", flat=True)) == [
        f"1A69B98CD3{i}" for i in range(6)
    ]
    p = cm.Patient.objects.get(mbi="1A69B98CD30")
    assert (p.given_name, p.family_name, p.birth_date.isoformat(), p.gender) == (
        "FnameOne A", "LnameOne", "1940-10-27", "male",
    )  # fmt: skip
    assert p.orec == "0"
    kinds = set(cm.Coverage.objects.filter(patient=p).values_list("kind", flat=True))
    assert kinds == {"part-a", "part-b"}
    # the MBI-only stubs of files/synthetic are counted as skipped, with a warning per file
    assert report.by_type["Patient"]["skipped"] > 100_000
    assert any(w["message"].startswith("CCLF8 stub") for w in report.warnings)
    again = ClaimsImport(org_a.pk, "cclf").run([str(root)])[1]
    assert again.totals()["created"] == 0 and again.totals()["updated"] == 0
