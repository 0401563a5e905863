"""Enqueueing a task only when no run of it is already waiting to start.

A task that reads everything committed so far (a drain, a dispatch) needs one waiting run, however
many commits asked for it: each further enqueue is a row the worker would start for nothing. Only
the database backend can be asked what is waiting; with another backend every call enqueues.
"""

from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult


def waiting_args(task) -> list[list] | None:
    """The arguments of the task's runs that wait to start; None when the backend cannot tell."""
    if not isinstance(task.get_backend(), DatabaseBackend):
        return None
    rows = DBTaskResult.objects.ready().filter(task_path=task.module_path).values_list("args_kwargs", flat=True)
    return [row["args"] for row in rows]


def enqueue_once(task, *args) -> None:
    """Enqueue `task(*args)` unless a run with the same arguments waits to start."""
    waiting = waiting_args(task)
    if waiting is None or list(args) not in waiting:
        task.enqueue(*args)
