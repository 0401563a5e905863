from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dossier.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.backends.signals import connection_created

        from dossier.core import checks  # noqa: F401  (registers the deployment checks)
        from dossier.core.folding import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="dossier_fold")
