from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "dossier.webhooks"
    label = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dossier.activity import outbox
        from dossier.core import maintenance
        from dossier.webhooks.dispatch import mark, sweep

        outbox.register(outbox.Consumer("webhooks", mark))
        maintenance.register("deliver webhooks", sweep, every_seconds=2)
