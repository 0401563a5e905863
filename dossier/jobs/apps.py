from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "dossier.jobs"
    label = "jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dossier.core import maintenance
        from dossier.jobs.engine import recover_stalled_jobs

        maintenance.register("recover stalled jobs", recover_stalled_jobs, every_seconds=15)
