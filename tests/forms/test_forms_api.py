"""Form definitions through the API: CRUD, validation naming the field at fault, scopes."""

import pytest

pytestmark = pytest.mark.django_db

NEWSLETTER = {
    "slug": "newsletter", "name": "Newsletter", "identifier": "email",
    "fields": [{"name": "email", "target": "email"}, {"name": "born", "label": "Birth date", "target": "birthDate"},
               {"name": "plan", "target": "attributes.plan"}, {"name": "consent", "target": "agreements.email"},
               {"name": "x", "target": None}],
    "addTags": ["newsletter"], "redirectUrl": "https://shop.example.com/thanks",
    "allowedOrigins": ["https://Shop.example.com/"],
}


def test_create_read_list_update_delete_a_form(api):
    created = api.post("/forms", NEWSLETTER)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["url"] == "/f/newsletter"
    assert data["allowedOrigins"] == ["https://shop.example.com"]
    assert data["fields"][0] == {"name": "email", "label": "", "target": "email", "required": True, "policy": "ifEmpty"}
    assert data["singleOptIn"] is False

    assert api.get("/forms/newsletter").json()["name"] == "Newsletter"
    assert [f["slug"] for f in api.get("/forms").json()["items"]] == ["newsletter"]

    updated = api.put("/forms/newsletter", {**NEWSLETTER, "name": "Weekly newsletter", "addTags": []})
    assert updated.status_code == 200
    assert updated.json()["addTags"] == []

    assert api.delete("/forms/newsletter").status_code == 204
    assert api.get("/forms/newsletter").status_code == 404


def test_form_validation_names_every_field_at_fault(api):
    response = api.post("/forms", {"slug": "Bad Slug", "name": "", "identifier": "email",
                                   "fields": [{"name": "email", "target": "city"}, {"name": "email", "target": "attributes.9x"},
                                              {"name": "a", "target": "agreements.fax"}],
                                   "allowedOrigins": ["https://shop.example.com/path"]})

    assert response.status_code == 422
    fields = {(d["field"], d["code"]) for d in response.json()["error"]["details"]}
    assert fields == {("slug", "invalid_slug"), ("name", "required"), ("fields[1].name", "duplicate"),
                      ("fields[1].target", "invalid_name"), ("fields[2].target", "unknown_field"),
                      ("fields", "required"), ("allowedOrigins[0]", "invalid_origin")}


def test_a_slug_is_unique_and_cannot_change(api):
    assert api.post("/forms", NEWSLETTER).status_code == 201
    assert api.post("/forms", NEWSLETTER).status_code == 409
    response = api.put("/forms/newsletter", {**NEWSLETTER, "slug": "other"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "slug"


def test_forms_need_the_workflows_scope(make_api):
    reader = make_api("profiles:read")
    assert reader.get("/forms").status_code == 403
    assert reader.post("/forms", NEWSLETTER).status_code == 403
