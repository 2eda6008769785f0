"""URL configuration. Every pattern here is enumerated by tests/accounts/test_url_access.py."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from careloop.accounts import auth_views as sign_in

urlpatterns = [
    path("login/", sign_in.login_view, name="login"),
    path("login/token/", sign_in.login_token, name="login_token"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("careloop.accounts.urls")),
    path("audit/", include("careloop.web.audit.urls")),
    path("population/", include("careloop.population.urls")),
    path("", include("careloop.web.urls")),
]

handler404 = "careloop.accounts.views.not_found"
