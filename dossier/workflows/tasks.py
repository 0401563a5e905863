"""The django-tasks task that runs the workflow engine (its path is stored in queued task rows)."""

from django_tasks import task


@task()
def advance_workflows() -> int:
    from dossier.workflows.engine import drain

    return drain()
