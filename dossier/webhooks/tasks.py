"""The django-tasks tasks of webhook delivery (their paths are stored in queued task rows)."""

from django_tasks import task


@task()
def dispatch_webhooks() -> int:
    from dossier.webhooks.dispatch import dispatch

    return dispatch()


@task()
def deliver_webhooks(subscription_id: str) -> int:
    from dossier.webhooks.dispatch import deliver

    return deliver(subscription_id)
