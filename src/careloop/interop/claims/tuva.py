"""Tuva input-layer CSVs: eligibility, medical_claim, pharmacy_claim, lab_result.

UTF-8 CSV with a header, empty string = null, ISO dates. The table is found from the header
(`layouts.TUVA_TABLES`); the 2023 legacy layout (`patient_id` for `person_id`) reads the same.
`medical_claim` holds one row per claim line: rows are grouped by `claim_id`, and a claim is
stored whole or not at all. Claim type: professional → carrier; institutional by bill type
(11x/12x inpatient, 18x/21x/22x SNF, 32x-34x home health, 81x/82x hospice, else outpatient).
`diagnosis_code_type` is not trusted (the 10-member set labels ICD-10-CM codes `icd-10-pcs`).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from careloop.core import codesystems as cs
from careloop.interop.fhir.mappers.common import Row

from .common import FieldError, Problem, Unit, icd, money, number, unique
from .dates import iso_date
from .layouts import TUVA_NOT_IMPORTED, TUVA_TABLES
from .rif import NDC

Rec = dict[str, str]
GENDER = {"male": "male", "female": "female", "unknown": "unknown", "": ""}
BILL_TYPES = {
    "11": "inpatient",
    "12": "inpatient",
    "18": "snf",
    "21": "snf",
    "22": "snf",
    "32": "home_health",
    "33": "home_health",
    "34": "home_health",
    "81": "hospice",
    "82": "hospice",
}
MEMBER_SYSTEM = "https://thetuvaproject.com/member_id"


def _table(header: list[str], name: str) -> tuple[str, bool]:
    cols = set(header)
    for table, sig in TUVA_TABLES.items():
        if sig <= cols:
            return table, True
    for table, sig in TUVA_NOT_IMPORTED.items():
        if sig <= cols:
            return table, False
    return "", False


def read(path: Path) -> tuple[list[Unit], list[Problem]]:
    file = str(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        text = raw.decode("utf-8-sig")
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        return [], [Problem({"file": file}, f"cannot read file (truncated or corrupt?): {exc}")]
    except UnicodeDecodeError as exc:
        return [], [Problem({"file": file}, f"not UTF-8 text: {exc}")]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    table, supported = _table(header, path.name)
    rows: list[tuple[int, Rec | None, list[str]]] = []
    for values in reader:
        if not values or values == [""]:
            continue
        n = reader.line_num
        rows.append(
            (
                n,
                dict(zip(header, values, strict=True)) if len(values) == len(header) else None,
                values,
            )
        )
    if not table:
        return [], [
            Problem(
                {"file": file, "line": 1},
                "unknown column layout: the header matches no Tuva input-layer table "
                f"(eligibility, medical_claim, pharmacy_claim, lab_result); it starts "
                f"{','.join(header[:6])!r}",
                skipped=len(rows),
                label="(unknown)",
            )
        ]
    if not supported:
        return [], [
            Problem(
                {"file": file, "table": table},
                f"Tuva table {table!r} is not imported by careloop; {len(rows)} row(s) skipped",
                error=False,
                skipped=len(rows),
                label=f"tuva {table}",
            )
        ]
    person = "person_id" if "person_id" in header else "patient_id"
    return _BUILDERS[table](file, table, header, person, rows), []


def _where(file: str, line: int, table: str, key: str) -> dict[str, Any]:
    return {"file": file, "line": line, "table": table, "id": key}


def _bad_width(header: list[str], values: list[str]) -> str:
    return (
        f"wrong column count: expected {len(header)} columns, got {len(values)} "
        "(truncated line or unquoted comma?)"
    )


def _required(rec: Rec, column: str) -> str:
    v = rec[column].strip()
    if not v:
        raise FieldError(column, rec[column], "required value is blank")
    return v


def _units(
    file: str,
    table: str,
    header: list[str],
    rows: list[tuple[int, Rec | None, list[str]]],
    key_column: str,
    label: Callable[[Rec], str],
    build: Callable[[str, list[Rec]], list[Row]],
    phase: int,
) -> list[Unit]:
    """Group rows by `key_column` and build one unit per group, all lines or none."""
    i = header.index(key_column)
    groups: dict[str, list[tuple[int, Rec | None, list[str]]]] = {}
    for item in rows:
        groups.setdefault(item[2][i].strip() if i < len(item[2]) else "", []).append(item)
    units = []
    for key, items in groups.items():
        first = next((r for _n, r, _v in items if r is not None), None)
        unit = Unit(
            file, items[0][0], label(first) if first else table, key, lines=len(items), phase=phase
        )
        for n, rec, values in items:
            if rec is None:
                unit.errors.append((_where(file, n, table, key), _bad_width(header, values)))
        if not key:
            unit.errors.append(
                ({**_where(file, items[0][0], table, key), "column": key_column}, "blank id")
            )
        if not unit.errors:
            recs = [r for _n, r, _v in items if r is not None]
            try:
                unit.rows = build(key, recs)
            except _RowError as exc:
                line = items[exc.index][0]
                unit.errors.append(
                    (
                        {**_where(file, line, table, key), "column": exc.error.column,
                         "value": exc.error.value},
                        exc.error.message,
                    )
                )  # fmt: skip
        if unit.errors and len(items) > 1:
            unit.errors.append(
                (
                    _where(file, items[0][0], table, key),
                    f"claim {key} not stored: {len(unit.errors)} bad line(s); none of its "
                    f"{len(items)} lines were written",
                )
            )
        units.append(unit)
    return units


class _RowError(Exception):
    def __init__(self, index: int, error: FieldError) -> None:
        self.index = index
        self.error = error


def _each(recs: list[Rec], fn: Callable[[Rec], Any]) -> list[Any]:
    out = []
    for i, r in enumerate(recs):
        try:
            out.append(fn(r))
        except FieldError as exc:
            raise _RowError(i, exc) from None
    return out


# --- eligibility --------------------------------------------------------------------------


def _dual(value: str) -> str:
    """`1.0`, `2`, `02` → `01`, `02`; blank → ""."""
    v = value.strip()
    if not v:
        return ""
    try:
        n = int(float(v))
    except ValueError:
        raise FieldError("dual_status_code", value, "not a dual status code") from None
    return f"{n:02d}"


def _coverage_kind(rec: Rec) -> str:
    payer_type = (rec.get("payer_type") or rec.get("payer") or "").strip().lower()
    plan = (rec.get("plan") or "").lower()
    if payer_type == "medicare":
        return "part-c" if "advantage" in plan else "part-b"
    return {"medicaid": "medicaid", "commercial": "private"}.get(payer_type, "other")


def _eligibility(file: str, table: str, header: list[str], person: str, rows: list) -> list[Unit]:
    def build(key: str, recs: list[Rec]) -> list[list[Row]]:
        return _each(recs, lambda r: _eligibility_rows(r, person))

    units = []
    for n, rec, values in rows:
        # one unit per enrollment span (Patient and Coverage together)
        units += _units(file, table, header, [(n, rec, values)], person, lambda r: "Patient",
                        lambda k, recs: [row for rs in build(k, recs) for row in rs], 0)  # fmt: skip
    return units


def _eligibility_rows(rec: Rec, person: str) -> list[Row]:
    pid = _required(rec, person)
    gender = rec["gender"].strip().lower()
    if gender not in GENDER:
        raise FieldError("gender", rec["gender"], "expected male, female or unknown")
    death = iso_date(rec.get("death_date", ""), "death_date")
    orec = rec.get("original_reason_entitlement_code", "").strip()
    if orec.endswith(".0"):
        orec = orec[:-2]
    if orec not in ("", "0", "1", "2", "3"):
        raise FieldError("original_reason_entitlement_code", orec, "expected 0, 1, 2 or 3")
    member = rec.get("member_id", "").strip()
    idents = [[MEMBER_SYSTEM, member, ""]] if member else []
    start = iso_date(_required(rec, "enrollment_start_date"), "enrollment_start_date")
    end = iso_date(rec["enrollment_end_date"], "enrollment_end_date")
    if start and end and end < start:
        raise FieldError("enrollment_end_date", rec["enrollment_end_date"], "before the start date")
    dual = _dual(rec.get("dual_status_code", ""))
    patient = Row(
        "Patient",
        pid,
        {
            "mrn": "",
            "mbi": "",
            "identifiers": idents,
            "family_name": rec.get("last_name", "").strip()[:100],
            "given_name": rec.get("first_name", "").strip()[:100],
            "birth_date": iso_date(rec["birth_date"], "birth_date"),
            "gender": GENDER[gender],
            "deceased": death is not None or rec.get("death_flag", "").strip() == "1",
            "deceased_date": death,
            "address_line": rec.get("address", "").strip()[:300],
            "city": rec.get("city", "").strip()[:100],
            "state": rec.get("state", "").strip()[:50],
            "postal_code": rec.get("zip_code", "").strip()[:20],
            "phone": rec.get("phone", "").strip()[:50],
            "language": "",
            "orec": orec,
        },
    )
    payer = rec.get("payer", "").strip()
    coverage = Row(
        "Coverage",
        f"{pid}:{payer}:{rec.get('plan', '').strip()}:{start}",
        {
            "kind": _coverage_kind(rec),
            "payer": payer[:200],
            "subscriber_id": (rec.get("subscriber_id", "") or member).strip()[:64],
            "status": "active",
            "start": start,
            "end": end,
            "dual_status": dual,
            "qmb": dual in cs.DUAL_STATUS_QMB,
            "derived": False,
        },
        {"patient": f"Patient/{pid}"},
    )
    return [patient, coverage]


# --- claims -------------------------------------------------------------------------------


def _claim_type(rec: Rec) -> str:
    if rec["claim_type"].strip().lower() == "professional":
        return "carrier"
    if rec["claim_type"].strip().lower() != "institutional":
        return "other"
    return BILL_TYPES.get(rec.get("bill_type_code", "").strip()[:2], "outpatient")


def _medical(file: str, table: str, header: list[str], person: str, rows: list) -> list[Unit]:
    def build(key: str, recs: list[Rec]) -> list[Row]:
        recs = sorted(
            recs,
            key=lambda r: (
                int(r["claim_line_number"] or 0) if r["claim_line_number"].strip().isdigit() else 0
            ),
        )

        def line(r: Rec) -> dict[str, Any]:
            served = iso_date(r.get("claim_line_start_date", ""), "claim_line_start_date")
            code = r["hcpcs_code"].strip()
            return {
                "code": code,
                "system": cs.HCPCS if code else "",
                "date": served.isoformat() if served else None,
                "units": number(r.get("service_unit_quantity", ""), "service_unit_quantity"),
                "amount": str(money(r.get("charge_amount", ""), "charge_amount") or ""),
                "pos": r.get("place_of_service_code", "").strip(),
                "revenue_code": r.get("revenue_center_code", "").strip(),
            }

        lines = _each(recs, line)
        paid = _each(recs, lambda r: money(r["paid_amount"], "paid_amount"))
        charge = _each(recs, lambda r: money(r.get("charge_amount", ""), "charge_amount"))
        head = recs[0]

        def claim(r: Rec) -> Row:
            dx = unique([icd(x.get(f"diagnosis_code_{i}", "")) for x in recs for i in range(1, 26)])
            px = unique([icd(x.get(f"procedure_code_{i}", "")) for x in recs for i in range(1, 26)])
            ctype = _claim_type(r)
            return Row(
                "Claim",
                f"medical:{key}",
                {
                    "resource_type": "ExplanationOfBenefit",
                    "claim_type": ctype,
                    "status": "active",
                    "start": iso_date(r["claim_start_date"], "claim_start_date"),
                    "end": iso_date(r["claim_end_date"], "claim_end_date"),
                    "diagnosis_codes": dx,
                    "procedure_codes": px,
                    "line_codes": lines,
                    "place_of_service": next((ln["pos"] for ln in lines if ln["pos"]), "")[:10],
                    "payer": (r.get("payer", "") or "medicare").strip()[:100],
                    "provider_npi": (
                        r.get("facility_npi", "")
                        if ctype != "carrier"
                        else r.get("billing_npi", "") or r.get("rendering_npi", "")
                    ).strip()[:10],
                    "total_amount": _sum(charge),
                    "payment_amount": _sum(paid),
                },
                {"patient": f"Patient/{_required(r, person)}"},
            )

        return _each([head], claim)

    return _units(
        file, table, header, rows, "claim_id", lambda r: f"Claim ({_claim_type(r)})", build, 1
    )


def _sum(amounts: list[Any]) -> Any:
    present = [a for a in amounts if a is not None]
    return sum(present) if present else None


def _pharmacy(file: str, table: str, header: list[str], person: str, rows: list) -> list[Unit]:
    def build(key: str, recs: list[Rec]) -> list[Row]:
        def line(r: Rec) -> dict[str, Any]:
            served = iso_date(r["dispensing_date"], "dispensing_date")
            ndc = r["ndc_code"].strip()
            return {
                "code": ndc,
                "system": NDC if ndc else "",
                "date": served.isoformat() if served else None,
                "units": number(r.get("quantity", ""), "quantity"),
                "amount": str(money(r.get("paid_amount", ""), "paid_amount") or ""),
                "pos": "",
                "days_supply": number(r.get("days_supply", ""), "days_supply"),
            }

        lines = _each(recs, line)
        paid = _each(recs, lambda r: money(r["paid_amount"], "paid_amount"))
        allowed = _each(recs, lambda r: money(r.get("allowed_amount", ""), "allowed_amount"))
        head = recs[0]
        dates = [ln["date"] for ln in lines if ln["date"]]
        return _each(
            [head],
            lambda r: Row(
                "Claim",
                f"pharmacy:{key}",
                {
                    "resource_type": "ExplanationOfBenefit",
                    "claim_type": "part_d",
                    "status": "active",
                    "start": iso_date(min(dates), "dispensing_date") if dates else None,
                    "end": iso_date(max(dates), "dispensing_date") if dates else None,
                    "diagnosis_codes": [],
                    "procedure_codes": [],
                    "line_codes": lines,
                    "place_of_service": "",
                    "payer": (r.get("payer", "") or "medicare").strip()[:100],
                    "provider_npi": r.get("dispensing_provider_npi", "").strip()[:10],
                    "total_amount": _sum(allowed),
                    "payment_amount": _sum(paid),
                },
                {"patient": f"Patient/{_required(r, person)}"},
            ),
        )

    return _units(file, table, header, rows, "claim_id", lambda r: "Claim (part_d)", build, 1)


# --- lab results --------------------------------------------------------------------------


def _instant(value: str, column: str) -> datetime | None:
    d = iso_date(value, column)
    if d is None:
        return None
    v = value.strip().replace("T", " ")
    try:
        t = datetime.strptime(v[:19], "%Y-%m-%d %H:%M:%S") if len(v) >= 19 else None
    except ValueError:
        raise FieldError(column, value, "not a date-time: expected YYYY-MM-DD HH:MM:SS") from None
    return (t or datetime(d.year, d.month, d.day)).replace(tzinfo=UTC)


def _lab(file: str, table: str, header: list[str], person: str, rows: list) -> list[Unit]:
    def build(key: str, recs: list[Rec]) -> list[Row]:
        def obs(r: Rec) -> Row:
            code = (r.get("normalized_component_code") or r.get("source_component_code") or
                    r.get("normalized_order_code") or r.get("source_order_code") or "").strip()  # fmt: skip
            kind = (r.get("normalized_component_type") or r.get("source_component_type") or
                    r.get("normalized_order_type") or r.get("source_order_type") or "").strip()  # fmt: skip
            display = (r.get("normalized_component_description") or r.get("source_component_description")
                       or r.get("normalized_order_description") or r.get("source_order_description") or "")  # fmt: skip
            if not code:
                raise FieldError("source_order_code", "", "no test code (order or component)")
            system = cs.LOINC if kind.lower() == "loinc" else kind
            result = r["result"].strip()
            try:
                value = float(result) if result else None
                text = ""
            except ValueError:
                value, text = None, result
            unit = (r.get("normalized_units") or r.get("source_units") or "").strip()
            return Row(
                "Observation",
                f"lab:{key}",
                {
                    "system": system[:200],
                    "code": code[:64],
                    "display": display.strip()[:300],
                    "codings": [[system, code, display.strip()]],
                    "category": "laboratory",
                    "status": {"F": "final", "P": "preliminary", "C": "corrected"}.get(
                        r.get("status", "").strip().upper(), r.get("status", "").strip().lower()
                    )[:20],
                    "effective": _instant(
                        r.get("result_datetime") or r.get("collection_datetime") or "",
                        "result_datetime",
                    ),
                    "value": value,
                    "unit": unit[:40],
                    "value_text": text[:300],
                    "components": [],
                },
                {"patient": f"Patient/{_required(r, person)}"},
            )

        return _each(recs, obs)

    return _units(file, table, header, rows, "lab_result_id", lambda r: "Observation", build, 1)


_BUILDERS = {
    "eligibility": _eligibility,
    "medical_claim": _medical,
    "pharmacy_claim": _pharmacy,
    "lab_result": _lab,
}
