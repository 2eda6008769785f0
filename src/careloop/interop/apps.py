from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "careloop.interop"
    label = "interop"
