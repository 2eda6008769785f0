"""One patient's care over the window: visits, ED visits, stays, their vitals, labs and claims.

Rates follow `population.py` (utilization). Stays come first (admissions, readmissions, the
post-acute SNF stay or home-health episode and the TCM visit after discharge), then ED visits
and primary-care visits on days free of stays. Every encounter gets its claims.
"""

from __future__ import annotations

import math

from careloop.core.codesystems import UCUM

from . import record
from . import templates as T
from .claims import eob
from .codes import ACUTE_ED, ACUTE_INPATIENT, ED_LEVELS, EXACERBATION, OFFICE_VISITS, PCS
from .population import Weighted

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
OFFICE = Weighted(OFFICE_VISITS)
ED_LEVEL = Weighted(ED_LEVELS)
ED_ALLOWED = {"99282": 210.0, "99283": 380.0, "99284": 640.0, "99285": 960.0}
PRO_ALLOWED = {
    "99212": 57.0,
    "99213": 92.0,
    "99214": 131.0,
    "99215": 184.0,
    "G0438": 174.0,
    "G0439": 134.0,
    "99495": 201.0,
    "99496": 272.0,
    "99282": 45.0,
    "99283": 75.0,
    "99284": 128.0,
    "99285": 180.0,
    "99222": 138.0,
    "99223": 204.0,
    "99239": 109.0,
}


def poisson(rng, lam: float) -> int:
    if lam <= 0:
        return 0
    limit = math.exp(-lam)
    k = 0
    prod = rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


class Care:
    """Builds the encounters of one patient `p` (a `patient.Person`)."""

    def __init__(self, ctx, p) -> None:
        self.ctx = ctx
        self.p = p
        self.clock = ctx.clock
        self.busy: list[tuple[int, int]] = []  # stays: (first day, last day)

    # -- helpers -----------------------------------------------------------------------
    def free(self, day: int) -> bool:
        return all(not (a <= day <= b) for a, b in self.busy)

    def dx(self, day: int, most: int) -> list[dict]:
        """ICD-10-CM codings of the chronic conditions active on `day`, at most `most`."""
        codes = [c.icd for c in self.p.chronic if c.onset_day <= day]
        rng = self.p.rng
        if len(codes) > most:
            codes = rng.sample(codes, most)
        return [T.ICD[code] for code in codes]

    def encounter(
        self,
        cls: str,
        type_key: str,
        start: str,
        end: str,
        who: dict,
        org: dict,
        loc: dict,
        reasons: list[dict],
        hospitalization: dict | None = None,
        part_of: dict | None = None,
        eid: str | None = None,
    ) -> dict:
        p = self.p
        eid = eid or p.next_id("e")
        res = {
            "resourceType": "Encounter",
            "id": eid,
            "status": "finished",
            "class": T.CLASS[cls],
            "type": T.ENC_TYPE[type_key],
            "subject": p.ref,
            "participant": [
                {"type": T.ATND if cls in ("IMP", "NONAC") else T.PPRF, "individual": who}
            ],
            "period": {"start": start, "end": end},
            "reasonCode": [{"coding": [c]} for c in reasons],
            "serviceProvider": org,
            "location": [{"location": loc}],
        }
        if hospitalization:
            res["hospitalization"] = hospitalization
        if part_of:
            res["partOf"] = part_of
        p.emit("Encounter", res)
        return {"reference": f"Encounter/{eid}"}

    def claim(
        self,
        kind: str,
        day0: int,
        day1: int,
        provider: dict,
        clinician: dict | None,
        diagnoses: list[dict],
        lines: list[tuple],
        pos: str,
        enc: dict,
        procedures=None,
    ) -> None:
        p = self.p
        clock = self.clock
        created = min(day1 + 14 + (day1 * 7 + len(lines)) % 21, clock.days)
        coverage, insurer = p.payer_on(day0, kind)
        p.emit(
            "ExplanationOfBenefit",
            eob(
                eid=p.next_id("b"),
                kind=kind,
                patient=p.ref,
                start=clock.dates[day0],
                end=clock.dates[day1],
                created=clock.instant(created, 9 * 60, p.tz),
                insurer=insurer,
                provider=provider,
                clinician=clinician,
                coverage=coverage,
                diagnoses=diagnoses,
                lines=lines,
                pos=pos,
                encounter=enc,
                procedures=procedures,
            ),
        )

    def vital_signs(self, enc: dict, when: str, weight: bool) -> None:
        p = self.p
        gauss = p.rng.gauss
        sbp = round(p.sbp0 + gauss(0, 9))
        dbp = round(p.dbp0 + gauss(0, 6))
        p.emit(
            "Observation",
            {
                "resourceType": "Observation",
                "id": p.next_id("o"),
                "status": "final",
                "category": T.VITAL_SIGNS,
                "code": T.BP_PANEL,
                "subject": p.ref,
                "encounter": enc,
                "effectiveDateTime": when,
                "component": [
                    {
                        "code": T.SYSTOLIC,
                        "valueQuantity": {
                            "value": sbp,
                            "unit": "mm[Hg]",
                            "system": UCUM,
                            "code": "mm[Hg]",
                        },
                    },
                    {
                        "code": T.DIASTOLIC,
                        "valueQuantity": {
                            "value": dbp,
                            "unit": "mm[Hg]",
                            "system": UCUM,
                            "code": "mm[Hg]",
                        },
                    },
                ],
            },
        )
        self.measure("heart_rate", round(p.hr0 + gauss(0, 7)), enc, when)
        if weight:
            kg = round(p.weight0 + gauss(0, 1.5), 1)
            self.measure("weight", kg, enc, when)
            self.measure("bmi", round(kg / (p.height * p.height), 1), enc, when)

    def measure(self, key: str, value: float, enc: dict, when: str) -> None:
        p = self.p
        code, unit, ucum, category = T.MEASURES[key]
        p.emit(
            "Observation",
            {
                "resourceType": "Observation",
                "id": p.next_id("o"),
                "status": "final",
                "category": category,
                "code": code,
                "subject": p.ref,
                "encounter": enc,
                "effectiveDateTime": when,
                "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": ucum},
            },
        )

    # -- the window ----------------------------------------------------------------------
    def build(self) -> None:
        p = self.p
        years = max(p.last_day - p.first_day + 1, 0) / 365.0
        if years <= 0:
            return
        self.stays(years)
        self.ed_visits(years)
        self.primary_care(years)
        self.screenings()

    def stays(self, years: float) -> None:
        p = self.p
        rng = p.rng
        n = poisson(rng, p.ip_rate * years)
        starts = sorted(rng.randint(p.first_day, p.last_day) for _ in range(n))
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
                day = discharge + rng.randint(2, 29)
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
        los = LENGTH_OF_STAY.pick(rng)[0] if death is None else death - day
        discharge = day + los
        if death is None and discharge > p.last_day:
            if day + 1 > p.last_day:
                return None
            discharge = p.last_day  # still in hospital at the end: discharge before as-of
        self.busy.append((day, discharge))
        hospitalist = region.hospitalists[rng.randrange(len(region.hospitalists))]
        exacerbations = [key for key in p.keys if key in EXACERBATION]
        if exacerbations and rng.random() < 0.55:
            principal = EXACERBATION[rng.choice(exacerbations)][0]
        else:
            principal = ACUTE_INPATIENT[rng.randrange(len(ACUTE_INPATIENT))][0]
        diagnoses = [T.ICD[principal], *[c for c in self.dx(day, 8) if c["code"] != principal]]
        admit_minute = rng.randint(0, 1439)
        stay_id = p.next_id("e")
        ed = None
        if via_ed:
            ed_start = max(admit_minute - rng.randint(180, 420), 0)
            level = "99285" if rng.random() < 0.6 else "99284"
            ed = self.encounter(
                "EMER",
                level,
                clock.instant(day, ed_start, p.tz),
                clock.instant(day, admit_minute, p.tz),
                region.emergency[rng.randrange(len(region.emergency))],
                region.hospital,
                region.ed_location,
                diagnoses[:1],
                part_of={"reference": f"Encounter/{stay_id}"},
            )
            self.vital_signs(ed, clock.instant(day, ed_start + 10, p.tz), False)
            self.claim(
                "CARRIER",
                day,
                day,
                region.hospital,
                region.emergency[0],
                diagnoses[:3],
                [(level, None, clock.dates[day], PRO_ALLOWED[level], 1)],
                "23",
                ed,
            )
        key = "exp" if death is not None else DISPOSITION.pick(rng)[0]
        discharge_minute = rng.randint(10 * 60, 16 * 60)
        enc = self.encounter(
            "IMP",
            "inpatient",
            clock.instant(day, admit_minute, p.tz),
            clock.instant(discharge, discharge_minute, p.tz),
            hospitalist,
            region.hospital,
            region.hospital_location,
            diagnoses[:1],
            {
                "admitSource": T.ADMIT["emd" if via_ed else "mp"],
                "dischargeDisposition": T.DISCHARGE[key],
            },
            eid=stay_id,
        )
        when_discharge = clock.instant(discharge, discharge_minute - 180, p.tz)
        if los >= 3:
            when_admit = clock.instant(day, admit_minute + 60, p.tz)
            self.measure("hemoglobin", round(p.hgb0 + rng.gauss(-0.6, 0.8), 1), enc, when_admit)
            self.measure("sodium", round(rng.gauss(136, 4)), enc, when_admit)
        self.measure("hemoglobin", round(p.hgb0 + rng.gauss(-0.4, 0.9), 1), enc, when_discharge)
        self.measure("sodium", round(rng.gauss(137, 3.5)), enc, when_discharge)
        procedures = None
        if rng.random() < 0.35:
            code, display = PCS[rng.randrange(len(PCS))]
            proc_day = min(day + 1, discharge)
            procedures = [(code, display, clock.dates[proc_day])]
            record.procedure(p, code, clock.dates[proc_day], enc, display)
        record.encounter_diagnosis(p, principal, clock.dates[day], discharge + 14, enc)
        lines = [
            (None, "0120", clock.dates[day], 1800.0 * max(los, 1), max(los, 1)),
            (None, "0250", clock.dates[day], 900.0 + 150.0 * los, 1),
            (None, "0300", clock.dates[day], 450.0, 1),
        ]
        if via_ed:
            lines.append(("99285", "0450", clock.dates[day], ED_ALLOWED["99285"], 1))
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
            "CARRIER",
            day,
            discharge,
            region.hospital,
            hospitalist,
            diagnoses[:4],
            [
                ("99223", None, clock.dates[day], PRO_ALLOWED["99223"], 1),
                ("99239", None, clock.dates[discharge], PRO_ALLOWED["99239"], 1),
            ],
            "21",
            enc,
        )
        p.note_discharge(discharge)
        if key == "snf":
            self.snf_stay(discharge, principal)
        elif key in ("home", "hh"):
            if key == "hh":
                self.home_health(discharge + 1, principal)
            self.tcm_visit(discharge)
        return discharge

    def snf_stay(self, day: int, principal: str) -> None:
        p = self.p
        rng = p.rng
        clock = self.clock
        region = p.region
        end = min(day + rng.randint(7, 30), p.last_day)
        if end <= day:
            return
        self.busy.append((day, end))
        enc = self.encounter(
            "NONAC",
            "snf",
            clock.instant(day, 15 * 60, p.tz),
            clock.instant(end, 11 * 60, p.tz),
            p.pcp,
            region.snf,
            region.snf_location,
            [T.ICD[principal]],
            {"admitSource": T.ADMIT["hosp-trans"], "dischargeDisposition": T.DISCHARGE["home"]},
        )
        self.vital_signs(enc, clock.instant(day, 16 * 60, p.tz), True)
        days = end - day
        self.claim(
            "SNF",
            day,
            end,
            region.snf,
            p.pcp,
            [T.ICD[principal], *self.dx(day, 5)],
            [(None, "0191", clock.dates[day], 560.0 * days, days)],
            "31",
            enc,
        )
        p.note_discharge(end)
        self.tcm_visit(end)

    def home_health(self, day: int, principal: str) -> None:
        p = self.p
        clock = self.clock
        if day > p.last_day:
            return
        end = min(day + 29, p.last_day)
        enc = self.encounter(
            "HH",
            "hh",
            clock.instant(day, 10 * 60, p.tz),
            clock.instant(end, 11 * 60, p.tz),
            p.pcp,
            p.region.hha,
            p.practice.location,
            [T.ICD[principal]],
        )
        visits = max(1, (end - day) // 4)
        self.claim(
            "HHA",
            day,
            end,
            p.region.hha,
            p.pcp,
            [T.ICD[principal], *self.dx(day, 4)],
            [(None, "0551", clock.dates[day], 2100.0 * (end - day + 1) / 30, visits)],
            "12",
            enc,
        )

    def tcm_visit(self, discharge: int) -> None:
        p = self.p
        rng = p.rng
        if rng.random() >= 0.45:
            return
        gap = rng.randint(3, 14)
        day = self.clock.weekday_on_or_after(discharge + gap)
        if day > p.last_day or not self.free(day):
            return
        code = "99496" if day - discharge <= 7 else "99495"
        self.ambulatory(day, code, "AMB", [*self.dx(day, 3), T.ICD["Z09"]])

    def ed_visits(self, years: float) -> None:
        p = self.p
        rng = p.rng
        clock = self.clock
        region = p.region
        for _ in range(poisson(rng, p.ed_rate * years)):
            day = rng.randint(p.first_day, p.last_day)
            if not self.free(day):
                continue
            level = ED_LEVEL.pick(rng)[0]
            start = rng.randint(0, 1439)
            end = start + rng.randint(120, 360)
            reason = ACUTE_ED[rng.randrange(len(ACUTE_ED))][0]
            diagnoses = [T.ICD[reason], *self.dx(day, 3)]
            physician = region.emergency[rng.randrange(len(region.emergency))]
            observation = rng.random() < 0.1 and day + 1 <= p.last_day
            enc = self.encounter(
                "EMER",
                level,
                clock.instant(day, start, p.tz),
                clock.instant(day, end, p.tz),
                physician,
                region.hospital,
                region.ed_location,
                diagnoses[:1],
            )
            self.vital_signs(enc, clock.instant(day, start + 15, p.tz), False)
            lines = [(level, "0450", clock.dates[day], ED_ALLOWED[level], 1)]
            last = day
            if observation:
                hours = rng.randint(20, 40)
                obs = self.encounter(
                    "OBSENC",
                    "observation",
                    clock.instant(day, end, p.tz),
                    clock.instant(day, end + hours * 60, p.tz),
                    region.hospitalists[0],
                    region.hospital,
                    region.hospital_location,
                    diagnoses[:1],
                    part_of=None,
                )
                last = day + (end + hours * 60) // 1440
                self.busy.append((day, last))
                lines.append(("G0378", "0762", clock.dates[day], 85.0 * hours, hours))
                p.note_discharge(last)
                self.claim(
                    "OUTPATIENT", day, last, region.hospital, physician, diagnoses, lines, "22", obs
                )
            else:
                self.claim(
                    "OUTPATIENT", day, day, region.hospital, physician, diagnoses, lines, "23", enc
                )
            self.claim(
                "CARRIER",
                day,
                day,
                region.hospital,
                physician,
                diagnoses[:3],
                [(level, None, clock.dates[day], PRO_ALLOWED[level], 1)],
                "23",
                enc,
            )

    def primary_care(self, years: float) -> None:
        p = self.p
        rng = p.rng
        last = p.last_day if p.engaged else min(p.last_day, self.clock.days - 400)
        span = last - p.first_day
        if span > 0:
            for _ in range(poisson(rng, p.visit_rate * span / 365.0)):
                day = self.clock.weekday_on_or_after(rng.randint(p.first_day, last))
                if day > p.last_day or not self.free(day):
                    continue
                code = OFFICE.pick(rng)[0]
                virtual = rng.random() < 0.1
                self.ambulatory(
                    day, code, "VR" if virtual else "AMB", self.dx(day, 4) or [T.ICD["Z00.00"]]
                )
        for day, code in p.wellness_days():
            if self.free(day):
                self.ambulatory(day, code, "AMB", [T.ICD["Z00.00"], *self.dx(day, 3)])

    def ambulatory(self, day: int, code: str, cls: str, diagnoses: list[dict]) -> None:
        p = self.p
        rng = p.rng
        clock = self.clock
        start = rng.randint(8 * 60, 16 * 60 + 30)
        practice = p.practice
        enc = self.encounter(
            cls,
            code,
            clock.instant(day, start, p.tz),
            clock.instant(day, start + rng.randint(15, 45), p.tz),
            p.pcp,
            practice.org,
            practice.location,
            diagnoses[:2],
        )
        when = clock.instant(day, start + 5, p.tz)
        if cls != "VR":
            self.vital_signs(enc, when, code[0] == "G" or rng.random() < 0.5)
            self.labs(enc, clock.instant(day, start + 20, p.tz))
        p.note_visit(day, enc)
        pos = "10" if cls == "VR" else "11"
        self.claim(
            "CARRIER",
            day,
            day,
            practice.org,
            p.pcp,
            diagnoses,
            [(code, None, clock.dates[day], PRO_ALLOWED[code], 1)],
            pos,
            enc,
        )

    def labs(self, enc: dict, when: str) -> None:
        p = self.p
        keys = p.keys
        random = p.rng.random
        gauss = p.rng.gauss
        if "diabetes" in keys and random() < 0.55:
            self.measure("hba1c", round(max(p.a1c0 + gauss(0, 0.5), 4.8), 1), enc, when)
        if ("ckd" in keys or "diabetes" in keys or "hypertension" in keys) and random() < 0.3:
            self.measure("egfr", max(round(p.egfr0 + gauss(0, 3)), 4), enc, when)
        if (
            "hyperlipidemia" in keys or "ischemic_heart_disease" in keys or "diabetes" in keys
        ) and random() < 0.25:
            self.measure("cholesterol", round(p.chol0 + gauss(0, 12)), enc, when)
        if ("anemia" in keys or "ckd" in keys) and random() < 0.25:
            self.measure("hemoglobin", round(p.hgb0 + gauss(0, 0.5), 1), enc, when)

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
                done.append((W - rng.randint(20, 3650), "G0121" if rng.random() < 0.5 else "45378"))
            elif r < 0.95:
                done.append((W - rng.randint(20, 3 * 365), "81528"))
            else:
                done.append((W - rng.randint(15, 330), "82274"))
        if p.female and 40 <= p.age <= 76 and rng.random() < (0.8 if p.prevention else 0.3):
            last = W - rng.randint(20, 700)
            done.append((last, "77067"))
            done.append((last - rng.randint(350, 730), "77067"))
        for day, code in done:
            if day > p.last_day:
                continue
            if day < p.first_day:
                record.procedure(p, code, self.clock.date(day), None)
                continue
            day = self.clock.weekday_on_or_after(day)
            if day > p.last_day or not self.free(day):
                continue
            self.screening_visit(day, code)

    def screening_visit(self, day: int, code: str) -> None:
        p = self.p
        rng = p.rng
        clock = self.clock
        region = p.region
        lab = code in ("81528", "82274")
        org, loc = (
            (p.practice.org, p.practice.location)
            if lab
            else (region.hospital, region.hospital_location)
        )
        reason = [T.ICD["Z12.31" if code == "77067" else "Z12.11"]]
        start = rng.randint(8 * 60, 15 * 60)
        enc = self.encounter(
            "AMB",
            code,
            clock.instant(day, start, p.tz),
            clock.instant(day, start + 45, p.tz),
            p.pcp,
            org,
            loc,
            reason,
        )
        record.procedure(p, code, clock.instant(day, start + 10, p.tz), enc)
        allowed = {"G0121": 360.0, "45378": 380.0, "81528": 509.0, "82274": 21.0, "77067": 135.0}[
            code
        ]
        self.claim(
            "CARRIER",
            day,
            day,
            org,
            p.pcp,
            reason,
            [(code, None, clock.dates[day], allowed, 1)],
            "81" if lab else "22",
            enc,
        )
