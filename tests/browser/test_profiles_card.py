"""The profile card in Chromium, through the seed's steps: edit, see the change on the activity list."""

import re

import pytest
from playwright.sync_api import expect

from dossier.activity.models import Event
from dossier.profiles.changes import ChangeContext
from dossier.profiles.models import Company
from dossier.profiles.serializers import profile_json
from dossier.profiles.services import do_update_profile
from tests.browser.profiles_support import console_errors, create  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_editor_changes_city_and_a_subscription_and_saves_both_at_once(login, console_errors):
    pid = create(firstName="Anna", lastName="Nowak", city="Warsaw", email="anna@example.com")
    page = login("editor", username="edith")

    page.get_by_role("link", name="Anna Nowak").click()
    page.wait_for_url(f"**/profiles/{pid}/")
    expect(page.get_by_role("button", name=re.compile("^Save"))).to_have_count(1)
    page.get_by_role("region", name="Profile info").get_by_label("City").fill("Kraków")
    page.get_by_role("region", name="Subscriptions").get_by_label("SMS").check()
    expect(page.locator("#unsaved-note")).to_have_text("2 unsaved changes")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_text("Saved.")).to_be_visible()
    activity = page.get_by_role("region", name="Activity")
    updates = activity.get_by_role("listitem").filter(has_text="profile.updated")
    expect(updates).to_have_count(1)
    expect(updates.first).to_contain_text("City Warsaw → Kraków")
    expect(updates.first).to_contain_text("SMS agreement no → yes")
    expect(updates.first).to_contain_text("by edith through the profile card")
    expect(page.get_by_role("region", name="Profile info").get_by_label("City")).to_have_value("Kraków")
    data = profile_json(pid)
    assert data["city"] == "Kraków" and data["agreements"]["sms"] is True
    assert list(Event.objects.filter(profile_id=pid, type="profile.updated").values_list("source", "actor")) == [
        ("ui", "user:edith")]
    assert console_errors == []


def test_leaving_with_unsaved_changes_asks_first(login):
    pid = create(firstName="Anna", city="Warsaw", tags=["vip"])
    page = login("editor")
    page.goto(f"/profiles/{pid}/")
    page.get_by_role("region", name="Profile info").get_by_label("City").fill("Kraków")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.get_by_role("region", name="Tags").get_by_label("Tag", exact=True).fill("newsletter")
    page.get_by_role("button", name="Add tag").click()
    assert asked == ["beforeunload"]
    assert profile_json(pid)["tags"] == ["vip"]  # the user stayed, the edit is still in the form
    expect(page.get_by_role("region", name="Profile info").get_by_label("City")).to_have_value("Kraków")


def test_a_conflict_is_marked_and_take_theirs_uses_the_colleagues_value(login):
    pid = create(firstName="Anna", city="Warsaw")
    page = login("editor")
    page.goto(f"/profiles/{pid}/")
    page.get_by_role("region", name="Profile info").get_by_label("City").fill("Kraków")
    page.get_by_role("region", name="Profile info").get_by_label("Last name").fill("Nowak")
    do_update_profile(pid, {"city": "Gdańsk", "province": "Pomorskie"}, ChangeContext(source="api", actor="apikey:crm"))
    page.get_by_role("button", name="Save changes").click()

    city = page.get_by_role("region", name="Profile info").get_by_label("City")
    expect(city).to_have_value("Kraków")
    expect(city).to_have_accessible_description(re.compile("Changed meanwhile by someone else to “Gdańsk”"))
    expect(page.get_by_role("region", name="Profile info").get_by_label("Province")).to_have_value("Pomorskie")
    page.get_by_role("button", name="Take theirs").click()
    expect(city).to_have_value("Gdańsk")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    data = profile_json(pid)
    assert (data["city"], data["province"], data["lastName"]) == ("Gdańsk", "Pomorskie", "Nowak")


def test_invalid_value_shows_beside_the_field(login):
    pid = create(firstName="Anna", email="anna@example.com")
    page = login("editor")
    page.goto(f"/profiles/{pid}/")
    contact = page.get_by_role("region", name="Contact info")
    contact.get_by_label("Phone").fill("call me maybe")
    page.get_by_role("button", name="Save changes").click()
    phone = page.get_by_role("region", name="Contact info").get_by_label("Phone")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_accessible_description(re.compile("is not a phone number"))
    assert profile_json(pid)["phone"] is None


def test_tags_and_company_are_assigned_and_removed(login):
    Company.objects.create(name="Acme Retail")
    pid = create(firstName="Anna", tags=["vip"])
    page = login("editor")
    page.goto(f"/profiles/{pid}/")
    tags = page.get_by_role("region", name="Tags")
    tags.get_by_label("Tag", exact=True).fill("newsletter")
    tags.get_by_role("button", name="Add tag").click()
    page.get_by_role("region", name="Tags").get_by_role("button", name="Remove tag vip").click()
    expect(page.get_by_role("region", name="Tags").get_by_role("button", name=re.compile("^Remove tag"))).to_have_accessible_name(
        "Remove tag newsletter")
    company = page.get_by_role("region", name="Company")
    company.get_by_label("Company").select_option(label="Acme Retail")
    company.get_by_role("button", name="Assign company").click()
    expect(page.get_by_role("region", name="Company")).to_contain_text("Acme Retail")
    page.get_by_role("region", name="Company").get_by_role("button", name="Remove company").click()
    expect(page.get_by_role("region", name="Company")).to_contain_text("No company.")
    data = profile_json(pid)
    assert data["tags"] == ["newsletter"] and data["company"] is None


def test_add_event_with_params_then_filter_the_activity_by_type(login):
    pid = create(firstName="Anna")
    page = login("editor")
    page.goto(f"/profiles/{pid}/")
    form = page.get_by_role("region", name="Add event")
    form.get_by_label("Type").fill("call.made")
    form.get_by_role("button", name="Add parameter").click()
    form.get_by_label("Parameter name 4").fill("topic")
    form.get_by_label("Parameter value 4").fill("renewal")
    form.get_by_label("Time").fill("2026-01-02T10:30:00")
    form.get_by_role("button", name="Add event").click()

    activity = page.get_by_role("region", name="Activity")
    activity.get_by_label("Show events of type").select_option("call.made")
    activity.get_by_role("button", name="Show").click()
    events = page.get_by_role("region", name="Activity").locator(".event")
    expect(events).to_have_count(1)
    expect(events.first).to_contain_text("call.made")
    expect(events.first).to_contain_text("topic")
    expect(events.first).to_contain_text("renewal")
    expect(events.first).to_contain_text("2026-01-02 10:30:00 UTC")
    assert Event.objects.get(profile_id=pid, type="call.made").params == {"topic": "renewal"}


def test_viewer_sees_the_card_without_edit_controls_and_a_post_is_refused(login):
    pid = create(firstName="Anna", city="Warsaw")
    page = login("viewer")
    page.goto(f"/profiles/{pid}/")
    expect(page.get_by_role("region", name="Profile info")).to_contain_text("Warsaw")
    expect(page.get_by_role("button", name=re.compile("^Save"))).to_have_count(0)
    expect(page.get_by_role("region", name="Add event")).to_have_count(0)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(f"/profiles/{pid}/", form={"action": "save", "version": "1", "city": "Kraków"},
                                 headers={"X-CSRFToken": token, "Referer": page.url})
    assert response.status == 403
    assert "CSRF" not in response.text()
    assert profile_json(pid)["city"] == "Warsaw"


def test_a_script_value_shows_as_text(login):
    script = "<script>window.pwned = 1</script>"
    pid = create(firstName=script, city="<img src=x onerror=\"window.pwned = 2\">", tags=["<b>bold</b>"])
    page = login("editor")
    page.goto("/profiles/")
    expect(page.get_by_role("link", name=script)).to_be_visible()
    page.goto(f"/profiles/{pid}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(script)
    expect(page.get_by_role("region", name="Profile info").get_by_label("First name")).to_have_value(script)
    expect(page.get_by_role("region", name="Tags")).to_contain_text("<b>bold</b>")
    expect(page.get_by_role("region", name="Activity")).to_contain_text(script)
    assert page.evaluate("window.pwned") is None
