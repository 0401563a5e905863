from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "dossier.jobs"
    label = "jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dossier.core import maintenance
        from dossier.jobs import batch_edit, undo
        from dossier.jobs.engine import LEASE_SECONDS, recover_stalled_jobs, register_kind
        from dossier.jobs.models import Job

        register_kind(Job.Kind.BATCH_EDIT, batch_edit.BatchEdit())
        register_kind(Job.Kind.UNDO, undo.Undo())
        maintenance.register("recover stalled jobs", recover_stalled_jobs, every_seconds=min(15, LEASE_SECONDS / 2))
