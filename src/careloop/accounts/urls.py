from django.urls import path

from . import auth_views, views

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
]
