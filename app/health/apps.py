from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "app.health"
    label = "health"
