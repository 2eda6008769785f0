from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("patients/", views.patient_list, name="patients"),
    path("patients/<int:patient_id>/", views.patient_chart, name="patient_chart"),
    path("imports/", views.import_runs, name="import_runs"),
    path("imports/<int:run_id>/", views.import_run_detail, name="import_run"),
    path("organization/", views.switch_organization, name="switch_organization"),
]
