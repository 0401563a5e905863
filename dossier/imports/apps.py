from django.apps import AppConfig
from django.db.models.signals import post_save


class ImportsConfig(AppConfig):
    name = "dossier.imports"
    label = "imports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dossier.core import maintenance
        from dossier.imports.services import ImportKind
        from dossier.imports.storage import release_after_import, sweep_uploads
        from dossier.jobs.engine import register_kind
        from dossier.jobs.models import Job

        register_kind(Job.Kind.IMPORT, ImportKind())
        post_save.connect(release_after_import, sender=Job, dispatch_uid="imports-release-upload")
        maintenance.register("delete import uploads no run needs", sweep_uploads, every_seconds=300)
