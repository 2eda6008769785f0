"""One patient's care over the window: stays, ED visits, primary-care visits, screenings.

Rates follow `population.py` (utilization). Stays come first (`stays.py`: admissions,
readmissions, the SNF stay or home-health episode and the TCM visit after discharge), then
ED visits and primary-care visits on days free of stays, then cancer screenings. Every
encounter gets its claims.
"""

from __future__ import annotations

from . import record
from .codes import ACUTE_ED, ED_LEVELS, OFFICE_VISITS
from .population import Weighted, randint, randrange
from .stays import ED_ALLOWED, PRO_ALLOWED, Stays, poisson

OFFICE = Weighted(OFFICE_VISITS)
ED_LEVEL = Weighted(ED_LEVELS)
WELLNESS = frozenset({"G0438", "G0439"})
SCREENING_ALLOWED = {"G0121": 360.0, "45378": 380.0, "81528": 509.0, "82274": 21.0, "77067": 135.0}


class Care(Stays):
    def build(self) -> None:
        p = self.p
        years = max(p.last_day - p.first_day + 1, 0) / 365.0
        if years <= 0:
            return
        self.stays(years)
        self.ed_visits(years)
        self.primary_care()
        self.screenings()

    def ed_visits(self, years: float) -> None:
        """ED visits that did not lead to an admission; one in ten goes on to an observation stay."""
        p = self.p
        rng = p.rng
        clock = self.clock
        region = p.region
        tz = p.tz
        for _ in range(poisson(rng, p.ed_rate * years)):
            day = randint(rng, p.first_day, p.last_day)
            if not self.free(day):
                continue
            level = ED_LEVEL.pick(rng)[0]
            start = randint(rng, 0, 1439)
            end = start + randint(rng, 120, 360)
            reason = ACUTE_ED[randrange(rng, len(ACUTE_ED))][0]
            diagnoses = [reason, *self.dx(day, 3)]
            physician = region.emergency[randrange(rng, len(region.emergency))]
            observation = rng.random() < 0.1 and day + 3 <= p.last_day
            enc = self.encounter(
                "EMER", level, clock.instant(day, start, tz), clock.instant(day, end, tz),
                physician, region.hospital, region.ed_location, diagnoses[:1],
            )  # fmt: skip
            self.vital_signs(enc, clock.instant(day, start + 15, tz), False)
            served = clock.dates[day]
            lines = [(level, "0450", served, ED_ALLOWED[level], 1)]
            if observation:
                hours = randint(rng, 20, 40)
                obs = self.encounter(
                    "OBSENC", "observation", clock.instant(day, end, tz), clock.instant(day, end + hours * 60, tz),
                    region.hospitalists[0], region.hospital, region.hospital_location, diagnoses[:1],
                )  # fmt: skip
                last = day + (end + hours * 60) // 1440
                self.busy.append((day, last))
                lines.append(("G0378", "0762", served, 85.0 * hours, hours))
                self.claim(
                    "OUTPATIENT", day, last, region.hospital, physician, diagnoses, lines, "22", obs
                )
            else:
                self.claim(
                    "OUTPATIENT", day, day, region.hospital, physician, diagnoses, lines, "23", enc
                )
            self.claim(
                "CARRIER", day, day, region.hospital, physician, diagnoses[:3],
                [(level, None, served, PRO_ALLOWED[level], 1)], "23", enc,
            )  # fmt: skip

    def primary_care(self) -> None:
        """Office and virtual visits with the PCP (none in the last ~13 months for the
        disengaged 8%, who become "CCM candidate — needs initiating visit"), and AWVs."""
        p = self.p
        rng = p.rng
        last = p.last_day if p.engaged else min(p.last_day, self.clock.days - 400)
        span = last - p.first_day
        if span > 0:
            for _ in range(poisson(rng, p.visit_rate * span / 365.0)):
                day = self.clock.weekday_on_or_after(randint(rng, p.first_day, last))
                if day > p.last_day or not self.free(day):
                    continue
                code = OFFICE.pick(rng)[0]
                virtual = rng.random() < 0.1
                self.ambulatory(
                    day, code, "VR" if virtual else "AMB", self.dx(day, 4) or ["Z00.00"]
                )
        for day, code in p.wellness_days():
            if self.free(day):
                self.ambulatory(day, code, "AMB", ["Z00.00", *self.dx(day, 3)])

    def ambulatory(self, day: int, code: str, cls: str, diagnoses: list[str]) -> None:
        p = self.p
        rng = p.rng
        clock = self.clock
        tz = p.tz
        start = randint(rng, 8 * 60, 16 * 60 + 30)
        practice = p.practice
        enc = self.encounter(
            cls, code, clock.instant(day, start, tz), clock.instant(day, start + randint(rng, 15, 45), tz),
            p.pcp, practice.org, practice.location, diagnoses[:2],
        )  # fmt: skip
        if cls != "VR":
            self.vital_signs(
                enc, clock.instant(day, start + 5, tz), code in WELLNESS or rng.random() < 0.5
            )
            self.labs(enc, clock.instant(day, start + 20, tz))
        p.note_visit(day, enc)
        self.claim(
            "CARRIER", day, day, practice.org, p.pcp, diagnoses,
            [(code, None, clock.dates[day], PRO_ALLOWED[code], 1)], "10" if cls == "VR" else "11", enc,
        )  # fmt: skip

    def screenings(self) -> None:
        """Colorectal cancer screening and mammograms (GAP-004, GAP-005): in the window with an
        encounter and a claim, before it as history (a Procedure only)."""
        p = self.p
        rng = p.rng
        W = self.clock.days
        done: list[tuple[int, str]] = []
        if 45 <= p.age <= 80 and rng.random() < (0.72 if p.prevention else 0.35):
            r = rng.random()
            if r < 0.85:
                done.append(
                    (W - randint(rng, 20, 3650), "G0121" if rng.random() < 0.5 else "45378")
                )
            elif r < 0.95:
                done.append((W - randint(rng, 20, 3 * 365), "81528"))
            else:
                done.append((W - randint(rng, 15, 330), "82274"))
        if p.female and 40 <= p.age <= 76 and rng.random() < (0.8 if p.prevention else 0.3):
            last = W - randint(rng, 20, 700)
            done.append((last, "77067"))
            done.append((last - randint(rng, 350, 730), "77067"))
        for day, code in done:
            if day > p.last_day:
                continue
            if day < p.first_day:
                record.procedure(p, code, self.clock.date(day), None)
                continue
            day = self.clock.weekday_on_or_after(day)
            if day <= p.last_day and self.free(day):
                self.screening_visit(day, code)

    def screening_visit(self, day: int, code: str) -> None:
        p = self.p
        clock = self.clock
        region = p.region
        lab = code in ("81528", "82274")
        org, loc = (
            (p.practice.org, p.practice.location)
            if lab
            else (region.hospital, region.hospital_location)
        )
        reason = ["Z12.31" if code == "77067" else "Z12.11"]
        start = randint(p.rng, 8 * 60, 15 * 60)
        enc = self.encounter(
            "AMB", code, clock.instant(day, start, p.tz), clock.instant(day, start + 45, p.tz),
            p.pcp, org, loc, reason,
        )  # fmt: skip
        record.procedure(p, code, clock.instant(day, start + 10, p.tz), enc)
        self.claim(
            "CARRIER", day, day, org, p.pcp, reason,
            [(code, None, clock.dates[day], SCREENING_ALLOWED[code], 1)], "81" if lab else "22", enc,
        )  # fmt: skip
