from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "dossier.workflows"
    label = "workflows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dossier.activity import outbox
        from dossier.core import maintenance
        from dossier.workflows.dispatch import queue_triggers
        from dossier.workflows.engine import sweep

        outbox.register(outbox.Consumer("workflows", queue_triggers))
        maintenance.register("resume workflow runs", sweep, every_seconds=2)
