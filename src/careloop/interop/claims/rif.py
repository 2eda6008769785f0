"""CCW RIF files (pipe-delimited, as fed to the CMS Beneficiary FHIR Data server).

One header row of CCW column names (`DML_IND` first), `|` between values, no quoting; a BOM
is tolerated (the Synthea RIF `beneficiary_20*.csv`), so is one trailing `|` on data rows (BFD's
hand-made samples). The record type comes from the header (`layouts.RIF_TYPES`). Claim files
hold one row per claim line: rows are grouped by `CLM_ID` and a claim is stored whole or not
at all. A beneficiary row becomes a Patient and its Coverage for the reference year
(`RFRNC_YR`), from the monthly entitlement/buy-in, HMO, Part D contract and dual status columns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from careloop.core import codesystems as cs
from careloop.interop.fhir.mappers.common import Row

from .common import FieldError, Problem, Unit, icd, money, number, unique
from .dates import rif_date
from .layouts import BUYIN_PARTS, DUAL_CODES, HMO_PART_C, RIF_MONTHS, RIF_TYPES, RifType

BENE_ID_SYSTEM = "https://bluebutton.cms.gov/resources/variables/bene_id"
HICN_SYSTEM = "https://bluebutton.cms.gov/resources/variables/bene_crnt_hic_num"
NDC = "http://hl7.org/fhir/sid/ndc"
SEX = {"1": "male", "2": "female", "0": "unknown", "": ""}

Rec = dict[str, str]


def detect(header: list[str], name: str) -> RifType | None:
    """The record type whose signature columns are all in the header (file name breaks ties)."""
    cols = set(header)
    found = [t for t in RIF_TYPES if t.signature <= cols]
    if len(found) > 1:
        hinted = [t for t in found if any(h in name.lower() for h in t.file_hints)]
        found = hinted or found
    return found[0] if found else None


def read(path: Path) -> tuple[list[Unit], list[Problem]]:
    file = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [Problem({"file": file}, f"not UTF-8 text: {exc}")]
    except OSError as exc:
        return [], [Problem({"file": file}, f"cannot read file: {exc}")]
    lines = text.split("\n")
    header = lines[0].rstrip("\r").split("|")
    rtype = detect(header, path.name)
    if rtype is None:
        shown = "|".join(header[:6])
        return [], [
            Problem(
                {"file": file, "line": 1},
                f"unknown column layout: the header matches no RIF record type "
                f"(beneficiary, beneficiary history, carrier, DME, inpatient, outpatient, SNF, "
                f"HHA, hospice, PDE); it starts {shown!r}",
                skipped=sum(1 for ln in lines[1:] if ln.strip()),
            )
        ]
    missing = [c for c in rtype.required if c not in header]
    if missing:
        return [], [
            Problem(
                {"file": file, "line": 1, "record_type": rtype.name},
                f"unknown column layout: a {rtype.name} header without column(s) "
                f"{', '.join(missing)}",
                skipped=sum(1 for ln in lines[1:] if ln.strip()),
            )
        ]
    width = len(header)
    records: list[tuple[int, Rec | None, list[str]]] = []
    problems: list[Problem] = []
    for n, raw in enumerate(lines[1:], start=2):
        raw = raw.rstrip("\r")
        if not raw.strip():
            continue
        values = raw.split("|")
        if len(values) > width:
            extra = values[width:]
            del values[width:]
            if any(v.strip() for v in extra):
                # BFD's loader reads columns by header name and ignores the rest; so do we,
                # but say so (sample-u-bcarrier.txt carries one such value)
                problems.append(
                    Problem(
                        {"file": file, "line": n, "record_type": rtype.name},
                        f"{len(extra)} value(s) after the header's {width} columns ignored: "
                        f"{'|'.join(extra)[:60]!r}",
                        error=False,
                    )
                )
        if len(values) != width:
            records.append((n, None, values))
        else:
            records.append((n, dict(zip(header, values, strict=True)), values))
    build = _BUILDERS[rtype.family]
    return build(file, rtype, header, records), problems


def _where(file: str, line: int, rtype: RifType, key: str) -> dict[str, Any]:
    return {"file": file, "line": line, "record_type": rtype.name, "id": key}


def _bad_width(header: list[str], values: list[str]) -> str:
    return (
        f"wrong column count: expected {len(header)} columns, got {len(values)} "
        "(truncated or joined line?)"
    )


def _key_of(header: list[str], values: list[str], column: str) -> str:
    i = header.index(column)
    return values[i].strip() if i < len(values) else ""


# --- beneficiaries ------------------------------------------------------------------------


def _one_per_record(
    label: str, fn: Callable[[Rec], tuple[list[Row], list[tuple[str, str]], list[list[str]]]]
) -> Callable[..., list[Unit]]:
    """A builder for files of one unit per row (beneficiary, beneficiary history)."""

    def build(
        file: str,
        rtype: RifType,
        header: list[str],
        records: list[tuple[int, Rec | None, list[str]]],
    ) -> list[Unit]:
        units = []
        for n, rec, values in records:
            key = _key_of(header, values, "BENE_ID")
            unit = Unit(file, n, label, key, phase=0)
            where = _where(file, n, rtype, key)
            if rec is None:
                unit.errors.append((where, _bad_width(header, values)))
                units.append(unit)
                continue
            try:
                unit.rows, notes, unit.history = fn(rec)
            except FieldError as exc:
                unit.errors.append((_field(where, exc), exc.message))
                notes = []
            for col, msg in notes:
                unit.warnings.append(({**where, "column": col, "value": rec[col]}, msg))
            units.append(unit)
        return units

    return build


def _field(where: dict[str, Any], exc: FieldError) -> dict[str, Any]:
    return {**where, "column": exc.column, "value": exc.value}


def _required(rec: Rec, column: str) -> str:
    value = rec[column].strip()
    if not value:
        raise FieldError(column, rec[column], "required value is blank")
    return value


def _beneficiary(rec: Rec) -> tuple[list[Row], list[tuple[str, str]], list[list[str]]]:
    bene = _required(rec, "BENE_ID")
    sex = rec["BENE_SEX_IDENT_CD"].strip()
    if sex not in SEX:
        raise FieldError("BENE_SEX_IDENT_CD", sex, "unknown sex code: expected 0, 1 or 2")
    orec = rec["BENE_ENTLMT_RSN_ORIG"].strip()
    if orec not in ("", "0", "1", "2", "3"):
        raise FieldError("BENE_ENTLMT_RSN_ORIG", orec, "unknown OREC: expected 0, 1, 2 or 3")
    death = rif_date(rec["DEATH_DT"], "DEATH_DT")
    mbi = rec["MBI_NUM"].strip()
    hicn = rec["BENE_CRNT_HIC_NUM"].strip()
    idents = [[BENE_ID_SYSTEM, bene, ""]]
    if mbi:
        idents.append([cs.MBI, mbi, "MC"])
    if hicn:
        idents.append([HICN_SYSTEM, hicn, ""])
    address = ", ".join(
        v for v in (rec.get(f"DRVD_LINE_{i}_ADR", "").strip() for i in range(1, 7)) if v
    )
    patient = Row(
        "Patient",
        bene,
        {
            "mrn": "",
            "mbi": mbi[:11],
            "identifiers": idents,
            "family_name": rec["BENE_SRNM_NAME"].strip()[:100],
            "given_name": rec["BENE_GVN_NAME"].strip()[:100],
            "birth_date": rif_date(rec["BENE_BIRTH_DT"], "BENE_BIRTH_DT"),
            "gender": SEX[sex],
            "deceased": death is not None,
            "deceased_date": death,
            "address_line": address[:300],
            "city": rec.get("CITY_NAME", "").strip()[:100],
            "state": (rec.get("STATE_CD", "") or rec.get("STATE_CODE", "")).strip()[:50],
            "postal_code": (rec.get("STATE_CNTY_ZIP_CD", "") or rec.get("BENE_ZIP_CD", "")).strip()[
                :20
            ],
            "phone": "",
            "language": "",
            "orec": orec,
        },
    )
    year_raw = rec["RFRNC_YR"].strip()
    if not (year_raw.isdigit() and len(year_raw) == 4 and year_raw >= "1966"):
        # BFD's samples carry blank, 0 and 3: the patient is fine, its months cannot be dated
        note = (
            "RFRNC_YR",
            "no usable reference year: the monthly entitlement columns are not mapped to "
            "Coverage (Patient stored without Coverage from this record)",
        )
        return [patient], [note], []
    return [patient, *_coverage(rec, bene, mbi, int(year_raw))], [], []


def _coverage(rec: Rec, bene: str, mbi: str, year: int) -> list[Row]:
    """Coverage spans of the reference year: one row per run of months with the same state."""
    months: list[dict[str, tuple[str, str]]] = []  # per month: kind -> (payer, dual code)
    for m in range(1, 13):
        mon = RIF_MONTHS[m - 1]
        col = f"MDCR_ENTLMT_BUYIN_{m}_IND"
        buyin = rec[col].strip().upper()
        if buyin not in BUYIN_PARTS and buyin:
            raise FieldError(col, rec[col], "unknown entitlement/buy-in code: expected 0-3 or A-C")
        dual = rec.get(f"META_DUAL_ELGBL_STUS_{mon}_CD", "").strip()
        dual = dual if dual in DUAL_CODES else ""
        state: dict[str, tuple[str, str]] = {}
        for kind in BUYIN_PARTS.get(buyin, ()):
            state[kind] = ("Medicare", dual)
        if rec[f"HMO_{m}_IND"].strip().upper() in HMO_PART_C:
            contract = rec.get(f"PTC_CNTRCT_{mon}_ID", "").strip()
            state["part-c"] = (f"Medicare Advantage {contract}".strip(), dual)
        ptd = rec.get(f"PTD_CNTRCT_{mon}_ID", "").strip().upper()
        if len(ptd) == 5 and ptd[0] in "SHRE":
            state["part-d"] = (f"Medicare Part D {ptd}", dual)
        months.append(state)
    rows = []
    for kind in ("part-a", "part-b", "part-c", "part-d"):
        m = 0
        while m < 12:
            if kind not in months[m]:
                m += 1
                continue
            first, value = m, months[m][kind]
            while m + 1 < 12 and months[m + 1].get(kind) == value:
                m += 1
            start = date(year, first + 1, 1)
            end = (date(year + (m == 11), (m + 1) % 12 + 1, 1)) - timedelta(days=1)
            payer, dual = value
            rows.append(
                Row(
                    "Coverage",
                    f"{bene}:{kind}:{year}-{first + 1:02d}",
                    {
                        "kind": kind,
                        "payer": payer[:200],
                        "subscriber_id": mbi[:64],
                        "status": "active",
                        "start": start,
                        "end": end,
                        "dual_status": dual,
                        "qmb": dual in cs.DUAL_STATUS_QMB,
                        "derived": False,
                    },
                    {"patient": f"Patient/{bene}"},
                )
            )
            m += 1
    return rows


def _history(rec: Rec) -> tuple[list[Row], list[tuple[str, str]], list[list[str]]]:
    """Earlier MBIs/HICNs of a beneficiary: added to the Patient's identifiers (no row of its own)."""
    _required(rec, "BENE_ID")
    rif_date(rec["EFCTV_BGN_DT"], "EFCTV_BGN_DT")
    rif_date(rec["EFCTV_END_DT"], "EFCTV_END_DT")
    extra = []
    if rec["MBI_NUM"].strip():
        extra.append([cs.MBI, rec["MBI_NUM"].strip(), "MC-history"])
    if rec["BENE_CRNT_HIC_NUM"].strip():
        extra.append([HICN_SYSTEM, rec["BENE_CRNT_HIC_NUM"].strip(), "history"])
    return [], [], extra


# --- claims -------------------------------------------------------------------------------


def _grouped(
    header: list[str], records: list[tuple[int, Rec | None, list[str]]], key_column: str
) -> dict[str, list[tuple[int, Rec | None, list[str]]]]:
    groups: dict[str, list[tuple[int, Rec | None, list[str]]]] = {}
    for item in records:
        groups.setdefault(_key_of(header, item[2], key_column), []).append(item)
    return groups


def _claims(
    file: str, rtype: RifType, header: list[str], records: list[tuple[int, Rec | None, list[str]]]
) -> list[Unit]:
    key_column = "PDE_ID" if rtype.family == "pde" else "CLM_ID"
    mapper = _MAPPERS[rtype.family]
    units = []
    for key, items in _grouped(header, records, key_column).items():
        unit = Unit(file, items[0][0], f"Claim ({rtype.claim_type})", key, lines=len(items))
        good: list[tuple[int, Rec]] = []
        for n, rec, values in items:
            if rec is None:
                unit.errors.append((_where(file, n, rtype, key), _bad_width(header, values)))
            else:
                good.append((n, rec))
        if not key:
            unit.errors.append(
                ({**_where(file, items[0][0], rtype, key), "column": key_column}, "blank claim id")
            )
        if not unit.errors:
            try:
                unit.rows = [mapper(rtype, key, good)]
            except _LineError as exc:
                unit.errors.append(
                    (_field(_where(file, exc.line, rtype, key), exc.error), exc.error.message)
                )
        if unit.errors and len(items) > 1:
            unit.errors.append(
                (
                    {"file": file, "line": items[0][0], "record_type": rtype.name, "id": key},
                    f"claim {key} not stored: {len(unit.errors)} bad line(s); none of its "
                    f"{len(items)} lines were written",
                )
            )
        units.append(unit)
    return units


class _LineError(Exception):
    def __init__(self, line: int, error: FieldError) -> None:
        self.line = line
        self.error = error


def _npi(value: str) -> str:
    v = value.strip()
    return "" if not v or set(v) == {"0"} else v[:10]


def _diagnoses(rec: Rec, lines: list[Rec]) -> list[str]:
    codes = [rec["PRNCPAL_DGNS_CD"]]
    codes += [rec.get(f"ICD_DGNS_CD{i}", "") for i in range(1, 26)]
    codes += [rec.get("FST_DGNS_E_CD", "")]
    codes += [rec.get(f"ICD_DGNS_E_CD{i}", "") for i in range(1, 13)]
    codes += [line.get("LINE_ICD_DGNS_CD", "") for line in lines]
    return unique([icd(c) for c in codes])


def _claim_row(rtype: RifType, key: str, rec: Rec, fields: dict[str, Any]) -> Row:
    bene = _required(rec, "BENE_ID")
    base = {
        "resource_type": "ExplanationOfBenefit",
        "claim_type": rtype.claim_type,
        "status": "active",
        "procedure_codes": [],
        "place_of_service": "",
        "payer": "Medicare",
    }
    base.update(fields)
    return Row("Claim", f"{rtype.name.lower()}:{key}", base, {"patient": f"Patient/{bene}"})


def _per_line(items: list[tuple[int, Rec]], fn: Callable[[Rec], dict[str, Any]]) -> list[Any]:
    out = []
    for n, rec in items:
        try:
            out.append(fn(rec))
        except FieldError as exc:
            raise _LineError(n, exc) from None
    return out


def _professional(rtype: RifType, key: str, items: list[tuple[int, Rec]]) -> Row:
    items = sorted(
        items,
        key=lambda it: int(it[1]["LINE_NUM"] or 0) if it[1]["LINE_NUM"].strip().isdigit() else 0,
    )

    def line(r: Rec) -> dict[str, Any]:
        served = rif_date(r["LINE_1ST_EXPNS_DT"], "LINE_1ST_EXPNS_DT")
        code = r["HCPCS_CD"].strip()
        return {
            "code": code,
            "system": cs.HCPCS if code else "",
            "date": served.isoformat() if served else None,
            "units": number(r["LINE_SRVC_CNT"], "LINE_SRVC_CNT"),
            "amount": str(money(r["LINE_SBMTD_CHRG_AMT"], "LINE_SBMTD_CHRG_AMT") or ""),
            "pos": r["LINE_PLACE_OF_SRVC_CD"].strip(),
        }

    lines = _per_line(items, line)
    n, rec = items[0]
    try:
        npi = _npi(rec.get("CARR_CLM_BLG_NPI_NUM", "")) or _npi(
            rec.get("PRF_PHYSN_NPI", "") or rec.get("PRVDR_NPI", "")
        )
        return _claim_row(
            rtype,
            key,
            rec,
            {
                "start": rif_date(rec["CLM_FROM_DT"], "CLM_FROM_DT"),
                "end": rif_date(rec["CLM_THRU_DT"], "CLM_THRU_DT"),
                "diagnosis_codes": _diagnoses(rec, [r for _, r in items]),
                "line_codes": lines,
                "place_of_service": lines[0]["pos"][:10],
                "provider_npi": npi,
                "total_amount": money(
                    rec["NCH_CARR_CLM_SBMTD_CHRG_AMT"], "NCH_CARR_CLM_SBMTD_CHRG_AMT"
                ),
                "payment_amount": money(rec["CLM_PMT_AMT"], "CLM_PMT_AMT"),
            },
        )
    except FieldError as exc:
        raise _LineError(n, exc) from None


def _institutional(rtype: RifType, key: str, items: list[tuple[int, Rec]]) -> Row:
    items = sorted(
        items,
        key=lambda it: int(it[1]["CLM_LINE_NUM"]) if it[1]["CLM_LINE_NUM"].strip().isdigit() else 0,
    )

    def line(r: Rec) -> dict[str, Any]:
        served = rif_date(r.get("REV_CNTR_DT", ""), "REV_CNTR_DT")
        code = r["HCPCS_CD"].strip()
        return {
            "code": code,
            "system": cs.HCPCS if code else "",
            "date": served.isoformat() if served else None,
            "units": number(r.get("REV_CNTR_UNIT_CNT", ""), "REV_CNTR_UNIT_CNT"),
            "amount": str(money(r.get("REV_CNTR_TOT_CHRG_AMT", ""), "REV_CNTR_TOT_CHRG_AMT") or ""),
            "pos": "",
            "revenue_code": r["REV_CNTR"].strip(),
        }

    lines = _per_line(items, line)
    n, rec = items[0]
    try:
        procedures = []
        for i in range(1, 26):
            code = icd(rec.get(f"ICD_PRCDR_CD{i}", ""))
            if code:
                rif_date(rec.get(f"PRCDR_DT{i}", ""), f"PRCDR_DT{i}")
                procedures.append(code)
        return _claim_row(
            rtype,
            key,
            rec,
            {
                "start": rif_date(rec["CLM_FROM_DT"], "CLM_FROM_DT"),
                "end": rif_date(rec["CLM_THRU_DT"], "CLM_THRU_DT"),
                "diagnosis_codes": _diagnoses(rec, []),
                "procedure_codes": unique(procedures),
                "line_codes": lines,
                "provider_npi": _npi(rec["ORG_NPI_NUM"]),
                "total_amount": money(rec["CLM_TOT_CHRG_AMT"], "CLM_TOT_CHRG_AMT"),
                "payment_amount": money(rec["CLM_PMT_AMT"], "CLM_PMT_AMT"),
            },
        )
    except FieldError as exc:
        raise _LineError(n, exc) from None


def _pde(rtype: RifType, key: str, items: list[tuple[int, Rec]]) -> Row:
    n, rec = items[0]
    if len(items) > 1:
        raise _LineError(items[1][0], FieldError("PDE_ID", key, "duplicate Part D event id"))
    try:
        served = rif_date(rec["SRVC_DT"], "SRVC_DT")
        ndc = rec["PROD_SRVC_ID"].strip()
        total = money(rec["TOT_RX_CST_AMT"], "TOT_RX_CST_AMT")
        line = {
            "code": ndc,
            "system": NDC if ndc else "",
            "date": served.isoformat() if served else None,
            "units": number(rec["QTY_DSPNSD_NUM"], "QTY_DSPNSD_NUM"),
            "amount": str(total or ""),
            "pos": "",
            "days_supply": number(rec["DAYS_SUPLY_NUM"], "DAYS_SUPLY_NUM"),
        }
        npi = rec["SRVC_PRVDR_ID"] if rec["SRVC_PRVDR_ID_QLFYR_CD"].strip() == "01" else ""
        return _claim_row(
            rtype,
            key,
            rec,
            {
                "start": served,
                "end": served,
                "diagnosis_codes": [],
                "line_codes": [line],
                "payer": f"Medicare Part D {rec['PLAN_CNTRCT_REC_ID'].strip()}".strip(),
                "provider_npi": _npi(npi),
                "total_amount": total,
                "payment_amount": money(rec["CVRD_D_PLAN_PD_AMT"], "CVRD_D_PLAN_PD_AMT"),
            },
        )
    except FieldError as exc:
        raise _LineError(n, exc) from None


_MAPPERS: dict[str, Callable[[RifType, str, list[tuple[int, Rec]]], Row]] = {
    "professional": _professional,
    "institutional": _institutional,
    "pde": _pde,
}
_BUILDERS = {
    "beneficiary": _one_per_record("Patient", _beneficiary),
    "history": _one_per_record("BeneficiaryHistory", _history),
    "professional": _claims,
    "institutional": _claims,
    "pde": _claims,
}


def merge_history(units: list[Unit]) -> None:
    """Add beneficiary-history identifiers to the (last) Patient row of each beneficiary."""
    extra: dict[str, list[list[str]]] = {}
    for u in units:
        for ident in u.history:
            extra.setdefault(u.key, []).append(ident)
    if not extra:
        return
    for u in units:
        for row in u.rows:
            if row.model == "Patient" and row.source_id in extra:
                idents = row.fields["identifiers"]
                for ident in extra[row.source_id]:
                    if ident not in idents and [ident[0], ident[1], "MC"] not in idents:
                        idents.append(ident)
