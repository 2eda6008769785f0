"""The audit log viewer's filters (GET form) and the disclosures report's date range."""

from __future__ import annotations

import datetime as dt

from django import forms

from careloop.audit.models import Source

ACTIONS = [
    ("", "Any action"),
    ("view", "View (every read of PHI)"),
    ("break-glass", "Break the glass"),
    ("create", "Create"),
    ("update", "Update"),
    ("delete", "Delete"),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class DateRangeForm(forms.Form):
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To (inclusive)", required=False, widget=DateInput())

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("“From” must be on or before “To”.")
        return data


class AuditFilterForm(DateRangeForm):
    field_order = ["user", "patient", "date_from", "date_to", "action", "source", "audit_reads"]

    user = forms.CharField(label="User (username)", required=False, max_length=150)
    patient = forms.CharField(
        label="Patient (MRN, MBI, name or id)", required=False, max_length=100
    )
    action = forms.ChoiceField(label="Action", required=False, choices=ACTIONS)
    source = forms.ChoiceField(
        label="Source", required=False, choices=[("", "Any source"), *Source.choices]
    )
    audit_reads = forms.BooleanField(label="Include the audit screens' own reads", required=False)


def last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the calendar month before `today`'s."""
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end
