from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "dossier.forms"
    label = "forms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dossier.core import maintenance
        from dossier.forms.consent import send_unsent_confirmations
        from dossier.forms.ratelimit import purge_counters

        maintenance.register("purge form rate counters", purge_counters, every_seconds=300)
        maintenance.register("send unsent consent confirmations", send_unsent_confirmations, every_seconds=30)
