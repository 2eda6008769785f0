"""URL configuration. Every pattern here is enumerated by tests/test_url_access.py."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("audit/", include("careloop.audit.urls")),
    path("", include("careloop.web.urls")),
]
