from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "dossier.forms"
    label = "forms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dossier.core import maintenance
        from dossier.forms.ratelimit import purge_counters

        maintenance.register("purge form rate counters", purge_counters, every_seconds=300)
