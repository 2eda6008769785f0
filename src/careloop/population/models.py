"""Stored analytics results (issue 4 point 4): one row per run, one finding per patient."""

from __future__ import annotations

from django.db import models


class CcmStatus(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    NEEDS_INITIATING_VISIT = "needs_initiating_visit", "Needs initiating visit"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"


class RiskTier(models.TextChoices):
    """TIER-001..004 (§5.4), lowest first."""

    LOW = "low", "Low"
    RISING = "rising", "Rising"
    HIGH = "high", "High"
    VERY_HIGH = "very_high", "Very high"


class RecommendedProgram(models.TextChoices):
    """TIER-005 (§5.4)."""

    CASE_MANAGEMENT = "case_management", "Case management"
    CCM = "ccm", "CCM"
    PCM = "pcm", "PCM"
    NONE = "none", "None"


class AnalyticsRun(models.Model):
    """One `careloop analytics run`, as its manifest describes it."""

    run_id = models.CharField(max_length=64, unique=True)
    as_of = models.DateField()
    engine = models.CharField(max_length=100)
    input_hash = models.CharField(max_length=64)
    rule_versions = models.JSONField(default=dict)  # value sets, rules, Charlson
    finished_at = models.DateTimeField()
    # the run's scope: one organization (--organization), or every organization (null)
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        ordering = ["-finished_at", "-id"]

    def __str__(self) -> str:
        return f"analytics run {self.run_id} as of {self.as_of}"


class PatientFinding(models.Model):
    """What one run found for one patient: eligibility, conditions, utilization, LACE."""

    run = models.ForeignKey(AnalyticsRun, on_delete=models.CASCADE, related_name="findings")
    patient = models.ForeignKey("clinical.Patient", on_delete=models.CASCADE)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT)
    ccm_eligible = models.BooleanField(default=False)
    ccm_status = models.CharField(max_length=32, choices=CcmStatus.choices)
    pcm_eligible = models.BooleanField(default=False)
    tcm_candidate = models.BooleanField(default=False)
    chronic_condition_ids = models.JSONField(default=list)
    chronic_condition_count = models.PositiveIntegerField(default=0)
    inpatient_admissions_12m = models.PositiveIntegerField(default=0)
    ed_visits_12m = models.PositiveIntegerField(default=0)
    readmissions_12m = models.PositiveIntegerField(default=0)
    latest_lace = models.PositiveIntegerField(null=True, blank=True)
    # CMS-HCC (§5.1, hcc_score mart); null when the run has no HCC results for the patient
    hcc_model = models.CharField(max_length=16, blank=True)
    hcc_payment_year = models.PositiveSmallIntegerField(null=True, blank=True)
    hcc_segment = models.CharField(max_length=32, blank=True)
    hcc_raw_score = models.FloatField(null=True, blank=True)
    hcc_normalized_score = models.FloatField(null=True, blank=True)
    hccs = models.JSONField(default=list)  # payment HCCs after hierarchies
    charlson_index = models.PositiveSmallIntegerField(null=True, blank=True)  # CHR-001
    super_utilizer = models.BooleanField(default=False)  # §5.3: any SU rule holds
    super_utilizer_rules = models.JSONField(default=list)  # e.g. ["SU-001", "SU-004"]
    # §5.4; blank when the run has no risk_tier results
    risk_tier = models.CharField(max_length=16, choices=RiskTier.choices, blank=True)
    recommended_program = models.CharField(
        max_length=16, choices=RecommendedProgram.choices, blank=True
    )
    open_gap_ids = models.JSONField(default=list)  # §8, e.g. ["GAP-001", "GAP-007"]
    open_gap_count = models.PositiveSmallIntegerField(default=0)
    closed_gap_count = models.PositiveSmallIntegerField(default=0)
    # payers of the coverage active on the run's as-of date (the registry's payer filter)
    payers = models.JSONField(default=list)
    # the explanations the marts give: eligibility reasons, conditions and their evidence,
    # the latest LACE stay, the TCM discharge, HCC drivers, Charlson conditions, utilization,
    # super-utilizer evidence, tier reasons, care gaps
    reasons = models.JSONField(default=dict)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "run"], name="pop_finding_org_run"),
            models.Index(fields=["run", "risk_tier"], name="pop_finding_run_tier"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["run", "patient"], name="pop_finding_run_patient")
        ]

    def __str__(self) -> str:
        return f"finding for patient {self.patient_id} in run {self.run_id}"
