from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "app.core"
    label = "core"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from app.core.grants import grant_runtime_after_migrate

        # Sent once per migrate (and per test flush) for this app, after every migration.
        post_migrate.connect(grant_runtime_after_migrate, sender=self)
