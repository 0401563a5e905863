"""POST /jobs/{id}/undo: a new job takes back what a job changed, reporting what changed since."""

import pytest

from dossier.activity.event_types import SOURCE_IMPORT
from dossier.jobs import engine
from dossier.jobs.models import Job
from dossier.profiles.attributes import AttributeRegistry
from dossier.profiles.changes import ChangeContext, Identity, WriteItem, apply_writes
from dossier.profiles.writes import parse_profile_json

pytestmark = pytest.mark.django_db


def batch_edit(api, ids, changes):
    response = api.post("/profiles/batch-edit", {"selection": {"ids": ids}, "changes": changes})
    assert response.status_code == 200, response.content
    return response.json()


def undo(api, job):
    response = api.post(f"/jobs/{job['id']}/undo")
    assert response.status_code == 200, response.content
    return response.json()


def profile(api, profile_id):
    return api.get(f"/profiles/{profile_id}").json()


def test_undo_restores_every_value_the_job_changed(api, make_profiles, change_events):
    acme = api.post("/companies", {"name": "Acme"}).json()
    globex = api.post("/companies", {"name": "Globex"}).json()
    [a] = make_profiles({"email": "a@example.com", "city": "Warsaw", "phone": "+48 500 100 200", "birthDate": "1980-01-02",
                         "tags": ["old", "keep"], "attributes": {"plan": "free"}, "company": {"id": acme["id"]}})
    before = profile(api, a)
    job = batch_edit(api, [a], {"set": {"city": "Poznań", "birthDate": "1990-05-17", "attributes.plan": "pro",
                                        "attributes.segment": "gold"},
                                "clear": ["phone"], "addTags": ["vip"], "removeTags": ["old"],
                                "agreements": {"sms": True}, "companyId": globex["id"]})

    result = undo(api, job)

    assert (result["kind"], result["status"], result["undoes"], result["total"]) == ("undo", "succeeded", job["id"], 1)
    assert (result["succeeded"], result["failed"], result["summary"]["restored"]) == (1, 0, 1)
    after = profile(api, a)
    assert {k: v for k, v in after.items() if k not in ("version", "updatedAt", "consents")} == \
           {k: v for k, v in before.items() if k not in ("version", "updatedAt", "consents")}
    assert after["version"] == before["version"] + 2
    # Consent is a history, not a value: the grant the job made stays on record, taken back by the undo.
    assert (after["consents"]["sms"]["state"], after["consents"]["sms"]["source"]) == ("withdrawn", "undo")
    last = change_events(a)[-1]
    assert (last["source"], last["jobId"], last["actor"]) == ("undo", result["id"], result["createdBy"])
    assert {"attribute": "attributes.segment", "old": "gold", "new": None} in last["params"]["changes"]
    assert api.get(f"/jobs/{job['id']}").json()["undoneBy"] == result["id"]


def test_undo_leaves_a_value_edited_after_the_job_and_reports_it_as_a_conflict(api, make_profiles):
    a, b = make_profiles({"email": "a@example.com", "city": "Warsaw", "tags": ["old"]},
                         {"email": "b@example.com", "city": "Gdańsk"})
    job = batch_edit(api, [a, b], {"set": {"city": "Poznań", "lastName": "Nowak"}, "addTags": ["vip"], "removeTags": ["old"]})
    api.patch(f"/profiles/{a}", {"city": "Berlin", "removeTags": ["vip"]})

    result = undo(api, job)

    assert (result["succeeded"], result["failed"], result["summary"]["conflicts"]) == (1, 1, 2)
    assert {(e["profileId"], e["field"], e["code"], e["value"]) for e in result["errors"]} == {
        (a, "city", "changed_since", "Berlin"), (a, "tags", "changed_since", "vip")}
    first, second = profile(api, a), profile(api, b)
    assert (first["city"], first["lastName"], first["tags"]) == ("Berlin", None, ["old"])
    assert (second["city"], second["lastName"]) == ("Gdańsk", None)


def test_a_value_changed_back_since_the_job_is_listed_as_a_conflict(api, make_profiles):
    [a] = make_profiles({"email": "a@example.com", "city": "Warsaw"})
    job = batch_edit(api, [a], {"set": {"city": "Poznań"}})
    api.patch(f"/profiles/{a}", {"city": "Warsaw"})

    result = undo(api, job)

    assert [(e["field"], e["message"]) for e in result["errors"]] == [("city", "changed back since the job to the value before it")]
    assert (profile(api, a)["city"], profile(api, a)["version"]) == ("Warsaw", 3)


def test_undoing_the_undo_redoes(api, make_profiles):
    a, b = make_profiles({"email": "a@example.com", "city": "Warsaw", "tags": ["old"]}, {"email": "b@example.com"})
    job = batch_edit(api, [a, b], {"set": {"city": "Poznań", "attributes.score": 5}, "addTags": ["vip"], "removeTags": ["old"]})
    done = {a: profile(api, a), b: profile(api, b)}
    first_undo = undo(api, job)

    redo = undo(api, first_undo)

    assert (redo["kind"], redo["undoes"], redo["succeeded"], redo["failed"]) == ("undo", first_undo["id"], 2, 0)
    for pid in (a, b):
        now = profile(api, pid)
        assert {k: v for k, v in now.items() if k not in ("version", "updatedAt")} == \
               {k: v for k, v in done[pid].items() if k not in ("version", "updatedAt")}
    assert sorted(p["id"] for p in api.get(f"/profiles?job={redo['id']}").json()["items"]) == sorted([a, b])


def test_a_job_cannot_be_undone_twice_nor_a_dry_run(api, make_profiles):
    [a] = make_profiles({"email": "a@example.com"})
    job = batch_edit(api, [a], {"set": {"city": "Poznań"}})
    first = undo(api, job)
    dry = api.post("/profiles/batch-edit", {"selection": {"ids": [a]}, "changes": {"set": {"city": "X"}}, "dryRun": True}).json()

    again = api.post(f"/jobs/{job['id']}/undo")
    of_dry_run = api.post(f"/jobs/{dry['id']}/undo")

    assert again.status_code == 409 and first["id"] in again.json()["error"]["message"]
    assert of_dry_run.status_code == 409 and of_dry_run.json()["error"]["code"] == "not_undoable"
    assert api.post("/jobs/00000000-0000-4000-8000-000000000000/undo").status_code == 404


class CreatingJob:
    """A job kind that creates profiles from `params.rows` the way an import does."""

    def run_chunk(self, job):
        registry = AttributeRegistry.load()
        items = [WriteItem(i, Identity("email", row["email"]), parse_profile_json(row, registry)[0])
                 for i, row in enumerate(job.params["rows"])]
        apply_writes(items, ChangeContext(source=SOURCE_IMPORT, actor=job.created_by, job_id=job.id), registry=registry)
        job.processed = len(items)
        return True


@pytest.fixture
def run_import(monkeypatch):
    monkeypatch.setitem(engine.KINDS, Job.Kind.IMPORT, CreatingJob())

    def run(rows):
        job = Job.objects.create(kind=Job.Kind.IMPORT, created_by="user:importer", params={"rows": rows})
        return {"id": str(engine.run(job.id).id)}

    return run


def test_undo_of_a_job_that_created_profiles_deletes_those_unchanged_since_and_redo_recreates_them(api, make_profiles, run_import):
    [existing] = make_profiles({"email": "old@example.com", "city": "Warsaw"})
    job = run_import([{"email": "new@example.com", "city": "Łódź", "tags": ["imported"]},
                      {"email": "edited@example.com"}, {"email": "active@example.com"},
                      {"email": "old@example.com", "city": "Kraków"}])
    by_email = {p["email"]: p["id"] for p in api.get("/profiles?limit=10").json()["items"]}
    api.patch(f"/profiles/{by_email['edited@example.com']}", {"city": "Berlin"})
    api.post(f"/profiles/{by_email['active@example.com']}/events", {"type": "page.visit"})

    result = undo(api, job)

    assert (result["total"], result["summary"]["deleted"], result["summary"]["restored"]) == (4, 1, 1)
    assert {(e["profileId"], e["code"]) for e in result["errors"]} == {
        (by_email["edited@example.com"], "changed_since"), (by_email["active@example.com"], "has_activity")}
    assert api.get(f"/profiles/{by_email['new@example.com']}").status_code == 404
    assert profile(api, existing)["city"] == "Warsaw"

    redo = undo(api, result)

    assert (redo["summary"]["recreated"], redo["summary"]["restored"], redo["failed"]) == (1, 1, 0)
    recreated = api.get("/profiles/by-email/new@example.com").json()
    assert (recreated["city"], recreated["tags"]) == ("Łódź", ["imported"])
    assert profile(api, existing)["city"] == "Kraków"

    assert undo(api, redo)["summary"]["deleted"] == 1
    assert api.get("/profiles/by-email/new@example.com").status_code == 404
