"""Who the demo population is: prevalence tables, with their sources, and the models that draw
a patient's entitlement, coverage and chronic conditions.

Sources
-------
- Chronic condition prevalence: CMS Chronic Conditions Data Warehouse (CCW), "Chronic
  Conditions among Medicare Beneficiaries" chartbook (CMS, 2012 edition) and the CCW Medicare
  chronic condition charts / prevalence tables for Medicare fee-for-service beneficiaries
  (www2.ccwdata.org, "Medicare Chronic Conditions Charts", 2018-2021 data years), rounded to
  the nearest percent. Rows marked "approx." are conditions the charts group or do not chart;
  their rates are rounded estimates of the same order as the CCW tables, not quoted figures.
- Multimorbidity: about two thirds to 70% of Medicare FFS beneficiaries have two or more of the
  CCW chronic conditions (same chartbook); the shared health-burden factor below is tuned to
  that share.
- Entitlement and coverage mix: Medicare enrollment dashboards and MedPAC/KFF summaries
  (about 13% of beneficiaries under 65 and entitled by disability, under 1% by ESRD;
  Medicare Advantage about half of eligible beneficiaries in 2024-2025, configured lower here
  to keep a fee-for-service majority; dual eligible about 19%, roughly two thirds of them full
  benefit; QMB the largest partial-benefit group). Rounded, for a realistic demo mix.
- Utilization: Medicare FFS runs about 250-270 inpatient stays and 600-650 ED visits per 1,000
  beneficiaries a year, with a 30-day readmission rate near 17%; about 5% of beneficiaries
  account for most readmissions (the super-utilizers of medicare-rules §5.3).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass

# key, prevalence female, prevalence male, extra log-odds when under-65 disabled, PCM high risk
# (ELIG-002), note. Female/male rates average to the CCW all-beneficiary figure (about 55%
# women).
PREVALENCE: tuple[tuple[str, float, float, float, bool, str], ...] = (
    ("hypertension", 0.57, 0.57, 0.0, False, "CCW 57%"),
    ("hyperlipidemia", 0.46, 0.48, 0.0, False, "CCW 47%"),
    ("arthritis", 0.38, 0.27, 0.0, False, "CCW RA/OA 33%"),
    ("ischemic_heart_disease", 0.22, 0.33, 0.0, False, "CCW 27%"),
    ("diabetes", 0.25, 0.29, 0.0, False, "CCW 27%"),
    ("ckd", 0.23, 0.25, 0.0, False, "CCW 24%"),
    ("anemia", 0.20, 0.15, 0.0, False, "approx. (CCW anemia, 1-year)"),
    ("depression", 0.22, 0.13, 1.2, False, "CCW 18%"),
    ("obesity", 0.17, 0.15, 0.4, False, "approx."),
    ("heart_failure", 0.13, 0.15, 0.0, True, "CCW 14%"),
    ("hypothyroidism", 0.19, 0.06, 0.0, False, "approx. (CCW acquired hypothyroidism)"),
    ("copd", 0.11, 0.11, 0.3, True, "CCW 11%"),
    ("dementia", 0.12, 0.09, 0.0, True, "CCW Alzheimer's and related dementia 11%"),
    ("atrial_fibrillation", 0.07, 0.09, 0.0, False, "CCW 8%"),
    ("pvd", 0.06, 0.07, 0.0, False, "approx."),
    ("osteoporosis", 0.11, 0.02, 0.0, False, "CCW 6-7%"),
    ("asthma", 0.06, 0.04, 0.4, False, "CCW 5%"),
    ("stroke", 0.04, 0.04, 0.0, False, "CCW stroke/TIA 4%"),
    ("cancer_breast", 0.055, 0.0, 0.0, True, "CCW breast cancer ~3% of all"),
    ("cancer_prostate", 0.0, 0.07, 0.0, True, "CCW prostate cancer ~3% of all"),
    ("cancer_colorectal", 0.011, 0.013, 0.0, True, "CCW colorectal cancer ~1%"),
    ("cancer_lung", 0.009, 0.011, 0.0, True, "CCW lung cancer ~1%"),
    ("bph", 0.0, 0.27, 0.0, False, "CCW BPH ~12% of all"),
    ("parkinsons", 0.009, 0.015, 0.0, True, "approx. (CCW Parkinson's ~1%)"),
    ("schizophrenia", 0.008, 0.01, 2.0, True, "approx. (CCW, mostly under-65 disabled)"),
    ("hiv", 0.002, 0.005, 1.5, True, "approx."),
)
HIGH_RISK = frozenset(row[0] for row in PREVALENCE if row[4])

# Shared health-burden factor: logit P(condition) = a(condition, sex) + BURDEN_LOADING * z,
# z ~ N(0, 1) per patient (correlated with age). The loading sets how strongly conditions
# cluster, i.e. the share with 2+ conditions.
BURDEN_LOADING = 1.25
AGE_LOADING = 0.35  # correlation of z with standardized age


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _grid() -> list[tuple[float, float]]:
    points = [(-6.0 + 0.05 * i) for i in range(241)]
    weights = [math.exp(-0.5 * z * z) for z in points]
    total = sum(weights)
    return [(z, w / total) for z, w in zip(points, weights, strict=True)]


def _intercept(prevalence: float, loading: float, grid: list[tuple[float, float]]) -> float:
    """The a with E[expit(a + loading*z)] = prevalence (bisection over a normal grid)."""
    if prevalence <= 0.0:
        return -60.0
    lo, hi = -20.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        mean = sum(w * _expit(mid + loading * z) for z, w in grid)
        if mean < prevalence:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@dataclass(frozen=True)
class ConditionModel:
    key: str
    intercept_female: float
    intercept_male: float
    disabled_boost: float


def _build_models() -> tuple[ConditionModel, ...]:
    grid = _grid()
    return tuple(
        ConditionModel(
            key,
            _intercept(pf, BURDEN_LOADING, grid),
            _intercept(pm, BURDEN_LOADING, grid),
            boost,
        )
        for key, pf, pm, boost, _risk, _note in PREVALENCE
    )


CONDITION_MODELS = _build_models()


def expected_prevalence(key: str, female_share: float) -> float:
    """The table's prevalence of one condition for a population with this share of women."""
    for k, pf, pm, *_ in PREVALENCE:
        if k == key:
            return female_share * pf + (1 - female_share) * pm
    raise KeyError(key)


def draw_conditions(rng, z: float, female: bool, disabled: bool) -> list[str]:
    """The chronic conditions of one patient with health burden z."""
    found = []
    random = rng.random
    for model in CONDITION_MODELS:
        a = model.intercept_female if female else model.intercept_male
        if a < -50:
            continue
        x = a + BURDEN_LOADING * z
        if disabled:
            x += model.disabled_boost
        if random() < 1.0 / (1.0 + math.exp(-x)):
            found.append(model.key)
    return found


# Entitlement (OREC): aged 0, disability 1, ESRD 2, disability and ESRD 3.
UNDER_65_SHARE = 0.12  # under-65 beneficiaries, entitled by disability (or ESRD)
ESRD_SHARE = 0.008  # ESRD entitlement (OREC 2 or 3), any age
ORIGINALLY_DISABLED_AGED = 0.08  # of the 65+ group, first entitled by disability
DECEASED_SHARE = 0.05  # died inside the 3-year window
SUPER_UTILIZER_SHARE = 0.05

# Ages 65+: (lowest age, highest age, weight) - Medicare enrollment by age band.
AGED_BANDS = (
    (65, 69, 0.28),
    (70, 74, 0.26),
    (75, 79, 0.19),
    (80, 84, 0.13),
    (85, 89, 0.08),
    (90, 99, 0.06),
)
UNDER_65_BANDS = ((25, 44, 0.25), (45, 54, 0.3), (55, 64, 0.45))
FEMALE_SHARE_AGED = 0.55
FEMALE_SHARE_DISABLED = 0.47

# Coverage mix.
MA_SHARE = 0.40  # Medicare Advantage (part-c), brief: 30-50%
PART_D_SHARE_FFS = 0.72  # FFS beneficiaries with a stand-alone Part D plan
MA_PD_SHARE = 0.9  # MA plans with drug coverage
DUAL_SHARE_AGED = 0.13
DUAL_SHARE_DISABLED = 0.40
# CMS dual status code -> weight: 01 QMB only, 02 QMB plus full, 03 SLMB only, 04 SLMB plus
# full, 08 other full benefit.
DUAL_STATUS_WEIGHTS = (("01", 0.18), ("02", 0.42), ("03", 0.1), ("04", 0.05), ("08", 0.25))
SWITCHED_TO_MA_SHARE = 0.06  # joined MA during the window (FFS before)


def randint(rng, a: int, b: int) -> int:
    """Like `rng.randint(a, b)`, several times faster (one `random()` call, no rejection)."""
    return a + int(rng.random() * (b - a + 1))


def randrange(rng, n: int) -> int:
    """Like `rng.randrange(n)`, faster."""
    return int(rng.random() * n)


class Weighted:
    """Rows whose last item is a weight; `pick(rng)` returns one row, by weight."""

    __slots__ = ("rows", "cumulative", "total")

    def __init__(self, rows) -> None:
        self.rows = tuple(rows)
        running = 0.0
        cumulative = []
        for row in self.rows:
            running += row[-1]
            cumulative.append(running)
        self.cumulative = cumulative
        self.total = running

    def pick(self, rng):
        return self.rows[bisect_right(self.cumulative, rng.random() * self.total)]
