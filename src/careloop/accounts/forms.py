"""Forms of the sign-in, MFA, re-authentication, break-the-glass and membership screens."""

from __future__ import annotations

from django import forms
from django.conf import settings

from careloop.core.npi import npi_problem

from .models import Role


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Six-digit code from your authenticator app",
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_token(self) -> str:
        return "".join(self.cleaned_data["token"].split())


class RecoveryCodeForm(forms.Form):
    recovery_code = forms.CharField(
        label="Recovery code",
        max_length=20,
        help_text="One of the ten codes you saved when you turned on two-factor sign-in. "
        "Each code works once.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )


class ReauthForm(forms.Form):
    password = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    token = forms.CharField(
        label="Six-digit code from your authenticator app",
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_token(self) -> str:
        return "".join(self.cleaned_data["token"].split())


class BreakGlassForm(forms.Form):
    patient = forms.CharField(
        label="Patient (careloop id, MRN or MBI)",
        max_length=64,
    )
    reason = forms.CharField(
        label="Reason for emergency access",
        min_length=settings.BREAK_GLASS_REASON_MIN_LENGTH,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            f"Required, at least {settings.BREAK_GLASS_REASON_MIN_LENGTH} characters. "
            "The access is time-limited, flagged and reviewed."
        ),
    )


class ReviewForm(forms.Form):
    note = forms.CharField(
        label="Review note", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)
    npi = forms.CharField(label="NPI", max_length=10, required=False, strip=True)

    def clean_npi(self) -> str:
        npi: str = self.cleaned_data["npi"]
        problem = npi_problem(npi) if npi else None
        if problem:
            raise forms.ValidationError(problem)
        return npi
