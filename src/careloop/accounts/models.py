"""Organizations (tenants), sites, memberships, staff, credentials, care teams, break-the-glass.

An Organization here is a careloop customer — a practice, a health system or a health
plan — and the boundary of patient data (accounts/policies.py). Hospitals, payers and
practices named *inside* clinical data are `clinical.ProviderOrganization`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


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

    class ChartAccess(models.TextChoices):
        ORGANIZATION = "organization", "Every PHI role sees every patient of the organization"
        CARE_TEAM = (
            "care_team",
            "Care team roles see their assigned patients (else break the glass)",
        )

    time_zone = models.CharField(max_length=64, default="America/New_York")
    mfa_required = models.BooleanField(default=True)
    chart_access = models.CharField(
        max_length=20,
        choices=ChartAccess.choices,
        default=ChartAccess.ORGANIZATION,
        help_text="who opens which chart (docs/access-control.md)",
    )
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


class StaffType(models.TextChoices):
    """The clinical staff type or practitioner type of a person (medicare-rules §0)."""

    RN = "rn", "Registered nurse (RN)"
    LPN = "lpn", "Licensed practical nurse (LPN)"
    MA = "ma", "Medical assistant (MA)"
    HEALTH_COACH = "health_coach", "Health coach"
    CHW = "chw", "Community health worker"
    LCSW = "lcsw", "Licensed clinical social worker (LCSW)"
    MSW = "msw", "Social worker (MSW)"
    PHARMACIST = "pharmacist", "Pharmacist"
    PHYSICIAN = "physician", "Physician (MD/DO)"
    NP = "np", "Nurse practitioner (NP)"
    PA = "pa", "Physician assistant (PA)"
    CNS = "cns", "Clinical nurse specialist (CNS)"
    CNM = "cnm", "Certified nurse-midwife (CNM)"
    OTHER = "other", "Other"


class StaffProfile(models.Model):
    """What kind of clinical staff or practitioner a user is; one per person."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    staff_type = models.CharField(max_length=20, choices=StaffType.choices)
    title = models.CharField(max_length=100, blank=True, help_text='e.g. "RN, CCM"')

    def __str__(self) -> str:
        return f"{self.user} ({self.get_staff_type_display()})"


class Credential(models.Model):
    """A licence or certification of a person, with its expiry (warned about in advance)."""

    class Kind(models.TextChoices):
        LICENSE = "license", "Professional licence"
        CCM = "ccm", "Certified Case Manager (CCM)"
        CERTIFICATION = "certification", "Other certification"
        DEA = "dea", "DEA registration"
        BOARD = "board", "Board certification"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credentials"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    number = models.CharField(max_length=64)
    state = models.CharField(max_length=2, blank=True, help_text="US state of a licence")
    issuer = models.CharField(max_length=200, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["expires_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number} ({self.user})"

    @property
    def expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < timezone.localdate()


class CareTeamRole(models.TextChoices):
    PRIMARY_CARE_MANAGER = "primary_care_manager", "Primary care manager"
    CASE_MANAGER = "case_manager", "Case manager"
    BILLING_PRACTITIONER = "billing_practitioner", "Billing practitioner"


class CareTeamAssignment(models.Model):
    """A person on a patient's care team, from `start` to `end` (inclusive; open when None).

    Scopes worklists, and charts in organizations with `chart_access = care_team`.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="care_team_assignments"
    )
    patient = models.ForeignKey(
        "clinical.Patient", on_delete=models.CASCADE, related_name="care_team_assignments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_team_assignments"
    )
    role = models.CharField(max_length=32, choices=CareTeamRole.choices)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "organization", "end"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="care_team_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of patient {self.patient_id}"


class BreakGlassGrant(models.Model):
    """Emergency access to one patient outside the user's routine access (SEC-003).

    Time-limited (`expires_at`), with the stated reason; every read under it is an access
    event flagged `break_glass`; listed for review until a program administrator reviews it.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    patient = models.ForeignKey(
        "clinical.Patient", on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    reason = models.TextField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="break_glass_reviews",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [models.Index(fields=["user", "patient", "expires_at"])]

    def __str__(self) -> str:
        return f"break the glass: {self.user} → patient {self.patient_id} at {self.granted_at}"


# The second factors live in their own module; importing them here registers the models.
from .mfa_devices import RecoveryCode, RecoveryCodeDevice, TOTPDevice  # noqa: E402

__all__ = [
    "BreakGlassGrant",
    "CareTeamAssignment",
    "CareTeamRole",
    "Credential",
    "Membership",
    "Organization",
    "RecoveryCode",
    "RecoveryCodeDevice",
    "Role",
    "Site",
    "StaffProfile",
    "StaffType",
    "TOTPDevice",
]
