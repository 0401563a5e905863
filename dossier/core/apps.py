from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dossier.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from dossier.core import checks  # noqa: F401  (registers the deployment checks)
