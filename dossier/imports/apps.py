from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "dossier.imports"
    label = "imports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dossier.imports.services import ImportKind
        from dossier.jobs.engine import register_kind
        from dossier.jobs.models import Job

        register_kind(Job.Kind.IMPORT, ImportKind())
