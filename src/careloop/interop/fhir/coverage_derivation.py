"""Coverage derived from claims, for sources that carry no Coverage resources.

Synthea names the payer only on Claim/ExplanationOfBenefit `insurance` ("Medicare",
"Medicaid", "Dual Eligible", "Blue Cross Blue Shield", ...). For each patient of the run who
has no source Coverage, one derived Coverage per payer kind spans the first to the last
claim date, marked `derived=True`. "Medicare" (fee-for-service in Synthea) becomes Part B,
the part that care management bills (CCM-002).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import orjson
from django.db.models import Max, Min

from careloop.clinical import models as cm

from .mappers.common import Row
from .mappers.patient import kind_from_payer_text
from .report import COUNTS

if TYPE_CHECKING:
    from .report import Report
    from .writer import Writer

LABEL = "Coverage (derived from claims)"


def derive(writer: Writer, report: Report) -> None:
    patient_ids = sorted(writer.patient_ids)
    counts: dict[str, dict[str, int]] = {"Coverage": dict.fromkeys(COUNTS, 0)}
    for i in range(0, len(patient_ids), 500):
        chunk = patient_ids[i : i + 500]
        with_source = set(
            cm.Coverage.objects.filter(patient_id__in=chunk, derived=False).values_list(
                "patient_id", flat=True
            )
        )
        todo = [p for p in chunk if p not in with_source]
        if not todo:
            continue
        sids = dict(cm.Patient.objects.filter(pk__in=todo).values_list("id", "source_id"))
        spans: dict[tuple[int, str], list] = {}
        rows = (
            cm.Claim.objects.filter(patient_id__in=todo)
            .exclude(payer="")
            .values("patient_id", "payer")
            .annotate(first=Min("start"), last=Max("end"), last_start=Max("start"))
            .order_by("patient_id", "payer")
        )
        for r in rows:
            kind = kind_from_payer_text(r["payer"])
            if kind == "other":
                continue
            key = (r["patient_id"], kind)
            last = (
                max(d for d in (r["last"], r["last_start"]) if d)
                if (r["last"] or r["last_start"])
                else None
            )
            span = spans.setdefault(key, [r["first"], last, r["payer"]])
            span[0] = (
                min(d for d in (span[0], r["first"]) if d) if (span[0] or r["first"]) else None
            )
            span[1] = max(d for d in (span[1], last) if d) if (span[1] or last) else None
        out_rows: list[Row] = []
        hashes: list[str] = []
        for (pid, kind), (start, end, payer) in sorted(spans.items()):
            fields = {
                "kind": kind,
                "payer": payer[:200],
                "subscriber_id": "",
                "status": "active",
                "start": start,
                "end": end,
                "dual_status": "",
                "qmb": False,
                "derived": True,
            }
            sid = sids[pid]
            out_rows.append(
                Row("Coverage", f"derived:{sid}:{kind}", fields, {"patient": f"Patient/{sid}"})
            )
            hashes.append(
                hashlib.blake2b(orjson.dumps(fields, default=str), digest_size=16).hexdigest()
            )
        if out_rows:
            writer.write(out_rows, hashes, counts)
    c = counts["Coverage"]
    if any(c.values()):
        for k, v in c.items():
            report.count(LABEL, k, v)
