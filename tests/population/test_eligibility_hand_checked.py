"""Program eligibility checked by hand on twelve shared Synthea patients (issue 4 point 6).

The whole shared set (../shared/data/synthea-fhir-r4, 120 patients) is imported, `careloop
analytics run --as-of data` runs the pipeline as of the data's latest date (2021-07-10, the
generation date) and stores the findings. Each test below states what was read in the
patient's bundle (Condition onset and category, Encounter class, type, reason and period,
ExplanationOfBenefit insurer and billablePeriod) and asserts what the rules make of it:

- ELIG-001 CCM (§3): >= 2 chronic conditions met on T (§4: CC-101/102 — every Synthea
  Condition is an `encounter-diagnosis`, so it counts as one Carrier "claim" on its onset date,
  an inpatient encounter's as IP, an Encounter.reasonCode likewise; the claims rule of CC-001
  applies within the condition's 1- or 2-year reference period), an accepted payer (CCM-002:
  Synthea names the payer only on EOB.insurer; "Medicare" becomes a derived Part B coverage from
  the first EOB start to the last billablePeriod end, which Synthea sets a year after the
  visit), alive (ALL-001), and a CCM-020 visit. The set has no CPT or HCPCS code anywhere (its
  README), so no patient can have a CCM-020 visit: nobody is "eligible", and a patient meeting
  the other rules would be "needs_initiating_visit". None of the twelve does: the conditions a
  Synthea record carries are diagnosed once, years ago, and only recent encounters with a
  reason code bring them into the reference period.
- ELIG-002 PCM: accepted payer, alive, and exactly one high-risk condition (or acute use).
- ELIG-004 TCM: a discharge to the community in the 30 days before T (no payer needed); the
  contact deadline is the 2nd business day after discharge.

Patients are named as in the data (Synthea appends digits to names: Rose199 Wehner319).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.management import call_command

# django_db: pytest-django sets up the test database only for modules that ask for it
pytestmark = [pytest.mark.shared_data, pytest.mark.django_db]

AS_OF = date(2021, 7, 10)


@pytest.fixture(scope="module")
def findings(django_db_setup, django_db_blocker, shared_data, tmp_path_factory):
    """Import all 120 bundles, run and store the analytics, read the findings, roll back."""
    from django.db import transaction

    from careloop.accounts.models import Organization
    from careloop.interop.fhir.importer import FhirImport
    from careloop.population.models import AnalyticsRun, PatientFinding

    out = tmp_path_factory.mktemp("synthea-run")
    with django_db_blocker.unblock(), transaction.atomic():
        org = Organization.objects.create(slug="synthea", name="Synthea", mfa_required=False)
        _, report = FhirImport(org.pk, source_system="synthea").run(
            [str(shared_data / "synthea-fhir-r4")]
        )
        assert report.errors == [], report.errors[:3]
        call_command("analytics", "run", "--as-of", "data", "--out", str(out), "--quiet")
        run = AnalyticsRun.objects.get()
        result: dict[str, Any] = {"as_of": run.as_of, "count": run.findings.count()}
        for f in PatientFinding.objects.filter(run=run).select_related("patient"):
            key = f"{f.patient.given_name.rstrip('0123456789')} {f.patient.family_name.rstrip('0123456789')}"
            result[key] = f
        transaction.set_rollback(True)
    return result


def _check(f, *, ccm: str, conditions: list[str], pcm: bool, tcm: bool) -> None:
    assert f.ccm_status == ccm
    assert f.chronic_condition_ids == conditions
    assert f.chronic_condition_count == len(conditions)
    assert f.pcm_eligible is pcm
    assert f.tcm_candidate is tcm
    assert not f.ccm_eligible
    # CCM-020 can never hold on this data set (no CPT/HCPCS codes)
    assert (
        "CCM-020: no qualifying visit with a billing practitioner in 12 months" in f.reasons["ccm"]
    )


def test_the_run_is_as_of_the_data_s_latest_date(findings):
    assert findings["as_of"] == AS_OF
    assert findings["count"] == 120


def test_rose_wehner_is_a_pcm_candidate_with_breast_cancer_and_not_ccm_eligible(findings):
    # Born 1939-07-30, alive. Condition 254837009 malignant neoplasm of breast, onset 2007-09-05;
    # in the 1-year period (2020-07-11..2021-07-10) Encounters of 2020-09-17 carry it as
    # reasonCode: an AMB postoperative follow-up and two IMP stays (screening surveillance,
    # gynecology service, to 2020-09-18) -> Cancer, Breast met (1 inpatient claim).
    # Coronary heart disease 53741008 recorded once, 2019-09-08 (a general examination, AMB), and
    # no later evidence: ischemic heart disease needs 1 IP or 2 carrier claims in 2 years -> not
    # met. Stroke 1995, anemia 1967, prediabetes, obesity: outside their periods or not chronic.
    # EOB insurer Medicare 2007-09-06 .. billablePeriod end 2021-09-18 -> Part B on T.
    f = findings["Rose Wehner"]
    _check(f, ccm="not_eligible", conditions=["cancer_breast"], pcm=True, tcm=False)
    assert f.reasons["payer_kind"] == "part-b"
    assert f.reasons["high_risk_condition"] == "cancer_breast"  # one high-risk condition
    assert "CCM-001: 1 chronic condition(s), 2 needed" in f.reasons["ccm"]
    (cancer,) = f.reasons["conditions"]
    assert {e["evidence_date"] for e in cancer["evidence"]} == {"2020-09-17"}


def test_britteny_pagac_is_a_tcm_candidate_after_her_copd_stay_without_an_accepted_payer(findings):
    # Born 1976-09-15 (44), alive. Condition 87433001 pulmonary emphysema, onset 2017-03-22; IMP
    # Encounter 305411003 admission to thoracic surgery 2021-06-11 .. 2021-06-12 with reasonCode
    # 87433001 -> COPD met (1 inpatient claim in the year). Coronary heart disease 1984: no
    # evidence in 2 years. EOB insurers Humana (billablePeriod to 2022-06-12) and NO_INSURANCE:
    # no Medicare -> CCM-002 fails, so neither CCM nor PCM. TCM: discharged Saturday 2021-06-12,
    # 28 days before T; contact by the 2nd business day, Tuesday 2021-06-15; face-to-face by
    # 2021-06-19 (7 days) or 2021-06-26 (14 days).
    f = findings["Britteny Pagac"]
    _check(
        f, ccm="not_eligible", conditions=["chronic_obstructive_pulmonary_disease"], pcm=False,
        tcm=True,
    )  # fmt: skip
    assert f.reasons["payer_kind"] is None
    assert "CCM-002: no accepted payer (Part B) on the as-of date" in f.reasons["ccm"]
    tcm = f.reasons["tcm"]
    assert (tcm["admit_date"], tcm["discharge_date"]) == ("2021-06-11", "2021-06-12")
    assert tcm["contact_deadline"] == "2021-06-15"
    assert (tcm["face_to_face_by_7"], tcm["face_to_face_by_14"]) == ("2021-06-19", "2021-06-26")


def test_dexter_price_deceased_in_2020_is_not_eligible_despite_heart_failure(findings):
    # Patient.deceasedDateTime 2020-03-09. Condition 84114007 heart failure, onset 2020-03-02,
    # during the IMP ICU stay (2020-03-02 .. 2020-03-09, reason COVID-19) -> heart failure met
    # (1 inpatient claim within 2 years). Alzheimer's disease 2017-12-19: before the 2-year period.
    # Medicare EOBs end 2021-03-17 -> no payer on T. Dead, so nothing applies (ALL-001).
    f = findings["Dexter Price"]
    _check(
        f, ccm="not_eligible", conditions=["heart_failure_and_non_ischemic_heart_disease"],
        pcm=False, tcm=False,
    )  # fmt: skip
    assert f.reasons["alive"] is False
    assert "ELIG-001: deceased" in f.reasons["ccm"]


def test_yang_rosenbaum_with_breast_cancer_on_medicaid_only_is_not_a_pcm_candidate(findings):
    # Born 1958-06-23 (63). Condition 254837009 breast cancer, onset 2014-12-06; IMP screening
    # surveillance 2020-08-01 .. 2020-08-02 with that reasonCode (and AMB follow-ups the same day)
    # -> Cancer, Breast met. Osteoarthritis of hip 1997, obesity, sinusitis: not in the periods.
    # Every EOB insurer is Medicaid (to 2021-08-31): no accepted payer -> no CCM, no PCM.
    f = findings["Yang Rosenbaum"]
    _check(f, ccm="not_eligible", conditions=["cancer_breast"], pcm=False, tcm=False)
    assert f.reasons["payer_kind"] is None


def test_stacia_schowalter_on_medicare_has_no_chronic_condition_in_the_period(findings):
    # Born 1952-09-29. Conditions: traumatic brain damage 1976, obesity 1986, chronic low back
    # pain 2014-02-05, chronic sinusitis 2017-10-19; since 2019-07-11 only two general
    # examinations (2020-01-06, 2021-01-11) without a reasonCode -> no condition met.
    # EOB insurer Medicare 2017-10-19 .. 2022-01-11 -> Part B on T, but 0 conditions.
    f = findings["Stacia Schowalter"]
    _check(f, ccm="not_eligible", conditions=[], pcm=False, tcm=False)
    assert f.reasons["payer_kind"] == "part-b"
    assert "CCM-001: 0 chronic condition(s), 2 needed" in f.reasons["ccm"]


def test_charisse_parisian_aged_102_with_atrial_fibrillation_before_the_year_is_not_eligible(
    findings,
):
    # Born 1919-03-10, alive. Atrial fibrillation 49436004 recorded once, 2019-08-12, before the
    # 1-year period (2020-07-11..); hypertension 1937, osteoporosis 1999: long before. Her COVID-19
    # stay (IMP 2020-02-28 .. 2020-03-12) is outside the 12 months. Medicare EOBs to 2021-08-17.
    f = findings["Charisse Parisian"]
    _check(f, ccm="not_eligible", conditions=[], pcm=False, tcm=False)
    assert f.reasons["payer_kind"] == "part-b"
    assert f.inpatient_admissions_12m == 0


def test_chang_stroman_aged_18_with_hypertension_has_no_accepted_payer(findings):
    # Born 2003-02-26. Condition 59621000 hypertension, onset 2021-04-21 (general examination),
    # and an AMB hypertension follow-up 2021-05-21 with reasonCode 59621000: two carrier
    # "claims" on different dates in the year -> hypertension met. Obesity 2019 is not a CCW
    # condition here. EOB insurers Cigna Health and NO_INSURANCE -> no accepted payer.
    # Hypertension is not a PCM high-risk condition. One EMER encounter, 2020-09-14.
    f = findings["Chang Stroman"]
    _check(f, ccm="not_eligible", conditions=["hypertension"], pcm=False, tcm=False)
    assert f.ed_visits_12m == 1


def test_yuriko_jakubowski_aged_10_with_asthma_is_not_eligible(findings):
    # Born 2010-08-07. Condition 233678006 childhood asthma, onset 2013-01-05; EMER admissions for
    # asthma 2020-11-29 and 2021-05-30 and AMB asthma follow-ups 2020-11-30 and 2021-06-01, each
    # with reasonCode 233678006 -> asthma met. Allergic rhinitis and atopic dermatitis are not
    # CCW chronic conditions. EOB insurer Cigna Health -> no accepted payer. Two ED visits.
    f = findings["Yuriko Jakubowski"]
    _check(f, ccm="not_eligible", conditions=["asthma"], pcm=False, tcm=False)
    assert f.ed_visits_12m == 2


def test_eliseo_wyman_with_diabetes_and_hypertension_since_1983_is_not_ccm_eligible(findings):
    # Born 1946-05-24, on Medicare (EOBs 2012-01-20 .. 2022-05-14). Conditions: diabetes 44054006
    # and hypertension 59621000 (1983-08-12), coronary heart disease 2015-02-06, CKD stage 1 and
    # diabetic renal disease 2019-03-01 — each recorded once; since 2019-07-11 his encounters are
    # general examinations, check-ups, urgent care and one viral sinusitis visit, none with a
    # chronic reasonCode. 2019-03-01 is before the 2-year period of diabetes and CKD
    # (2019-07-11..): no condition is met, so CCM-001 fails on the data as recorded.
    f = findings["Eliseo Wyman"]
    _check(f, ccm="not_eligible", conditions=[], pcm=False, tcm=False)
    assert f.reasons["payer_kind"] == "part-b"


def test_christian_bruen_with_one_hyperlipidemia_visit_in_the_year_is_not_eligible(findings):
    # Born 1947-09-10, on Medicare (EOBs to 2022-06-03). Hyperlipidemia 55822004 since 1999;
    # follow-up encounters with that reasonCode on 2020-06-03 and 2021-06-03: only the second is
    # in the 1-year period (2020-07-11..2021-07-10), and 2 carrier claims are needed -> not met.
    # Hypertension 1965, stroke 1990, chronic obstructive bronchitis 2004: no evidence in their
    # periods. Her COVID-19 stay (IMP 2020-03-06 .. 2020-03-15) is before the 12 months.
    f = findings["Christian Bruen"]
    _check(f, ccm="not_eligible", conditions=[], pcm=False, tcm=False)
    assert f.reasons["payer_kind"] == "part-b"


def test_isela_rempel_aged_19_with_chronic_pain_has_no_accepted_payer(findings):
    # Born 2001-08-05. Chronic low back pain 278860009 and chronic neck pain 1121000119107, both
    # onset 2019-09-10, and an AMB encounter 2020-02-19 with reasonCode chronic neck pain: two
    # dates in the 2-year period -> Fibromyalgia and Chronic Pain and Fatigue met ("2 other
    # non-drug claims"). EOB insurers Anthem (to 2021-10-04) and NO_INSURANCE -> no payer.
    f = findings["Isela Rempel"]
    _check(
        f, ccm="not_eligible", conditions=["fibromyalgia_and_chronic_pain_and_fatigue"],
        pcm=False, tcm=False,
    )  # fmt: skip
    assert f.reasons["payer_kind"] is None


def test_roselia_thompson_deceased_in_2010_is_not_eligible(findings):
    # Born 1919-03-10, deceasedDateTime 2010-03-15; no encounter after 2010. Alzheimer's disease
    # 1999, osteoporosis 1989, osteoarthritis of knee 1986: long before any period. Medicare EOBs
    # end 2011-03-22.
    f = findings["Roselia Thompson"]
    _check(f, ccm="not_eligible", conditions=[], pcm=False, tcm=False)
    assert f.reasons["alive"] is False and f.reasons["payer_kind"] is None
