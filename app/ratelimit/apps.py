from django.apps import AppConfig


class RateLimitConfig(AppConfig):
    name = "app.ratelimit"
    label = "ratelimit"
    verbose_name = "Rate limiting"
