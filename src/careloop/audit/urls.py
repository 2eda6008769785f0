"""Audit screens: the audit log viewer, its CSV export, the accounting of disclosures."""

from django.urls import path  # noqa: F401

app_name = "audit"

urlpatterns: list = []
