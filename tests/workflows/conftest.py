"""Workflows and a worker, driven the way an operator does: the API and `dossier worker`."""

import pytest
from django.core.management import call_command


@pytest.fixture
def make_workflow(api):
    def make(definition: dict) -> dict:
        response = api.post("/workflows", {"enabled": True, **definition})
        assert response.status_code == 201, response.content
        return response.json()

    return make


@pytest.fixture
def run_worker():
    """`dossier worker --batch` in this process: runs every queued task, then returns."""

    def run() -> None:
        call_command("worker", batch=True, interval=0, verbosity=0)

    return run


@pytest.fixture
def runs_of(api):
    def runs(workflow_id: int, **filters) -> list[dict]:
        query = "&".join(f"{key}={value}" for key, value in filters.items())
        response = api.get(f"/workflows/{workflow_id}/runs?limit=200&{query}")
        assert response.status_code == 200, response.content
        return list(reversed(response.json()["items"]))  # oldest first

    return runs
