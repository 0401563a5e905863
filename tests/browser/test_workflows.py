"""The workflow editor, its Test button and the runs page, in Chromium."""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from dossier.forms.services import do_save_form
from dossier.profiles.models import Company
from dossier.workflows.models import Workflow
from dossier.workflows.services import current_definition, do_create_workflow

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_editor_builds_a_workflow_node_by_node_and_tests_it(login):
    page = login("editor")
    page.goto("/workflows/")
    page.get_by_role("link", name="New workflow").click()

    page.get_by_label("Name", exact=True).fill("Newsletter sign-up")
    page.get_by_label("Enabled").check()
    page.get_by_role("button", name="Add a condition to trigger condition").click()
    page.get_by_label("Trigger condition 1: param").fill("formId")
    page.get_by_label("Trigger condition 1: value").fill("newsletter")
    page.get_by_label("Type of the new node").select_option("updateProfile")
    page.get_by_role("button", name="Add node").click()
    page.get_by_role("button", name="Add a row to set").click()
    page.get_by_label("Set 1: field").fill("attributes.heard_from")
    page.get_by_label("Set 1: value").fill("{{ event.params.x }}")
    page.get_by_label("Add tags (comma-separated)").fill("newsletter")
    page.get_by_label("Email agreement").select_option("true")
    page.get_by_label("Type of the new node").select_option("delay")
    page.get_by_role("button", name="Add node").click()
    page.get_by_role("button", name="Move node 2 up").click()
    assert page.get_by_role("listitem", name="1. Delay").is_visible()
    page.get_by_role("button", name="Remove node 1").click()
    page.get_by_role("button", name="Save workflow").click()
    page.get_by_text("Workflow “Newsletter sign-up” created.").wait_for()

    workflow = Workflow.objects.get()
    assert workflow.enabled
    assert current_definition(workflow) == {
        "name": "Newsletter sign-up",
        "trigger": {"event": "form.submit", "where": [{"op": "eq", "value": "newsletter", "param": "formId"}]},
        "nodes": [{"type": "updateProfile", "set": {"attributes.heard_from": "{{ event.params.x }}"},
                   "addTags": ["newsletter"], "agreements": {"email": True}}],
    }

    page.get_by_label("Sample event (JSON: type, params, profile)").fill(
        json.dumps({"type": "form.submit", "params": {"formId": "newsletter", "x": "the radio"}}))
    page.get_by_role("button", name="Test").click()
    page.get_by_text("The run would end as done.").wait_for()
    changes = page.get_by_role("table", name="Changes it would make")
    assert "attributes.heard_from" in changes.inner_text() and "the radio" in changes.inner_text()
    assert Workflow.objects.get().runs.count() == 0


def test_saving_an_invalid_workflow_names_the_node_and_field(login):
    page = login("editor")
    page.goto("/workflows/new")
    page.get_by_label("Name", exact=True).fill("Birthdays")
    page.get_by_label("Type of the new node").select_option("updateProfile")
    page.get_by_role("button", name="Add node").click()
    page.get_by_role("button", name="Add a row to set").click()
    page.get_by_label("Set 1: field").fill("birthDate")
    page.get_by_label("Set 1: value").fill("1850-01-01")
    page.get_by_role("button", name="Save workflow").click()

    assert "nodes[0].set.birthDate: must be after 1900-01-01" in page.locator("#save-errors").inner_text()
    assert "nodes[0].set.birthDate" in page.get_by_role("listitem", name="1. Update profile").inner_text()
    assert not Workflow.objects.exists()


def test_the_runs_page_shows_each_run_with_its_node_log_and_changes(login):
    do_save_form({"slug": "newsletter", "name": "Newsletter", "fields": [{"name": "email", "target": "email"}, {"name": "x"}]})
    workflow = do_create_workflow({"name": "Newsletter sign-up", "enabled": True,
                                   "trigger": {"event": "form.submit"},
                                   "nodes": [{"type": "eventFilter", "where": [{"param": "x", "op": "exists"}]},
                                             {"type": "updateProfile", "set": {"city": "{{ event.params.x }}"}}]}, "test")
    visitor = Client()
    visitor.post("/f/newsletter", {"email": "anna@example.com", "x": "Gdańsk"})
    visitor.post("/f/newsletter", {"email": "piotr@example.com"})
    call_command("worker", batch=True, interval=0, verbosity=0)
    page = login("viewer")

    page.goto(f"/workflows/{workflow.id}/runs")
    filtered, done = page.locator("tr.run").all()
    assert filtered.locator(".badge").inner_text() == "Filtered out" and "nodes[0] eventFilter: x exists is not met" in filtered.inner_text()
    assert done.locator(".badge").inner_text() == "Done"
    done.get_by_text("Log of run").click()
    log = done.locator(".run-log").inner_text()
    assert "2. updateProfile updated" in log and "City: — → Gdańsk" in log
    assert done.get_by_role("link", name="anna@example.com").is_visible()  # the profile by name, not by id

    page.get_by_label("Status").select_option("filtered")
    page.get_by_role("button", name="Show").click()
    assert page.locator("tr.run").count() == 1


def test_a_viewer_reads_a_workflow_without_edit_controls_and_cannot_post(login, client, make_user):
    workflow = do_create_workflow({"name": "tagger", "trigger": {"event": "visit"},
                                   "nodes": [{"type": "updateProfile", "addTags": ["visitor"]}]}, "test")
    page = login("viewer")

    page.goto(f"/workflows/{workflow.id}/")
    assert '"addTags"' in page.get_by_label("Workflow definition (JSON)").input_value()
    assert page.get_by_role("button", name="Save workflow").count() == 0
    assert page.get_by_role("button", name="Test").count() == 0
    client.force_login(make_user("viewer"))
    assert client.post(f"/workflows/{workflow.id}/", {"definition": "{}"}).status_code == 403
    assert client.post(f"/workflows/{workflow.id}/switch", {"enabled": "true"}).status_code == 403


def test_pickers_tie_the_trigger_to_a_form_insert_its_fields_and_choose_a_company_by_name(login):
    do_save_form({"slug": "newsletter", "name": "Newsletter", "fields": [{"name": "email", "target": "email"},
                                                                          {"name": "plan"}]})
    acme = Company.objects.create(name="Acme Retail")
    page = login("editor")
    page.goto("/workflows/new")
    page.get_by_label("Name", exact=True).fill("Plan from the newsletter")
    page.get_by_label("Form", exact=True).select_option(label="Newsletter")
    page.get_by_label("Type of the new node").select_option("updateProfile")
    page.get_by_role("button", name="Add node").click()
    page.get_by_role("button", name="Add a row to set").click()
    page.get_by_label("Set 1: field").fill("attributes.plan")
    picker = page.get_by_label("Set 1: insert a value")
    assert "Field “plan”" in picker.inner_text() and "First name" in picker.inner_text()
    picker.select_option(label="Field “plan”")
    assert page.get_by_label("Set 1: value").input_value() == "{{ event.params.plan }}"
    page.get_by_label("Company", exact=True).select_option(label="Acme Retail")
    page.get_by_role("button", name="Save workflow").click()
    page.get_by_text("Workflow “Plan from the newsletter” created.").wait_for()

    definition = current_definition(Workflow.objects.get())
    assert definition["trigger"] == {"event": "form.submit", "where": [{"param": "formId", "op": "eq", "value": "newsletter"}]}
    assert definition["nodes"] == [{"type": "updateProfile", "set": {"attributes.plan": "{{ event.params.plan }}"},
                                    "companyId": str(acme.id)}]
    page.reload()
    assert page.get_by_label("Form", exact=True).input_value() == "newsletter"
    assert page.get_by_label("Company", exact=True).input_value() == str(acme.id)
