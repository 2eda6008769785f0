"""`careloop analytics score-hcc` (issue 4 point 5) through the console command."""

from __future__ import annotations

import csv

import pytest

from careloop.cli import main

MEMBERS = "patient_id,age,sex,dual_status,orec,crec,new_enrollee,snp,lti\np1,72,F,00,0,0,0,0,0\np2,67,M,02,1,1,0,0,0\n"
DIAGNOSES = "patient_id,icd10\np1,E1122\np1,I509\np2,N186\np2,F329\n"


def _run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exited:
        main(["analytics", "score-hcc", *args])
    return int(exited.value.code or 0)


def test_scores_an_extract(tmp_path):
    (tmp_path / "m.csv").write_text(MEMBERS)
    (tmp_path / "d.csv").write_text(DIAGNOSES)
    out = tmp_path / "s.csv"
    assert (
        _run(
            [
                "--members",
                str(tmp_path / "m.csv"),
                "--diagnoses",
                str(tmp_path / "d.csv"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    rows = list(csv.DictReader(out.open()))
    assert [r["patient_id"] for r in rows] == ["p1", "p2"]
    assert rows[0]["model"] == "V28" and rows[0]["payment_year"] == "2026"
    assert rows[0]["hccs"].split() == ["37", "226"]  # diabetes with complications; heart failure
    assert float(rows[0]["raw_score"]) > 0


def test_bad_extract_exits_1_naming_the_place(tmp_path, capsys):
    (tmp_path / "m.csv").write_text(MEMBERS.replace("p1,72,F,00", "p1,72,F,NA"))
    (tmp_path / "d.csv").write_text(DIAGNOSES)
    out = tmp_path / "s.csv"
    assert (
        _run(
            [
                "--members",
                str(tmp_path / "m.csv"),
                "--diagnoses",
                str(tmp_path / "d.csv"),
                "--out",
                str(out),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "m.csv:2: column 'dual_status'" in err
    assert not out.exists()


def test_bad_arguments_exit_2(tmp_path):
    assert _run(["--members", "x.csv"]) == 2
