"""CCLF (Claim and Claim Line Feed) deliveries: CCLF8 beneficiary demographics into Patients.

A delivery is a zip (`T.BCD.<ACO>.ZCY18.D181120.T1000000`) of members named `...ZC<n>Y18...`;
loose member files are read too. CCLF8 records are 549-byte fixed width (`layouts.CCLF8_FIELDS`)
and become a Patient (MBI, HICN, names, birth and death dates, sex, address, OREC) with Part A
and Part B Coverage from the enrollment dates, carrying the dual status code. CCLF0 (the file
summary) is checked against what the delivery holds; CCLF9 (MBI cross-reference) is read for
validation only; CCLF1-7, A and B (claims) are reported as unsupported. BCDA's test fixtures
also hold placeholders ("This file is intentionally blank"), MBI-only CCLF8 stubs, CSV
attribution rosters, an empty and a damaged zip: each gets its own message.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path

from careloop.core import codesystems as cs
from careloop.interop.fhir.mappers.common import Row

from .common import FieldError, Problem, Unit
from .dates import iso_date
from .layouts import CCLF8_FIELDS, CCLF8_LENGTH, CCLF_FILES
from .rif import HICN_SYSTEM

PLACEHOLDER = b"This file is intentionally blank"
_NUMBER = re.compile(r"ZC([0-9AB])(?:Y\d\d)?(?:\.|$)")
SEX = {"1": "male", "2": "female", "0": "unknown", "": ""}


def read(path: Path) -> tuple[list[Unit], list[Problem]]:
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [Problem({"file": file}, f"cannot read file: {exc}")]
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _archive(file, path)
    return _member(file, path.name, data, None)


def _archive(file: str, path: Path) -> tuple[list[Unit], list[Problem]]:
    try:
        with zipfile.ZipFile(path) as z:
            members = [i for i in z.infolist() if not i.is_dir()]
            if not members:
                return [], [Problem({"file": file}, "empty zip archive: no CCLF file in it")]
            units: list[Unit] = []
            problems: list[Problem] = []
            for info in members:
                try:
                    data = z.read(info)
                except (zipfile.BadZipFile, OSError, EOFError) as exc:
                    problems.append(
                        Problem({"file": file, "member": info.filename}, f"corrupted member: {exc}")
                    )
                    continue
                u, p = _member(file, info.filename.rsplit("/", 1)[-1], data, info.filename)
                units += u
                problems += p
            return units, problems
    except zipfile.BadZipFile as exc:
        return [], [Problem({"file": file}, f"corrupted zip archive: {exc}")]


def _member(
    file: str, name: str, data: bytes, member: str | None
) -> tuple[list[Unit], list[Problem]]:
    where = {"file": file, **({"member": member} if member else {})}
    m = _NUMBER.search(name)
    if data.startswith(b"MBIs"):
        return [], [
            Problem(where, "not a CCLF file: a BCDA CSV attribution roster (header 'MBIs')")
        ]
    if m is None:
        return [], [Problem(where, f"not a CCLF file name: {name!r} has no ZC0…ZC9/ZCA/ZCB part")]
    number = m.group(1)
    if data.strip() == PLACEHOLDER:
        return [], [
            Problem(where, "placeholder file (intentionally blank): nothing to import", error=False)
        ]
    if not data.strip():
        return [], [Problem(where, f"empty CCLF{number} file: nothing to import", error=False)]
    if number == "8":
        return _cclf8(where, data)
    if number == "0":
        return [], _cclf0(where, data)
    if number == "9":
        n = sum(1 for ln in data.splitlines() if ln.strip())
        return [], [
            Problem(
                where,
                f"CCLF9 (MBI cross-reference) read for validation only: {n} record(s) not imported",
                error=False,
                skipped=n,
                label="CCLF9",
            )
        ]
    return [], [
        Problem(
            where, f"CCLF{number} ({CCLF_FILES[number]}) is not supported: only CCLF8 is imported"
        )
    ]


def _cclf0(where: dict, data: bytes) -> list[Problem]:
    """Each summary row must be `CCLFn | description | count | length`."""
    problems = []
    for n, raw in enumerate(data.decode("latin-1").splitlines(), start=1):
        line = raw.rstrip()
        if not line or line.startswith("File Number"):
            continue
        parts = [p.strip() for p in line.split("|")]
        if (
            len(parts) != 4
            or not parts[0].startswith("CCLF")
            or not parts[2].isdigit()
            or not parts[3].isdigit()
        ):
            problems.append(
                Problem({**where, "line": n}, f"malformed CCLF0 summary row: {line[:80]!r}")
            )
    return problems


def _cclf8(where: dict, data: bytes) -> tuple[list[Unit], list[Problem]]:
    lines = data.decode("latin-1").splitlines()
    body = [(n, ln) for n, ln in enumerate(lines, start=1) if ln.strip()]
    if body and all(len(ln.rstrip()) < 60 and ln.rstrip().endswith("xxxxxxx") for _n, ln in body):
        return [], [
            Problem(
                where,
                f"CCLF8 stub (MBI roster without demographics): {len(body)} record(s) not imported",
                error=False,
                skipped=len(body),
                label="Patient",
            )
        ]
    units = []
    for n, raw in body:
        mbi = raw[:11].strip()
        unit = Unit(where["file"], n, "Patient", mbi, phase=0)
        w = {**where, "line": n, "record_type": "CCLF8", "id": mbi}
        if len(raw) != CCLF8_LENGTH:
            unit.errors.append(
                (w, f"short CCLF8 record: {len(raw)} characters, expected {CCLF8_LENGTH}")
                if len(raw) < CCLF8_LENGTH
                else (w, f"long CCLF8 record: {len(raw)} characters, expected {CCLF8_LENGTH}")
            )
        else:
            try:
                unit.rows = _patient(raw)
            except FieldError as exc:
                unit.errors.append(({**w, "column": exc.column, "value": exc.value}, exc.message))
        units.append(unit)
    return units, []


def _patient(raw: str) -> list[Row]:
    f = {name: raw[a - 1 : b].strip() for name, a, b in CCLF8_FIELDS}
    mbi = f["BENE_MBI_ID"]
    if not mbi:
        raise FieldError("BENE_MBI_ID", "", "required value is blank")
    if f["BENE_SEX_CD"] not in SEX:
        raise FieldError("BENE_SEX_CD", f["BENE_SEX_CD"], "unknown sex code: expected 0, 1 or 2")
    orec = f["BENE_ORGNL_ENTLMT_RSN_CD"]
    if orec not in ("", "0", "1", "2", "3"):
        raise FieldError("BENE_ORGNL_ENTLMT_RSN_CD", orec, "unknown OREC: expected 0-3")
    death = iso_date(f["BENE_DEATH_DT"], "BENE_DEATH_DT")
    idents = [[cs.MBI, mbi, "MC"]]
    if f["BENE_HIC_NUM"]:
        idents.append([HICN_SYSTEM, f["BENE_HIC_NUM"], ""])
    zip4 = f["GEO_ZIP4_CD"] if f["GEO_ZIP4_CD"].isdigit() else ""
    patient = Row(
        "Patient",
        f"mbi:{mbi}",
        {
            "mrn": "",
            "mbi": mbi,
            "identifiers": idents,
            "family_name": f["BENE_LAST_NAME"][:100],
            "given_name": " ".join(x for x in (f["BENE_1ST_NAME"], f["BENE_MIDL_NAME"]) if x)[:100],
            "birth_date": iso_date(f["BENE_DOB"], "BENE_DOB"),
            "gender": SEX[f["BENE_SEX_CD"]],
            "deceased": death is not None,
            "deceased_date": death,
            "address_line": ", ".join(
                f[k] for k in (f"BENE_LINE_{i}_ADR" for i in range(1, 7)) if f[k]
            )[:300],
            "city": f["GEO_ZIP_PLC_NAME"][:100],
            "state": f["GEO_USPS_STATE_CD"][:50],
            "postal_code": (f["GEO_ZIP5_CD"] + (f"-{zip4}" if zip4 else ""))[:20],
            "phone": "",
            "language": "",
            "orec": orec,
        },
    )
    dual = f["BENE_DUAL_STUS_CD"] if f["BENE_DUAL_STUS_CD"].isdigit() else ""
    end = iso_date(f["BENE_RNG_END_DT"], "BENE_RNG_END_DT")
    rows = [patient]
    for kind, column in (
        ("part-a", "BENE_PART_A_ENRLMT_BGN_DT"),
        ("part-b", "BENE_PART_B_ENRLMT_BGN_DT"),
    ):
        start = iso_date(f[column], column)
        if start is None:
            continue
        rows.append(_coverage(mbi, kind, start, end, dual))
    return rows


def _coverage(mbi: str, kind: str, start: date, end: date | None, dual: str) -> Row:
    return Row(
        "Coverage",
        f"mbi:{mbi}:{kind}:{start.isoformat()}",
        {
            "kind": kind,
            "payer": "Medicare",
            "subscriber_id": mbi,
            "status": "active",
            "start": start,
            "end": end,
            "dual_status": dual,
            "qmb": dual in cs.DUAL_STATUS_QMB,
            "derived": False,
        },
        {"patient": f"Patient/mbi:{mbi}"},
    )
