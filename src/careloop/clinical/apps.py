from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "careloop.clinical"
    label = "clinical"
