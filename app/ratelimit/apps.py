"""Django app config for per-tenant rate limiting."""

from django.apps import AppConfig


class RateLimitConfig(AppConfig):
    name = "app.ratelimit"
    label = "ratelimit"
    verbose_name = "Rate limiting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.test.signals import setting_changed

        from app.ratelimit.runtime import on_setting_changed

        setting_changed.connect(on_setting_changed, dispatch_uid="ratelimit-settings")
