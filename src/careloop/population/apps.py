from django.apps import AppConfig


class PopulationConfig(AppConfig):
    name = "careloop.population"
    label = "population"
