"""Forms of the care-team and credentials screens: labels on every control, precise errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone

from .models import CareTeamRole, Credential

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _person_label(user: Any) -> str:
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _person_label(obj)


class AssignmentForm(forms.Form):
    """Who joins which patient's care team, as what, from when (to when)."""

    patient = forms.CharField(
        label="Patient (careloop id, MRN or MBI)",
        max_length=64,
        help_text="The patient must belong to the organization you are working in.",
    )
    user = PersonField(label="Person", queryset=None, empty_label="Choose a person")
    role = forms.ChoiceField(label="Care-team role", choices=CareTeamRole.choices)
    start = forms.DateField(label="Start date", widget=DATE)
    end = forms.DateField(
        label="End date (optional)",
        required=False,
        widget=DATE,
        help_text="Leave empty for an open assignment. The person is on the team on the end date.",
    )

    def __init__(self, *args: Any, people: Any, patient: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("start", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people  # type: ignore[attr-defined]
        if patient is not None:  # the patient's own page: the patient is given
            self.fields["patient"].required = False
            self.fields["patient"].widget = forms.HiddenInput()
            self.initial["patient"] = str(patient.pk)


class EndAssignmentForm(forms.Form):
    end = forms.DateField(label="End date", widget=DATE)


class ExpiryWindowForm(forms.Form):
    within = forms.IntegerField(
        label="Warn about credentials expiring within (days)",
        min_value=1,
        max_value=730,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def days(self) -> int:
        if self.is_valid() and self.cleaned_data["within"]:
            return int(self.cleaned_data["within"])
        return int(settings.CREDENTIAL_WARNING_DAYS)


class CredentialForm(forms.Form):
    user = PersonField(label="Person", queryset=None, empty_label="Choose a person")
    kind = forms.ChoiceField(label="Credential type", choices=Credential.Kind.choices)
    number = forms.CharField(label="Number", max_length=64)
    state = forms.CharField(
        label="State (two letters; required for a licence)",
        max_length=2,
        required=False,
        widget=forms.TextInput(attrs={"size": 3, "autocapitalize": "characters"}),
    )
    issuer = forms.CharField(label="Issuer", max_length=200, required=False)
    issued_on = forms.DateField(label="Issued on", required=False, widget=DATE)
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        widget=DATE,
        help_text="Leave empty for a credential that does not expire.",
    )

    def __init__(self, *args: Any, people: Any, person: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people  # type: ignore[attr-defined]
        if person is not None:  # editing: the credential's holder does not change
            self.fields["user"].disabled = True
            self.initial["user"] = person.pk

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("user", None)
        return data
