"""Stored analytics results (issue 4 point 4): one row per run, one finding per patient."""

from __future__ import annotations

from django.db import models


class CcmStatus(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    NEEDS_INITIATING_VISIT = "needs_initiating_visit", "Needs initiating visit"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"


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
    # the explanations the marts give: eligibility reasons, conditions and their evidence,
    # the latest LACE stay, the TCM discharge
    reasons = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["organization", "run"], name="pop_finding_org_run")]
        constraints = [
            models.UniqueConstraint(fields=["run", "patient"], name="pop_finding_run_patient")
        ]

    def __str__(self) -> str:
        return f"finding for patient {self.patient_id} in run {self.run_id}"
