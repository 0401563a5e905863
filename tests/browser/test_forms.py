"""Forms in Chromium: the hosted page without JavaScript, driving a workflow; the form editor."""

import pytest
from django.core.management import call_command

from dossier.activity.models import Event
from dossier.forms.services import do_save_form
from dossier.profiles.models import AttributeDefinition
from dossier.workflows.services import do_create_workflow
from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

NEWSLETTER_FORM = {"slug": "newsletter", "name": "Newsletter", "identifier": "email",
                   "fields": [{"name": "email", "label": "Your email", "target": "email"},
                              {"name": "x", "label": "Where did you hear of us?", "target": None},
                              {"name": "born", "label": "Birth date", "target": "birthDate"}]}
NEWSLETTER_WORKFLOW = {
    "name": "Newsletter sign-up", "enabled": True,
    "trigger": {"event": "form.submit", "where": [{"param": "formId", "op": "eq", "value": "newsletter"}]},
    "nodes": [{"type": "updateProfile", "set": {"attributes.heard_from": "{{ event.params.x }}"},
               "addTags": ["newsletter"], "agreements": {"email": True}}],
}


@pytest.fixture
def no_script_page(browser, live_server):
    """A visitor whose browser runs no JavaScript: the hosted page must work all the same."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def test_the_newsletter_page_without_javascript_runs_the_workflow(no_script_page, api):
    do_save_form(NEWSLETTER_FORM)
    workflow = do_create_workflow(NEWSLETTER_WORKFLOW, "test")
    page = no_script_page

    page.goto("/f/newsletter")
    page.get_by_label("Your email").fill("anna@example.com")
    page.get_by_label("Where did you hear of us?").fill("a podcast")
    page.get_by_label("Birth date").fill("1990-05-01")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Thank you! Your submission was received.").wait_for()
    call_command("worker", batch=True, interval=0, verbosity=0)

    profile = api.get("/profiles/by-email/anna@example.com").json()
    assert profile["birthDate"] == "1990-05-01"
    assert profile["attributes"] == {"heard_from": "a podcast"}
    assert profile["tags"] == ["newsletter"]
    assert profile["agreements"]["email"] is True
    submit = Event.objects.get(type="form.submit")
    assert submit.params == {"email": "anna@example.com", "x": "a podcast", "born": "1990-05-01", "formId": "newsletter"}
    update = Event.objects.get(type="profile.updated")
    assert (update.source, update.actor, update.caused_by_id) == ("workflow", f"workflow:{workflow.id}", submit.id)


def test_a_rejected_value_comes_back_with_the_message_beside_the_field(no_script_page):
    do_save_form(NEWSLETTER_FORM)
    page = no_script_page

    page.goto("/f/newsletter")
    page.get_by_label("Your email").fill("anna@localhost")
    page.get_by_label("Where did you hear of us?").fill("a friend")
    page.get_by_role("button", name="Submit").click()

    assert page.get_by_role("alert").first.inner_text().startswith("Please correct the fields marked below.")
    email = page.get_by_label("Your email")
    assert email.get_attribute("aria-invalid") == "true"
    assert "is not a valid email address" in page.locator("#" + email.get_attribute("aria-describedby")).inner_text()
    assert page.get_by_label("Where did you hear of us?").input_value() == "a friend"
    assert not Event.objects.exists()


def test_an_editor_builds_a_form_and_a_viewer_only_reads_it(login, browser, live_server, make_user):
    AttributeDefinition.objects.create(name="company_size", label="Company size", type="integer")
    page = login("editor")
    page.goto("/forms/")
    page.get_by_role("link", name="New form").click()
    page.get_by_label("Name", exact=True).fill("Webinar")
    page.get_by_label("Slug (the formId of its events)").fill("webinar")
    page.get_by_label("Field 2 name").fill("company_size")
    page.get_by_label("Field 2 profile field").select_option(label="Company size")
    page.get_by_role("button", name="Add field").click()
    page.get_by_label("Field 5 name").fill("topic")
    page.get_by_role("button", name="Save form").click()
    page.get_by_text("Form “Webinar” created.").wait_for()

    page.get_by_role("link", name="Open the public page /f/webinar").click()
    assert page.get_by_label("Company size").is_visible()
    assert page.get_by_label("Topic").is_visible()

    viewer = browser.new_context(base_url=live_server.url).new_page()
    make_user("viewer", username="vera", password=PASSWORD)
    viewer.goto("/login/")
    viewer.get_by_label("Username").fill("vera")
    viewer.get_by_label("Password").fill(PASSWORD)
    viewer.get_by_role("button", name="Log in").click()
    viewer.goto("/forms/webinar/")
    assert viewer.get_by_label("Name", exact=True).is_disabled()
    assert viewer.get_by_role("button", name="Save form").count() == 0
    assert viewer.get_by_role("link", name="New form").count() == 0
    viewer.context.close()
