"""One generated patient: who they are, their entitlement and coverage, and their resources.

`build_patient(ctx, index)` draws everything from a `random.Random` seeded by (seed, index)
alone, so any patient can be generated on its own, by any worker, in any order, and comes
out byte-identical.
"""

from __future__ import annotations

import math
import random
from datetime import date

import orjson
from orjson import Fragment

from careloop.core.codesystems import (
    IDENTIFIER_TYPE,
    MBI,
    MRN_SYSTEM,
    OREC_EXT,
)

from . import coverage, record
from . import population as pop
from .care import Care
from .clock import Clock
from .codes import CHRONIC_CODES, DIALYSIS, ESRD
from .directory import REGION_SIZE, Region, build_region, ma_plan_refs
from .places import FEMALE_NAMES, MALE_NAMES, STREETS, SURNAMES
from .population import randint, randrange
from .templates import frag

RESOURCE_TYPES = (
    "Patient",
    "Organization",
    "Practitioner",
    "Location",
    "Coverage",
    "Condition",
    "Encounter",
    "Observation",
    "MedicationRequest",
    "Immunization",
    "Procedure",
    "AllergyIntolerance",
    "ExplanationOfBenefit",
)
_MR = {"coding": [{"system": IDENTIFIER_TYPE, "code": "MR", "display": "Medical record number"}]}
_MC = {
    "coding": [{"system": IDENTIFIER_TYPE, "code": "MC", "display": "Patient's Medicare number"}]
}
_AGED = pop.Weighted(pop.AGED_BANDS)
_UNDER_65 = pop.Weighted(pop.UNDER_65_BANDS)
_PRACTICE = pop.Weighted(((0, 0.3), (1, 0.3), (2, 0.2), (3, 0.2)))
_VARIANTS = {key: pop.Weighted(variants) for key, variants in CHRONIC_CODES.items()}
_EGFR_BY_CODE = {"N18.2": 72, "N18.31": 52, "N18.32": 38, "N18.4": 22, "N18.5": 12, "N18.6": 8}


class Chronic:
    __slots__ = ("key", "icd", "sct", "icd_display", "sct_display", "onset_day")

    def __init__(self, key: str, variant: tuple, onset_day: int) -> None:
        self.key = key
        self.icd, self.icd_display, self.sct, self.sct_display, _ = variant
        self.onset_day = onset_day


class Context:
    """What every patient of one run shares: seed, clock, directory cache, output lists."""

    def __init__(self, seed: int, as_of: date) -> None:
        self.seed = seed
        self.clock = Clock(as_of)
        self.ma_plans = ma_plan_refs(seed)
        self._regions: dict[int, Region] = {}
        self.out: dict[str, list[bytes]] = {t: [] for t in RESOURCE_TYPES}

    def region(self, number: int) -> Region:
        region = self._regions.get(number)
        if region is None:
            if len(self._regions) > 8:
                self._regions.clear()
            region = self._regions[number] = build_region(self.seed, number)
        return region

    def emit_region(self, number: int) -> None:
        for kind, resources in self.region(number).resources.items():
            self.out[kind].extend(orjson.dumps(r) for r in resources)


class Person:
    # Drawn by coverage.draw() (entitlement) and build_patient (the MBI), not in __init__.
    part_b_start: int  # window day Part B starts
    first_day: int  # first window day with Part B data
    ma: bool  # enrolled in Medicare Advantage
    mbi: str

    def __init__(self, ctx: Context, index: int) -> None:
        self.ctx = ctx
        self.index = index
        self.pid = f"syn{ctx.seed}-{index}"
        self.ref = frag({"reference": f"Patient/{self.pid}"})
        self.rng = random.Random(f"careloop-synth:{ctx.seed}:{index}")
        self._ids: dict[str, int] = {}
        out = ctx.out
        self._out = out
        self.visits: list[tuple[int, Fragment]] = []

    def next_id(self, prefix: str) -> str:
        n = self._ids.get(prefix, 0) + 1
        self._ids[prefix] = n
        return f"{self.pid}-{prefix}{n}"

    def emit(self, kind: str, resource: dict) -> None:
        self._out[kind].append(orjson.dumps(resource))

    def note_visit(self, day: int, enc: Fragment) -> None:
        self.visits.append((day, enc))

    # -- who --------------------------------------------------------------------------
    def draw(self) -> None:
        ctx, rng, clock = self.ctx, self.rng, self.ctx.clock
        W = clock.days
        self.region = ctx.region(self.index // REGION_SIZE)
        self.tz = self.region.tz
        self.practice = self.region.practices[_PRACTICE.pick(rng)[0]]
        self.pcp = self.practice.clinicians[randrange(rng, len(self.practice.clinicians))]
        self.disabled = rng.random() < pop.UNDER_65_SHARE
        band = (_UNDER_65 if self.disabled else _AGED).pick(rng)
        self.age = randint(rng, band[0], band[1])
        self.female = rng.random() < (
            pop.FEMALE_SHARE_DISABLED if self.disabled else pop.FEMALE_SHARE_AGED
        )
        self.birth_day = (
            W - self.age * 365 - (self.age // 4) - randint(rng, 1, 364)
        )  # window day of birth
        esrd = rng.random() < pop.ESRD_SHARE
        if self.disabled:
            self.orec = "3" if esrd and rng.random() < 0.3 else ("2" if esrd else "1")
        elif esrd:
            self.orec = "2"
        else:
            self.orec = "1" if rng.random() < pop.ORIGINALLY_DISABLED_AGED else "0"
        # Health burden: correlated with age; the disabled carry more of it.
        age_z = (self.age - 75) / 8.0
        z = pop.AGE_LOADING * age_z + math.sqrt(1 - pop.AGE_LOADING**2) * rng.gauss(0, 1)
        if self.disabled:
            z += 0.4
        self.z = z
        self.keys = set(pop.draw_conditions(rng, z, self.female, self.disabled))
        if esrd:
            self.keys.add("ckd")
        # Death inside the window.
        n = len(self.keys)
        p_death = min(0.5, 0.011 * (1 + n) * (1.6 if self.age >= 85 else 1.0))
        coverage.draw(self)
        # Deaths fall after the start of Part B (and its data), so no coverage ends before it starts.
        earliest_death = max(30, self.first_day + 30)
        dies = rng.random() < p_death and earliest_death < W - 1
        self.death_day = randint(rng, earliest_death, W - 1) if dies else None
        self.last_day = W - 1 if self.death_day is None else self.death_day
        self.chronic_conditions(esrd)
        self.utilization()
        self.baselines()

    def chronic_conditions(self, esrd: bool) -> None:
        rng = self.rng
        earliest = max(self.birth_day + 18 * 365, -20 * 365)
        chronic = []
        for key in sorted(self.keys):
            variant = ESRD if esrd and key == "ckd" else _VARIANTS[key].pick(rng)
            if rng.random() < 0.8 and earliest < -1:
                onset = randint(rng, earliest, -1)
            else:
                onset = randint(rng, self.first_day, max(self.first_day, self.last_day))
            chronic.append(Chronic(key, variant, onset))
        if esrd:
            ckd = next(c for c in chronic if c.key == "ckd")
            chronic.append(Chronic("dialysis", DIALYSIS, ckd.onset_day))
        self.chronic = chronic
        self.n_chronic = len(self.keys)

    def utilization(self) -> None:
        rng, n = self.rng, self.n_chronic
        self.super_utilizer = rng.random() < pop.SUPER_UTILIZER_SHARE * (1.6 if n >= 4 else 0.5)
        if self.super_utilizer:
            # About 5% of patients; several stays, ED visits and most readmissions (§5.3).
            self.ip_rate, self.ed_rate, self.readmit_prob, self.ed_admit_share = 1.3, 3.2, 0.3, 0.85
        else:
            self.ip_rate = 0.05 + 0.035 * n
            self.ed_rate = 0.2 + 0.07 * n
            self.readmit_prob, self.ed_admit_share = 0.07, 0.7
        self.engaged = rng.random() < 0.92
        self.visit_rate = min(1.2 + 0.5 * n, 7.0)
        self.prevention = rng.random() < 0.65 + (0.1 if self.ma else 0.0)

    def baselines(self) -> None:
        rng, keys = self.rng, self.keys
        gauss = rng.gauss
        self.sbp0 = gauss(136, 14) if "hypertension" in keys else gauss(124, 10)
        self.dbp0 = min(gauss(78, 8), self.sbp0 - 35)
        self.hr0 = gauss(84, 10) if "atrial_fibrillation" in keys else gauss(73, 8)
        self.height = gauss(1.76, 0.07) if not self.female else gauss(1.62, 0.065)
        bmi = gauss(33.5, 3.5) if "obesity" in keys else gauss(26.5, 3.5)
        self.weight0 = max(bmi, 17.0) * self.height * self.height
        self.hgb0 = (
            gauss(10.6, 0.9) if "anemia" in keys else gauss(13.6 if not self.female else 12.9, 1.0)
        )
        self.a1c0 = gauss(7.4, 1.1)
        ckd = next((c.icd for c in self.chronic if c.key == "ckd"), None)
        self.egfr0 = _EGFR_BY_CODE[ckd] + gauss(0, 3) if ckd else max(gauss(80, 11), 62.0)
        self.chol0 = gauss(190, 32)

    def wellness_days(self) -> list[tuple[int, str]]:
        rng, clock = self.rng, self.ctx.clock
        p_awv = 0.75 if self.prevention else 0.12
        anchor = randint(rng, 0, 180)
        new_enrollee = self.part_b_start >= -365
        days: list[tuple[int, str]] = []
        for k in range(3):
            if rng.random() >= p_awv:
                continue
            day = clock.weekday_on_or_after(anchor + 365 * k + randint(rng, 0, 15))
            if day < max(self.first_day, self.part_b_start + 366) or day > self.last_day:
                continue
            days.append((day, "G0438" if new_enrollee and not days else "G0439"))
        return days

    def payer_on(self, day: int, kind: str) -> tuple[Fragment, Fragment]:
        return coverage.payer_on(self, day, kind)

    # -- resources ----------------------------------------------------------------------
    def emit_patient(self) -> None:
        rng, clock, region = self.rng, self.ctx.clock, self.region
        given = FEMALE_NAMES if self.female else MALE_NAMES
        names = [given[randrange(rng, len(given))]]
        if rng.random() < 0.4:
            names.append(given[randrange(rng, len(given))])
        res = {
            "resourceType": "Patient",
            "id": self.pid,
            "extension": [{"url": OREC_EXT, "valueCode": self.orec}],
            "identifier": [
                {
                    "use": "usual",
                    "type": _MR,
                    "system": MRN_SYSTEM,
                    "value": f"M{(self.index * 7919 + self.ctx.seed * 104_729) % 900_000_000 + 100_000_000}",
                },
                {"use": "official", "type": _MC, "system": MBI, "value": self.mbi},
            ],
            "active": True,
            "name": [
                {
                    "use": "official",
                    "family": SURNAMES[randrange(rng, len(SURNAMES))],
                    "given": names,
                }
            ],
            "telecom": [
                {
                    "system": "phone",
                    "value": f"{region.area}-555-{randint(rng, 100, 199):04d}",
                    "use": "home",
                }
            ],
            "gender": "female" if self.female else "male",
            "birthDate": clock.date(self.birth_day),
            "address": [
                {
                    "use": "home",
                    "line": [f"{randint(rng, 1, 9999)} {STREETS[randrange(rng, len(STREETS))]}"],
                    "city": region.city,
                    "state": region.state,
                    "postalCode": f"{region.zip3}{randint(rng, 1, 99):02d}",
                    "country": "US",
                }
            ],
            "generalPractitioner": [self.pcp],
            "managingOrganization": self.practice.org,
        }
        if self.death_day is not None:
            res["deceasedDateTime"] = clock.instant(self.death_day, randint(rng, 0, 1439), self.tz)
        self.emit("Patient", res)


def build_patient(ctx: Context, index: int) -> None:
    """Append every resource of patient `index` to `ctx.out`."""
    p = Person(ctx, index)
    p.draw()
    p.mbi = coverage.mbi(ctx.seed, index, p.rng)
    p.emit_patient()
    coverage.emit(p)
    Care(ctx, p).build()
    record.emit_record(ctx, p)
