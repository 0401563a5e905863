"""One stored object of every kind the API names in a path, made through the API.

`seed_every_kind` returns the value of every path parameter of /api/v1 (`profile_id`, `slug`,
...) naming a real object, so that authorization and fuzz tests reach the code behind the 404.
"""

import json

from django.core.files.uploadedfile import SimpleUploadedFile

FORM = {"slug": "newsletter", "name": "Newsletter", "identifier": "email",
        "fields": [{"name": "email", "target": "email"}, {"name": "city", "target": "city"}]}
WORKFLOW = {"name": "Tag subscribers", "enabled": True,
            "trigger": {"event": "form.submit", "where": [{"param": "formId", "op": "eq", "value": "newsletter"}]},
            "nodes": [{"type": "updateProfile", "addTags": ["subscriber"]}]}


def _created(response, expected=(200, 201, 202)) -> dict:
    assert response.status_code in expected, (response.status_code, response.content[:500])
    return response.json()


def seed_every_kind(api) -> dict[str, str]:
    profile = _created(api.post("/profiles", {"email": "seed@example.com", "customId": "seed-1", "firstName": "Seed",
                                              "tags": ["vip"], "attributes": {"plan": "gold"}}))
    company = _created(api.post("/companies", {"name": "Acme"}))
    form = _created(api.post("/forms", FORM))
    workflow = _created(api.post("/workflows", WORKFLOW))
    job = _created(api.post("/profiles/batch-edit", {"selection": {"ids": [profile["id"]]},
                                                     "changes": {"set": {"city": "Warsaw"}}}))
    upload = SimpleUploadedFile("people.csv", b"email,city\nseed@example.com,Gdansk\nnot-an-email,Oslo\n", "text/csv")
    run = _created(api.client.post("/api/v1/imports", {"file": upload, "options": json.dumps({"identifier": "email"})}))
    webhook = _created(api.post("/webhooks", {"url": "https://hooks.example.com/dossier", "eventTypes": ["*"]}))
    message = _created(api.post(f"/webhooks/{webhook['id']}/test"))
    return {
        "subscription_id": webhook["id"], "message_id": message["id"],
        "profile_id": profile["id"], "email": profile["email"], "custom_id": profile["customId"], "tag": "vip",
        "name": "plan", "company_id": company["id"], "job_id": job["id"], "import_id": run["id"],
        "workflow_id": str(workflow["id"]), "slug": form["slug"],
    }
