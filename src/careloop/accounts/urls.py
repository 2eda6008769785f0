from django.urls import path

from . import auth_views, care_team_views, credential_views, views

app_name = "accounts"

urlpatterns = [
    path("mfa/", auth_views.mfa, name="mfa"),
    path("recovery-codes/", auth_views.recovery_codes, name="recovery_codes"),
    path("reauth/", auth_views.reauth, name="reauth"),
    path("break-glass/", views.break_glass, name="break_glass"),
    path("break-glass/review/", views.break_glass_review, name="break_glass_review"),
    path(
        "break-glass/<int:grant_id>/review/",
        views.break_glass_reviewed,
        name="break_glass_reviewed",
    ),
    path("members/", views.members, name="members"),
    path("members/<int:membership_id>/role/", views.membership_role, name="membership_role"),
    path(
        "members/<int:membership_id>/mfa-reset/",
        views.membership_mfa_reset,
        name="membership_mfa_reset",
    ),
    path("care-teams/", care_team_views.care_teams_list, name="care_teams"),
    path(
        "care-teams/patients/<int:patient_id>/",
        care_team_views.care_team_patient,
        name="care_team_patient",
    ),
    path(
        "care-teams/<int:assignment_id>/end/", care_team_views.care_team_end, name="care_team_end"
    ),
    path("credentials/", credential_views.credentials_list, name="credentials"),
    path(
        "credentials/<int:credential_id>/",
        credential_views.credential_edit,
        name="credential_edit",
    ),
]
