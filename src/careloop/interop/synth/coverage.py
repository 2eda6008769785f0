"""Medicare entitlement and coverage of a generated patient, and their Coverage resources.

One Coverage per Medicare part the patient has (`COVERAGE_KIND` part-a ... part-d, medicaid),
status active, period start and, when it ended (or the patient died), end. The payor is the
MA plan's Organization for Part C (and MA-PD Part D), else the display "Centers for Medicare
and Medicaid Services"; Medicaid names the state. Duals carry `DUAL_STATUS_EXT` with the CMS
dual status code. The MBI has the CMS format (e.g. 1EG4-TE5-MK73, without the dashes).
"""

from __future__ import annotations

import math
import random

from orjson import Fragment

from careloop.core.codesystems import COVERAGE_KIND, DUAL_STATUS_EXT

from . import population as pop
from .population import randint, randrange
from .templates import frag

CMS = frag({"display": "Centers for Medicare and Medicaid Services"})
_SELF = {
    "coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/subscriber-relationship", "code": "self"}
    ]
}
_KIND = {
    code: {"coding": [{"system": COVERAGE_KIND, "code": code, "display": display}]}
    for code, display in (
        ("part-a", "Medicare Part A"),
        ("part-b", "Medicare Part B"),
        ("part-c", "Medicare Advantage (Part C)"),
        ("part-d", "Medicare Part D"),
        ("medicaid", "Medicaid"),
    )
}
_DUAL = pop.Weighted(pop.DUAL_STATUS_WEIGHTS)
_PART_IDS = {"part-a": "v1", "part-b": "v2", "part-c": "v3", "part-d": "v4", "medicaid": "v5"}

# MBI character classes (CMS MBI format): C = 1-9, N = 0-9, A = letters without S L O I B Z.
_LETTERS = "ACDEFGHJKMNPQRTUVWXY"
_ALNUM = "0123456789" + _LETTERS
_MBI_TAIL = (
    (10, "0123456789"),
    (20, _LETTERS),
    (30, _ALNUM),
    (10, "0123456789"),
    (20, _LETTERS),
    (20, _LETTERS),
    (10, "0123456789"),
    (10, "0123456789"),
)
_MBI_SPACE = math.prod(size for size, _ in _MBI_TAIL)


def mbi(seed: int, index: int, rng: random.Random) -> str:
    """A realistic-format, fake MBI, unique per (seed, index): positions 4-11 encode a
    bijection of the index; positions 1-3 are random."""
    value = (index * 1_000_003 + seed * 7_919) % _MBI_SPACE
    tail = []
    for size, chars in reversed(_MBI_TAIL):
        value, r = divmod(value, size)
        tail.append(chars[r])
    head = rng.choice("123456789") + rng.choice(_LETTERS) + rng.choice(_ALNUM)
    return head + "".join(reversed(tail))


def draw(p) -> None:
    """Entitlement dates, Medicare Advantage, Part D and dual status of patient `p`."""
    rng, W = p.rng, p.ctx.clock.days
    age65 = p.birth_day + 65 * 365 + 16
    if p.orec == "0":
        start = age65
    elif p.orec in ("2", "3"):
        start = W - randint(rng, 90, 8 * 365)
    else:
        start = p.birth_day + randint(rng, max(p.age - 20, 22), max(p.age - 1, 23)) * 365
    p.medicare_start = min(start, W - 30)
    p.part_b_start = p.medicare_start + (365 * randint(rng, 1, 3) if rng.random() < 0.04 else 0)
    p.part_b_start = min(p.part_b_start, W - 30)
    p.first_day = max(0, p.part_b_start)
    p.ma = rng.random() < pop.MA_SHARE
    p.ma_start = p.ma_end = None
    if p.ma:
        if rng.random() < pop.SWITCHED_TO_MA_SHARE / pop.MA_SHARE:
            p.ma_start = randint(rng, max(p.first_day, 0), W - 30)
        else:
            p.ma_start = max(p.medicare_start, W - randint(rng, 60, 12 * 365))
        if rng.random() < 0.05:
            p.ma_end = min(p.ma_start + randint(rng, 180, 900), W - 30)
    p.part_d = rng.random() < (pop.MA_PD_SHARE if p.ma else pop.PART_D_SHARE_FFS)
    dual_share = pop.DUAL_SHARE_DISABLED if p.disabled else pop.DUAL_SHARE_AGED
    p.dual = _DUAL.pick(rng)[0] if rng.random() < dual_share else None
    p.medicaid_start = p.medicare_start - randint(rng, 0, 5 * 365) if p.dual else None
    if p.ma:
        p.ma_plan = (
            p.ctx.ma_plans[3]
            if p.dual in ("02", "04", "08") and rng.random() < 0.5
            else p.ctx.ma_plans[randrange(rng, 3)]
        )


def payer_on(p, day: int, kind: str) -> tuple[Fragment, Fragment]:
    """(Coverage reference, insurer) of a claim of `kind` on `day`."""
    if p.ma and p.ma_start <= day and (p.ma_end is None or day <= p.ma_end):
        return p.coverage_refs["part-c"], p.ma_plan
    part = "part-a" if kind in ("INPATIENT", "SNF", "HHA") else "part-b"
    return p.coverage_refs[part], CMS


def emit(p) -> None:
    """Write the Coverage resources of patient `p` (none that would start after death)."""
    clock = p.ctx.clock
    death = p.death_day
    refs = {}

    def add(part: str, start: int, payor, stop: int | None = None, extension=None) -> None:
        if death is not None:
            if start > death:
                return
            stop = death if stop is None else min(stop, death)
        cid = f"{p.pid}-{_PART_IDS[part]}"
        period = {"start": clock.date(start)}
        if stop is not None:
            period["end"] = clock.date(stop)
        res = {
            "resourceType": "Coverage",
            "id": cid,
            "status": "active",
            "type": _KIND[part],
            "subscriberId": p.mbi,
            "beneficiary": p.ref,
            "relationship": _SELF,
            "period": period,
            "payor": [payor],
        }
        if extension:
            res["extension"] = extension
        p.emit("Coverage", res)
        refs[part] = frag({"reference": f"Coverage/{cid}"})

    add("part-a", p.medicare_start, CMS)
    add("part-b", p.part_b_start, CMS)
    if p.ma:
        add("part-c", p.ma_start, p.ma_plan, p.ma_end)
    if p.part_d:
        start = max(p.ma_start if p.ma else p.medicare_start, p.medicare_start)
        add("part-d", start, p.ma_plan if p.ma else CMS)
    if p.dual:
        medicaid = {"display": f"{p.region.state} Medicaid"}
        add(
            "medicaid",
            p.medicaid_start,
            medicaid,
            None,
            [{"url": DUAL_STATUS_EXT, "valueCode": p.dual}],
        )
    p.coverage_refs = refs
