"""The hosted form page and its submissions: `GET/POST /f/<slug>`, without an API key."""

import json

import pytest
from django.test import Client

from dossier.activity.models import Event
from dossier.forms.models import Form
from dossier.profiles.models import Profile

pytestmark = pytest.mark.django_db

FORM = {
    "slug": "newsletter", "name": "Newsletter", "identifier": "email",
    "fields": [{"name": "email", "label": "Your email", "target": "email"},
               {"name": "born", "label": "Birth date", "target": "birthDate"},
               {"name": "plan", "target": "attributes.plan"},
               {"name": "consent", "label": "Send me news", "target": "agreements.email"},
               {"name": "x", "target": None}],
    "addTags": ["newsletter"], "allowedOrigins": ["https://shop.example.com"],
}


@pytest.fixture
def form(api):
    response = api.post("/forms", FORM)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def visitor():
    return Client()


def post_json(client, data, **headers):
    return client.post("/f/newsletter", json.dumps(data), content_type="application/json", headers=headers)


def test_json_submission_creates_the_profile_and_records_form_submit(form, visitor, django_assert_max_num_queries,
                                                                     mailoutbox, django_capture_on_commit_callbacks):
    with django_assert_max_num_queries(32), django_capture_on_commit_callbacks(execute=True):
        # savepoints included, and each outbox consumer's look at whether it listens (workflows,
        # webhooks) per recorded batch; independent of the number of fields
        response = post_json(visitor, {"email": "Anna@Example.com", "born": "1990-05-01", "plan": "gold",
                                       "consent": True, "x": "hello"})

    assert response.status_code == 201, response.content
    assert response.json() == {"status": "received", "redirectUrl": None}
    profile = Profile.objects.get(email="anna@example.com")
    assert str(profile.birth_date) == "1990-05-01"
    assert profile.attributes == {"plan": "gold"}
    assert profile.agreement_email is False  # until the link sent to anna@example.com is used (double opt-in)
    assert [m.to for m in mailoutbox] == [["anna@example.com"]]
    assert list(profile.tags.values_list("name", flat=True)) == ["newsletter"]
    created, submitted = Event.objects.filter(profile=profile).order_by("id")
    assert (created.type, created.source, created.actor) == ("profile.created", "form", "form:newsletter")
    assert (submitted.type, submitted.source, submitted.actor, submitted.caused_by_id) == ("form.submit", "form", "form:newsletter", None)
    assert submitted.params == {"email": "Anna@Example.com", "born": "1990-05-01", "plan": "gold", "consent": True,
                                "x": "hello", "formId": "newsletter",
                                "heldBack": [{"field": "consent", "target": "agreements.email",
                                              "reason": "waits for the visitor to confirm it with the link sent to "
                                                        "the profile's email address"}]}


def test_form_post_updates_the_profile_found_by_its_identifier(form, visitor, api):
    api.post("/profiles", {"email": "anna@example.com", "city": "Warsaw", "attributes": {"plan": "free"}})

    response = visitor.post("/f/newsletter", {"email": "anna@example.com", "plan": "pro", "born": ""})

    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    profile = Profile.objects.get(email="anna@example.com")
    assert Profile.objects.count() == 1
    assert profile.attributes == {"plan": "free"}  # a form fills only empty values of an existing profile
    updated = Event.objects.get(profile=profile, type="profile.updated")
    assert updated.params["changes"] == [{"attribute": "tags", "added": ["newsletter"], "removed": []}]
    submitted = Event.objects.get(profile=profile, type="form.submit").params
    assert submitted["born"] == "" and submitted["plan"] == "pro"
    assert submitted["heldBack"] == [{"field": "plan", "target": "attributes.plan",
                                      "reason": "the profile already has a value, and this field only fills empty ones"}]


def test_a_form_with_a_redirect_sends_the_browser_on(api, visitor):
    api.post("/forms", {**FORM, "redirectUrl": "https://shop.example.com/thanks"})

    response = visitor.post("/f/newsletter", {"email": "anna@example.com"})

    assert response.status_code == 303
    assert response["Location"] == "https://shop.example.com/thanks"


def test_the_public_page_lists_the_fields_with_labels(form, visitor):
    page = visitor.get("/f/newsletter")

    html = page.content.decode()
    assert page.status_code == 200
    assert '<label for="field-0">Your email' in html
    assert 'type="date" id="field-1" name="born"' in html
    assert 'type="checkbox" id="field-3" name="consent"' in html
    assert "form-action 'self'" in page["Content-Security-Policy"]
    assert visitor.get("/f/nothing").status_code == 404


def test_a_validation_error_rerenders_the_page_with_messages_and_writes_nothing(form, visitor):
    response = visitor.post("/f/newsletter", {"email": "anna@example.com", "born": "2999-01-01", "x": "kept"})

    html = response.content.decode()
    assert response.status_code == 422
    assert "must not be in the future" in html
    assert 'value="kept"' in html
    assert not Profile.objects.exists() and not Event.objects.exists()


def test_a_json_validation_error_names_the_form_field(form, visitor):
    response = post_json(visitor, {"email": "not-an-email", "plan": "gold"})

    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert [(d["field"], d["code"]) for d in details] == [("email", "invalid_email")]


def test_a_missing_identifier_is_required(form, visitor):
    response = post_json(visitor, {"plan": "gold"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0] == {"field": "email", "code": "required", "message": "this field is required", "value": None}


def test_a_filled_honeypot_is_refused(form, visitor):
    response = visitor.post("/f/newsletter", {"email": "bot@example.com", "homepage_url": "http://spam.example"})
    assert response.status_code == 400
    assert "refused as automated" in response.content.decode()
    assert not Profile.objects.exists()


def test_a_large_body_is_refused(form, visitor):
    response = post_json(visitor, {"email": "anna@example.com", "x": "a" * 70_000})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert not Profile.objects.exists()


def test_too_many_submissions_from_one_address_get_429(form, visitor, settings):
    settings.DOSSIER_FORM_SUBMISSIONS_PER_MINUTE = 2
    statuses = [post_json(visitor, {"email": f"p{i}@example.com"}).status_code for i in range(3)]

    assert statuses == [201, 201, 429]
    assert Profile.objects.count() == 2
    other_address = Client(REMOTE_ADDR="10.0.0.7")
    assert post_json(other_address, {"email": "p9@example.com"}).status_code == 201


def test_cors_for_the_allowed_origins_only(form, visitor):
    preflight = visitor.options("/f/newsletter", headers={"Origin": "https://shop.example.com",
                                                          "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "POST" in preflight["Access-Control-Allow-Methods"]

    allowed = post_json(visitor, {"email": "a@example.com"}, Origin="https://shop.example.com")
    assert allowed.status_code == 201
    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example.com"

    foreign = post_json(visitor, {"email": "b@example.com"}, Origin="https://evil.example")
    assert foreign.status_code == 403
    assert "Access-Control-Allow-Origin" not in foreign
    assert visitor.options("/f/newsletter", headers={"Origin": "https://evil.example"}).status_code == 403
    assert Profile.objects.count() == 1


def test_the_redirect_target_is_allowed_in_the_page_policy_as_its_origin_only(api, visitor):
    response = api.post("/forms", {**FORM, "redirectUrl": "https://Shop.Example.com:8443/thanks?from=form"})
    assert response.status_code == 201, response.content

    policy = visitor.get("/f/newsletter")["Content-Security-Policy"]

    assert "form-action 'self' https://shop.example.com:8443;" in policy


@pytest.mark.parametrize("url", ["https://evil.example;script-src:*@x/", "https://a.example;report-uri/x",
                                 "https://user:pw@a.example/", "https://a_b.example/", "https://\"a.example/",
                                 "javascript:alert(1)"])
def test_a_redirect_url_whose_host_is_not_a_host_is_refused(api, url):
    response = api.post("/forms", {**FORM, "redirectUrl": url})

    assert response.status_code == 422, response.content
    assert [(d["field"], d["code"]) for d in response.json()["error"]["details"]] == [("redirectUrl", "invalid_url")]


def test_a_stored_redirect_url_that_is_not_a_url_never_reaches_the_policy(form, visitor):
    Form.objects.filter(slug="newsletter").update(redirect_url="https://a.example;script-src * 'unsafe-inline'")

    policy = visitor.get("/f/newsletter")["Content-Security-Policy"]

    assert "form-action 'self';" in policy
    assert policy.count("script-src") == 1
