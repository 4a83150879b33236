from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "app.people"
    label = "people"
