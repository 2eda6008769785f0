"""Acute stays and what follows them: readmissions, SNF stays, home health, TCM visits.

A stay admitted through the ED has its ED encounter (`partOf` the stay) and
`admitSource` emd (LACE "A"); hemoglobin and sodium are drawn on the discharge day (and on
admission for stays of 3+ days), for the HOSPITAL score (§5.5, §5.6). Readmissions follow a
discharge within 2-29 days with the patient's readmission probability, so they concentrate
in the super-utilizers (§5.3, UTL-002).
"""

from __future__ import annotations

from math import exp

from . import record
from . import templates as T
from .codes import ACUTE_INPATIENT, EXACERBATION, PCS
from .events import Events
from .population import Weighted, randint, randrange

LENGTH_OF_STAY = Weighted(
    (
        (1, 0.12),
        (2, 0.18),
        (3, 0.18),
        (4, 0.14),
        (5, 0.11),
        (6, 0.08),
        (7, 0.06),
        (9, 0.06),
        (12, 0.04),
        (16, 0.02),
        (22, 0.01),
    )
)
DISPOSITION = Weighted(
    (("home", 0.62), ("hh", 0.17), ("snf", 0.15), ("rehab", 0.02), ("aadvice", 0.04))
)
PRO_ALLOWED = {
    "99212": 57.0, "99213": 92.0, "99214": 131.0, "99215": 184.0, "G0438": 174.0, "G0439": 134.0,
    "99495": 201.0, "99496": 272.0, "99282": 45.0, "99283": 75.0, "99284": 128.0, "99285": 180.0,
    "99222": 138.0, "99223": 204.0, "99239": 109.0,
}  # fmt: skip
ED_ALLOWED = {"99282": 210.0, "99283": 380.0, "99284": 640.0, "99285": 960.0}


class Stays(Events):
    def stays(self, years: float) -> None:
        p = self.p
        rng = p.rng
        n = poisson(rng, p.ip_rate * years)
        starts = sorted(randint(rng, p.first_day, p.last_day) for _ in range(n))
        cursor = p.first_day
        death_stay = p.death_day is not None and rng.random() < 0.4
        for start in starts:
            chain = 0
            day = max(start, cursor)
            while day <= p.last_day and chain < 4:
                discharge = self.stay(day, rng.random() < p.ed_admit_share, None)
                if discharge is None:
                    break
                cursor = discharge + 1
                if rng.random() >= p.readmit_prob:
                    break
                day = discharge + randint(rng, 2, 29)
                chain += 1
            cursor = max(cursor, day)
        if death_stay:
            los = LENGTH_OF_STAY.pick(rng)[0]
            start = p.death_day - los
            if start >= cursor and start >= p.first_day:
                self.stay(start, True, p.death_day)

    def stay(self, day: int, via_ed: bool, death: int | None) -> int | None:
        """An acute stay admitted on `day`; returns the discharge day (None if none fits)."""
        p = self.p
        rng = p.rng
        clock = self.clock
        region = p.region
        tz = p.tz
        los = LENGTH_OF_STAY.pick(rng)[0] if death is None else death - day
        discharge = day + los
        if death is None and discharge > p.last_day:
            if day + 1 > p.last_day:
                return None
            discharge = p.last_day  # still in hospital at the end: discharged before as-of
            los = discharge - day
        self.busy.append((day, discharge))
        hospitalist = region.hospitalists[randrange(rng, len(region.hospitalists))]
        exacerbations = [
            c.key for c in p.chronic if c.key in EXACERBATION
        ]  # a list: set order varies by process
        if exacerbations and rng.random() < 0.55:
            principal = EXACERBATION[exacerbations[randrange(rng, len(exacerbations))]][0]
        else:
            principal = ACUTE_INPATIENT[randrange(rng, len(ACUTE_INPATIENT))][0]
        diagnoses = [principal, *[c for c in self.dx(day, 8) if c != principal]]
        admit_minute = randint(rng, 0, 1439)
        stay_id = p.next_id("e")
        first, last = clock.dates[day], clock.dates[discharge]
        if via_ed:
            ed_start = max(admit_minute - randint(rng, 180, 420), 0)
            level = "99285" if rng.random() < 0.6 else "99284"
            physician = region.emergency[randrange(rng, len(region.emergency))]
            ed = self.encounter(
                "EMER",
                level,
                clock.instant(day, ed_start, tz),
                clock.instant(day, admit_minute, tz),
                physician,
                region.hospital,
                region.ed_location,
                diagnoses[:1],
                part_of=T.frag({"reference": f"Encounter/{stay_id}"}),
            )
            self.vital_signs(ed, clock.instant(day, ed_start + 10, tz), False)
            self.claim(
                "CARRIER", day, day, region.hospital, physician, diagnoses[:3],
                [(level, None, first, PRO_ALLOWED[level], 1)], "23", ed,
            )  # fmt: skip
        key = "exp" if death is not None else DISPOSITION.pick(rng)[0]
        discharge_minute = randint(rng, 10 * 60, 16 * 60)
        hospitalization = {
            "admitSource": T.ADMIT["emd" if via_ed else "mp"],
            "dischargeDisposition": T.DISCHARGE[key],
        }
        enc = self.encounter(
            "IMP",
            "inpatient",
            clock.instant(day, admit_minute, tz),
            clock.instant(discharge, discharge_minute, tz),
            hospitalist,
            region.hospital,
            region.hospital_location,
            diagnoses[:1],
            hospitalization,
            eid=stay_id,
        )
        if los >= 3:
            when = clock.instant(day, admit_minute + 60, tz)
            self.measure("hemoglobin", round(p.hgb0 + rng.gauss(-0.6, 0.8), 1), enc, when)
            self.measure("sodium", round(rng.gauss(136, 4)), enc, when)
        when = clock.instant(discharge, discharge_minute - 180, tz)
        self.measure("hemoglobin", round(p.hgb0 + rng.gauss(-0.4, 0.9), 1), enc, when)
        self.measure("sodium", round(rng.gauss(137, 3.5)), enc, when)
        procedures = None
        if rng.random() < 0.35:
            code, display = PCS[randrange(rng, len(PCS))]
            performed = clock.dates[min(day + 1, discharge)]
            procedures = [(code, display, performed)]
            record.procedure(p, code, performed, enc, display)
        record.encounter_diagnosis(p, principal, first, discharge + 14, enc)
        days = max(los, 1)
        lines: list[tuple[str | None, str, str, float, int]] = [
            (None, "0120", first, 1800.0 * days, days),
            (None, "0250", first, 900.0 + 150.0 * los, 1),
            (None, "0300", first, 450.0, 1),
        ]
        if via_ed:
            lines.append(("99285", "0450", first, ED_ALLOWED["99285"], 1))
        self.claim(
            "INPATIENT",
            day,
            discharge,
            region.hospital,
            hospitalist,
            diagnoses,
            lines,
            "21",
            enc,
            procedures,
        )
        self.claim(
            "CARRIER", day, discharge, region.hospital, hospitalist, diagnoses[:4],
            [("99223", None, first, PRO_ALLOWED["99223"], 1), ("99239", None, last, PRO_ALLOWED["99239"], 1)],
            "21", enc,
        )  # fmt: skip
        if key == "snf":
            self.snf_stay(discharge, principal)
        elif key in ("home", "hh"):
            if key == "hh":
                self.home_health(discharge + 1, principal)
            self.tcm_visit(discharge)
        return discharge

    def snf_stay(self, day: int, principal: str) -> None:
        p = self.p
        clock = self.clock
        region = p.region
        end = min(day + randint(p.rng, 7, 30), p.last_day)
        if end <= day:
            return
        self.busy.append((day, end))
        hospitalization = {
            "admitSource": T.ADMIT["hosp-trans"],
            "dischargeDisposition": T.DISCHARGE["home"],
        }
        enc = self.encounter(
            "NONAC", "snf", clock.instant(day, 15 * 60, p.tz), clock.instant(end, 11 * 60, p.tz),
            p.pcp, region.snf, region.snf_location, [principal], hospitalization,
        )  # fmt: skip
        self.vital_signs(enc, clock.instant(day, 16 * 60, p.tz), True)
        days = end - day
        self.claim(
            "SNF", day, end, region.snf, p.pcp, [principal, *self.dx(day, 5)],
            [(None, "0191", clock.dates[day], 560.0 * days, days)], "31", enc,
        )  # fmt: skip
        self.tcm_visit(end)

    def home_health(self, day: int, principal: str) -> None:
        p = self.p
        clock = self.clock
        if day > p.last_day:
            return
        end = min(day + 29, p.last_day)
        enc = self.encounter(
            "HH", "hh", clock.instant(day, 10 * 60, p.tz), clock.instant(end, 11 * 60, p.tz),
            p.pcp, p.region.hha, p.practice.location, [principal],
        )  # fmt: skip
        visits = max(1, (end - day) // 4)
        self.claim(
            "HHA", day, end, p.region.hha, p.pcp, [principal, *self.dx(day, 4)],
            [(None, "0551", clock.dates[day], 2100.0 * (end - day + 1) / 30, visits)], "12", enc,
        )  # fmt: skip

    def tcm_visit(self, discharge: int) -> None:
        """The face-to-face TCM visit, for about 45% of discharges to the community."""
        p = self.p
        rng = p.rng
        if rng.random() >= 0.45:
            return
        day = self.clock.weekday_on_or_after(discharge + randint(rng, 3, 14))
        if day > p.last_day or not self.free(day):
            return
        code = "99496" if day - discharge <= 7 else "99495"
        self.ambulatory(day, code, "AMB", [*self.dx(day, 3), "Z09"])

    def ambulatory(self, day: int, code: str, cls: str, diagnoses: list[str]) -> None:
        raise NotImplementedError  # care.Care


def poisson(rng, lam: float) -> int:
    """A Poisson draw (Knuth's method; the rates here are small)."""
    if lam <= 0:
        return 0
    limit = exp(-lam)
    k = 0
    prod = rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k
