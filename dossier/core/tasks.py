"""Enqueueing a task only when no run of it is already waiting to start.

A task that reads everything committed so far (a drain, a dispatch) needs one waiting run, however
many commits asked for it: each further enqueue is a row the worker would start for nothing. Only
the database backend can be asked what is waiting; with another backend every call enqueues.
"""

from django.db import connection, transaction
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


def enqueue_once_on_commit(task, *args) -> None:
    """Make sure a run of `task(*args)` starts after the current transaction commits.

    As a rule the check and the enqueue wait for the commit: until then a worker may claim the
    waiting run and read before this transaction's rows are visible. On SQLite with the database
    backend they join the transaction instead. Its writer holds the database's only write lock
    from BEGIN to COMMIT (transaction_mode IMMEDIATE), and a worker's claim is a write. So a
    waiting run found here cannot start before the commit, and the task row commits with the
    rows it is for. That saves every writer a second write transaction: a second turn at the
    lock, which on a busy database costs more than the write itself.
    """
    joins = (connection.vendor == "sqlite" and connection.in_atomic_block
             and isinstance(task.get_backend(), DatabaseBackend))
    if joins:
        enqueue_once(task, *args)
    else:
        transaction.on_commit(lambda: enqueue_once(task, *args), robust=True)
