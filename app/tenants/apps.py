from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "app.tenants"
    label = "tenants"
