"""Organizations (tenants), sites and memberships.

An Organization here is a careloop customer — a practice, a health system or a health
plan — and the boundary of patient data (accounts/policies.py). Hospitals, payers and
practices named *inside* clinical data are `clinical.ProviderOrganization`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Organization(models.Model):
    class Kind(models.TextChoices):
        PRACTICE = "practice", "Practice"
        HEALTH_SYSTEM = "health_system", "Health system"
        HEALTH_PLAN = "health_plan", "Health plan"

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PRACTICE)
    fqhc_rhc = models.BooleanField(
        default=False, help_text="Federally Qualified Health Center or Rural Health Clinic (FQ-001)"
    )
    time_zone = models.CharField(max_length=64, default="America/New_York")
    mfa_required = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    CARE_MANAGER = "care_manager", "Care manager"
    CASE_MANAGER = "case_manager", "Case manager"
    BILLING_PRACTITIONER = "billing_practitioner", "Billing practitioner"
    BILLER = "biller", "Biller"
    PROGRAM_ADMIN = "program_admin", "Program administrator"
    AUDITOR = "auditor", "Auditor"


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    npi = models.CharField(max_length=10, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "role"], name="unique_membership_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organization}"
