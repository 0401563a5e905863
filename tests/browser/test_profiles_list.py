"""The profiles list in Chromium: search, select, the Edit pop-up and the batch-edit job it starts."""

import re

import pytest
from playwright.sync_api import expect

from dossier.activity.models import Event
from dossier.jobs.models import Job
from dossier.profiles import views
from dossier.profiles.models import AttributeDefinition
from dossier.profiles.serializers import profile_json
from tests.browser.profiles_support import console_errors, create  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def row(page, name):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))


def edit_with_a_row(page, *names):
    """Select the named profiles, open the Edit pop-up and add one attribute row; the pop-up."""
    for name in names:
        page.get_by_role("checkbox", name=f"Select {name}").check()
    page.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Add attribute").click()
    return dialog


def test_select_two_profiles_edit_add_attributes_apply_and_both_change(login, console_errors):
    anna = create(firstName="Anna", city="Warsaw")
    beata = create(firstName="Beata", city="Warsaw")
    celina = create(firstName="Celina", city="Warsaw")
    page = login("editor", username="edith")
    page.goto("/profiles/")

    expect(page.get_by_role("button", name="Edit")).to_be_hidden()
    dialog = edit_with_a_row(page, "Anna", "Beata")
    expect(dialog).to_contain_text("Change the 2 selected profiles.")
    dialog.get_by_role("combobox", name="Select attribute").select_option(label="City")
    dialog.get_by_label("Value").fill("Gdańsk")
    dialog.get_by_role("button", name="Add attribute").click()
    dialog.get_by_role("combobox", name="Select attribute").nth(1).select_option(label="Birth date")
    dialog.get_by_label("Value").nth(1).fill("1990-05-17")
    dialog.get_by_role("button", name="Apply").click()

    expect(page.get_by_role("status").filter(has_text="Batch edit succeeded")).to_contain_text("2 of 2 profiles done")
    expect(row(page, "Anna")).to_contain_text("Gdańsk")
    expect(row(page, "Beata")).to_contain_text("Gdańsk")
    expect(row(page, "Celina")).to_contain_text("Warsaw")
    assert [profile_json(p)["birthDate"] for p in (anna, beata, celina)] == ["1990-05-17", "1990-05-17", None]
    job = Job.objects.get()
    events = Event.objects.filter(job_id=job.id, type="profile.updated")
    assert sorted(e.profile_id for e in events) == sorted([anna, beata])
    assert {(e.source, e.actor) for e in events} == {("batch", "user:edith")}
    assert console_errors == []


def test_value_input_fits_the_attribute_type(login):
    AttributeDefinition.objects.create(name="points", label="Loyalty points", type="integer")
    create(firstName="Anna")
    page = login("editor")
    page.goto("/profiles/")
    dialog = edit_with_a_row(page, "Anna")
    attribute = dialog.get_by_role("combobox", name="Select attribute")
    attribute.select_option(label="Sex")
    expect(dialog.get_by_role("combobox", name="Value")).to_have_text(re.compile("0 – not known.*1 – male.*2 – female"))
    attribute.select_option(label="Birth date")
    expect(dialog.get_by_label("Value")).to_have_attribute("type", "date")
    attribute.select_option(label="Loyalty points")
    expect(dialog.get_by_label("Value")).to_have_attribute("type", "number")


def test_new_custom_attribute_tags_and_agreement_for_all_matching(login, monkeypatch):
    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 2)
    ids = [create(firstName=name, city="Warsaw", tags=["old"]) for name in ("Anna", "Beata", "Celina")]
    outsider = create(firstName="Dorota", city="Kraków")
    page = login("editor")
    page.goto("/profiles/?city=Warsaw")

    page.get_by_role("checkbox", name="Select all on this page").check()
    page.get_by_role("button", name="Select all 3 matching").click()
    expect(page.get_by_text("All 3 matching profiles are selected.")).to_be_visible()
    dialog = edit_with_a_row(page)
    expect(dialog).to_contain_text("Change all 3 profiles matching City is Warsaw.")
    dialog.get_by_role("combobox", name="Select attribute").select_option(label="New custom attribute…")
    dialog.get_by_label("New attribute name").fill("score")
    dialog.get_by_label("New attribute type").select_option("integer")
    dialog.get_by_label("Value").fill("7")
    dialog.get_by_label("Add tags").fill("promo, spring")
    dialog.get_by_label("Remove tags").fill("old")
    dialog.get_by_label("SMS agreement").select_option(label="Subscribe")
    dialog.get_by_role("button", name="Apply").click()

    expect(dialog.get_by_role("status").filter(has_text="Dry run")).to_contain_text(
        "Dry run: 3 profiles would change, 0 already have these values, 0 would be refused.")
    assert [profile_json(pid)["attributes"] for pid in ids] == [{}, {}, {}], "a dry run writes nothing"
    expect(dialog.get_by_label(re.compile("Type 3 to confirm"))).to_be_hidden()  # 3 is below the threshold
    dialog.get_by_role("button", name="Change 3 profiles").click()
    expect(page.get_by_role("status").filter(has_text="Batch edit succeeded")).to_contain_text("3 of 3 profiles done")
    for pid in ids:
        data = profile_json(pid)
        assert (data["attributes"], data["tags"], data["agreements"]["sms"]) == ({"score": 7}, ["promo", "spring"], True)
    assert profile_json(outsider)["attributes"] == {}
    assert AttributeDefinition.objects.get(name="score").type == "integer"


def test_match_count_arrives_after_the_page(login, monkeypatch):
    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 2)
    for name in ("Anna", "Beata", "Celina"):
        create(firstName=name, city="Warsaw")
    page = login("editor")
    page.goto("/profiles/?city=Warsaw")
    expect(page.get_by_text("3 matching", exact=True)).to_be_visible()
    page.get_by_role("checkbox", name="Select all on this page").check()
    expect(page.get_by_role("button", name="Select all 3 matching")).to_be_visible()


def test_a_row_without_a_value_is_reported_in_the_popup(login):
    create(firstName="Anna")
    page = login("editor")
    page.goto("/profiles/")
    dialog = edit_with_a_row(page, "Anna")
    dialog.get_by_role("combobox", name="Select attribute").select_option(label="City")
    dialog.get_by_role("button", name="Apply").click()
    expect(dialog.get_by_role("alert")).to_have_text("Row 1: enter a Value, or tick Clear to empty the attribute.")
    dialog.get_by_label("Value").fill("x" * 300)
    dialog.get_by_role("button", name="Apply").click()
    expect(dialog.get_by_role("alert")).to_contain_text("city: must be at most 255 characters")
    assert not Job.objects.exists()


def test_search_and_filter_by_tag(login):
    create(firstName="Anna", lastName="Nowak", tags=["vip"])
    create(firstName="Beata", lastName="Nowak")
    create(firstName="Celina", lastName="Kowalska", tags=["vip"])
    page = login("viewer")
    page.goto("/profiles/")
    page.get_by_label("Search").fill("nowak")
    page.get_by_label("Tag", exact=True).fill("vip")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name=re.compile("Nowak|Kowalska"))).to_have_text(["Anna Nowak"])
    expect(page.get_by_text("1 matching", exact=True)).to_be_visible()


def test_viewer_sees_no_edit_and_cannot_batch_edit_through_the_api(login):
    pid = create(firstName="Anna")
    page = login("viewer")
    page.goto("/profiles/")
    expect(page.get_by_role("link", name="Anna")).to_be_visible()
    expect(page.get_by_role("checkbox")).to_have_count(0)
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post("/api/v1/profiles/batch-edit", headers={"X-CSRFToken": token},
                                 data={"selection": {"ids": [str(pid)]}, "changes": {"set": {"city": "X"}}})
    assert response.status == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert profile_json(pid)["city"] is None


def test_changing_every_profile_says_so_and_wants_the_number_typed(login, monkeypatch):
    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 2)
    ids = [create(firstName=name, city=city) for name, city in (("Anna", "Warsaw"), ("Beata", "Kraków"), ("Celina", "Gdańsk"))]
    page = login("editor")
    page.goto("/profiles/")
    page.get_by_role("checkbox", name="Select all on this page").check()
    page.get_by_role("button", name="Select all 3 matching").click()
    dialog = edit_with_a_row(page)
    expect(dialog).to_contain_text("Change all 3 profiles (all profiles: the list has no filter).")
    dialog.get_by_role("combobox", name="Select attribute").select_option(label="City")
    dialog.get_by_label("Value").fill("Warsaw")
    dialog.get_by_role("button", name="Apply").click()
    expect(dialog.get_by_role("status").filter(has_text="Dry run")).to_contain_text(
        "Dry run: 2 profiles would change, 1 already has these values")
    typed = dialog.get_by_label("Type 2 to confirm changing 2 profiles")
    typed.fill("3")
    dialog.get_by_role("button", name="Change 2 profiles").click()
    expect(dialog.get_by_role("alert")).to_have_text("Type 2 in the box to confirm, or Cancel.")
    assert [profile_json(pid)["city"] for pid in ids] == ["Warsaw", "Kraków", "Gdańsk"]

    dialog.get_by_label("Value").fill("Poznań")  # a new value forgets the dry run
    expect(dialog.get_by_role("button", name="Apply")).to_be_visible()
    dialog.get_by_role("button", name="Apply").click()
    dialog.get_by_label("Type 3 to confirm changing 3 profiles").fill("3")
    dialog.get_by_role("button", name="Change 3 profiles").click()
    expect(page.get_by_role("status").filter(has_text="Batch edit succeeded")).to_contain_text("3 of 3 profiles done")
    assert [profile_json(pid)["city"] for pid in ids] == ["Poznań"] * 3
    assert Job.objects.filter(params__dryRun=True).count() == 2


def test_batch_edit_refuses_a_fraction_for_an_integer_as_the_card_does(login):
    AttributeDefinition.objects.create(name="points", label="Loyalty points", type="integer")
    pid = create(firstName="Anna", attributes={"points": 3226})
    page = login("editor")
    page.goto("/profiles/")
    dialog = edit_with_a_row(page, "Anna")
    dialog.get_by_role("combobox", name="Select attribute").select_option(label="Loyalty points")
    dialog.get_by_label("Value").fill("12.5")
    dialog.get_by_role("button", name="Apply").click()
    expect(dialog.get_by_role("alert")).to_contain_text("must be an integer")
    assert profile_json(pid)["attributes"] == {"points": 3226}
    assert not Job.objects.filter(status="succeeded").exists()
