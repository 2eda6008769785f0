"""Audit screens: the audit log viewer, its CSV export, the accounting of disclosures."""

from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_log, name="log"),
    path("export.csv", views.audit_export, name="export"),
    path("patients/<int:patient_id>/disclosures/", views.disclosures, name="disclosures"),
]
