from django.urls import path

from . import views

app_name = "population"

urlpatterns = [
    path("registry/", views.registry, name="registry"),
    path("registry/export.csv", views.registry_export, name="registry_export"),
]
