"""Coverage derived from claims, for sources that carry no Coverage resources.

For each patient of the run who has no source Coverage, the rule of ``coverage_spans`` (one
span per payer kind, shared with the NDJSON snapshot) gives the derived Coverage rows, written
through the run's writer and marked ``derived=True``.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import orjson
from django.db.models import Max, Min

from careloop.clinical import models as cm

from .coverage_spans import ClaimPayerDates, coverage_spans
from .mappers.common import Row
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
        rows = (
            cm.Claim.objects.filter(patient_id__in=todo)
            .exclude(payer="")
            .values_list("patient_id", "payer")
            .annotate(first=Min("start"), last=Max("end"), last_start=Max("start"))
            .order_by("patient_id", "payer")
        )
        spans = coverage_spans(ClaimPayerDates(*r) for r in rows)
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
