from django.apps import AppConfig


class LeaveConfig(AppConfig):
    name = "app.leave"
    label = "leave"
