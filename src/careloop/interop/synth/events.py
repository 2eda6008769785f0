"""The building blocks of a patient's care: an encounter, its claim, vital signs and labs."""

from __future__ import annotations

from orjson import Fragment

from careloop.core.codesystems import UCUM

from . import templates as T
from .claims import eob

_MM_HG = ("mm[Hg]", UCUM, "mm[Hg]")


def reference(kind: str, rid: str) -> Fragment:
    return T.frag({"reference": f"{kind}/{rid}"})


class Events:
    """Writes the encounters of one patient `p` (a `patient.Person`)."""

    def __init__(self, ctx, p) -> None:
        self.ctx = ctx
        self.p = p
        self.clock = ctx.clock
        self.busy: list[tuple[int, int]] = []  # stays: (first day, last day)

    def free(self, day: int) -> bool:
        """True when `day` is inside no stay."""
        for a, b in self.busy:  # noqa: SIM110 - a loop is faster than all() over a generator
            if a <= day <= b:
                return False
        return True

    def dx(self, day: int, most: int) -> list[str]:
        """ICD-10-CM codes of the chronic conditions active on `day`, at most `most`."""
        codes = [c.icd for c in self.p.chronic if c.onset_day <= day]
        if len(codes) > most:
            codes = self.p.rng.sample(codes, most)
        return codes

    def encounter(
        self,
        cls: str,
        type_key: str,
        start: str,
        end: str,
        who,
        org,
        loc,
        reasons: list[str],
        hospitalization: dict | None = None,
        part_of=None,
        eid: str | None = None,
    ) -> Fragment:
        """Write one Encounter; returns its reference."""
        p = self.p
        eid = eid or p.next_id("e")
        icd_cc = T.ICD_CC
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
            "reasonCode": [icd_cc[code] for code in reasons],
            "serviceProvider": org,
            "location": [{"location": loc}],
        }
        if hospitalization:
            res["hospitalization"] = hospitalization
        if part_of is not None:
            res["partOf"] = part_of
        p.emit("Encounter", res)
        return reference("Encounter", eid)

    def claim(
        self,
        kind: str,
        day0: int,
        day1: int,
        provider,
        clinician,
        diagnoses: list[str],
        lines: list[tuple],
        pos: str,
        enc: Fragment,
        procedures=None,
    ) -> None:
        """Write one ExplanationOfBenefit, paid by the patient's payer on `day0`."""
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

    def vital_signs(self, enc: Fragment, when: str, weight: bool) -> None:
        """Blood pressure and heart rate; weight and BMI when `weight`."""
        p = self.p
        gauss = p.rng.gauss
        unit, system, code = _MM_HG
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
                            "value": round(p.sbp0 + gauss(0, 9)),
                            "unit": unit,
                            "system": system,
                            "code": code,
                        },
                    },
                    {
                        "code": T.DIASTOLIC,
                        "valueQuantity": {
                            "value": round(p.dbp0 + gauss(0, 6)),
                            "unit": unit,
                            "system": system,
                            "code": code,
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

    def measure(self, key: str, value: float, enc: Fragment, when: str) -> None:
        """One vital sign or lab result with a UCUM quantity."""
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

    def labs(self, enc: Fragment, when: str) -> None:
        """The labs a primary-care visit orders for the patient's conditions (GAP-006, §5.6)."""
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
