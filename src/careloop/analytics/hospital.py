"""HOSPITAL score (medicare-rules.md §5.6; Donzé et al., JAMA Intern Med 2013): the pure formula.

Risk of a potentially avoidable 30-day readmission after an acute inpatient discharge. Without
a hemoglobin or sodium value the score is *not computable* — never 0 (§5.6). The mart that
finds each stay's inputs (last labs of the stay, procedures, admission type, prior
admissions) is still to come; the formula is tested on the shared vectors.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HospitalScore", "score_hospital"]

HEMOGLOBIN_LOINC = ("718-7",)
SODIUM_LOINC = ("2951-2", "2947-0")


@dataclass(frozen=True)
class HospitalScore:
    H: int  # hemoglobin at discharge < 12 g/dL
    O: int  # noqa: E741 - the score's own letter: oncology discharge
    S: int  # sodium at discharge < 135 mmol/L
    P: int  # any procedure during the stay
    IT: int  # index admission urgent or emergent
    A: int  # admissions in the previous 12 months
    L: int  # length of stay >= 5 days

    @property
    def total(self) -> int:
        return self.H + self.O + self.S + self.P + self.IT + self.A + self.L

    @property
    def risk(self) -> str:
        # 0-4 low, 5-6 intermediate, >= 7 high (§5.6)
        total = self.total
        return "low" if total <= 4 else "intermediate" if total <= 6 else "high"

    def points(self) -> dict[str, int]:
        return {
            "H": self.H,
            "O": self.O,
            "S": self.S,
            "P": self.P,
            "IT": self.IT,
            "A": self.A,
            "L": self.L,
        }


def _admission_points(admissions_prev_12m: int) -> int:
    if admissions_prev_12m <= 1:
        return 0
    return 2 if admissions_prev_12m <= 5 else 5


def score_hospital(
    *,
    hemoglobin_g_dl: float | None,
    sodium_mmol_l: float | None,
    oncology_discharge: bool,
    procedure: bool,
    urgent_admission: bool,
    admissions_prev_12m: int,
    los_days: int,
) -> HospitalScore | None:
    """The HOSPITAL points of one discharge, or None when a required lab is missing (§5.6)."""
    if hemoglobin_g_dl is None or sodium_mmol_l is None:
        return None
    if admissions_prev_12m < 0 or los_days < 0:
        raise ValueError("admissions and length of stay must be ≥ 0")
    return HospitalScore(
        H=1 if hemoglobin_g_dl < 12 else 0,
        O=2 if oncology_discharge else 0,
        S=1 if sodium_mmol_l < 135 else 0,
        P=1 if procedure else 0,
        IT=1 if urgent_admission else 0,
        A=_admission_points(admissions_prev_12m),
        L=2 if los_days >= 5 else 0,
    )
