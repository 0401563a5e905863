"""The list's filter form in Chromium: several conditions with operators, each field offering only
the operators it takes, folded text matching, the conditions kept after Filter, numbered pages."""

import re

import pytest
from playwright.sync_api import expect

from dossier.profiles import views
from dossier.profiles.models import AttributeDefinition
from tests.browser.profiles_support import console_errors, create  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def names(page) -> list[str]:
    return sorted(page.locator("table.profiles tbody a").all_inner_texts())


def test_two_conditions_with_operators_and_the_form_keeps_them(login, console_errors):
    AttributeDefinition.objects.create(name="points", label="Loyalty points", type="integer")
    create(firstName="Anna", city="Kraków", attributes={"points": 120})
    create(firstName="Beata", city="KRAKOW", attributes={"points": 5})
    create(firstName="Celina", city="Warsaw", attributes={"points": 300})
    page = login("viewer")
    page.goto("/profiles/")

    page.get_by_label("Field", exact=True).select_option(label="City")
    page.get_by_label("Operator", exact=True).select_option(label="contains")
    page.get_by_label("Value", exact=True).fill("krak")
    page.get_by_role("button", name="Add condition").click()
    second = page.locator(".condition").nth(1)
    second.get_by_label("Field").select_option(label="Loyalty points")
    # a number takes no 'contains', and offers 'is greater than'
    expect(second.get_by_label("Operator").locator("option[value=contains]")).to_be_disabled()
    second.get_by_label("Operator").select_option(label="is greater than")
    second.get_by_label("Value").fill("100")
    page.get_by_role("button", name="Filter").click()

    expect(page.get_by_role("list", name="Active filters")).to_contain_text("City contains krak")
    expect(page.get_by_role("list", name="Active filters")).to_contain_text("Loyalty points is greater than 100")
    assert names(page) == ["Anna"], page.url
    first = page.locator(".condition").first
    expect(first.get_by_label("Field")).to_have_value("city")
    expect(first.get_by_label("Operator")).to_have_value("contains")
    expect(first.get_by_label("Value")).to_have_value("krak")

    page.get_by_role("link", name="Remove filter Loyalty points is greater than 100").click()
    assert names(page) == ["Anna", "Beata"]
    assert console_errors == []


def test_is_empty_needs_no_value(login):
    create(firstName="Anna", phone="+48601767123")
    create(firstName="Beata")
    page = login("viewer")
    page.goto("/profiles/")
    page.get_by_label("Field", exact=True).select_option(label="Phone")
    page.get_by_label("Operator", exact=True).select_option(label="is empty")
    expect(page.get_by_label("Value", exact=True)).to_be_hidden()
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"phone\[empty\]=1"))
    assert names(page) == ["Beata"]


def test_numbered_pages_and_page_size(login, monkeypatch):
    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 2)
    for name in ("Anna", "Beata", "Celina", "Dorota", "Ewa"):
        create(firstName=name, lastName=name)
    page = login("viewer")
    page.goto("/profiles/?sort=lastName")
    pager = page.get_by_role("navigation", name="Pages")
    pager.get_by_role("link", name="Next").click()
    expect(pager.locator("[aria-current=page]")).to_have_text("2")
    assert names(page) == ["Celina Celina", "Dorota Dorota"]
    pager = page.get_by_role("navigation", name="Pages")
    pager.get_by_role("link", name="Page 3").click()
    assert names(page) == ["Ewa Ewa"]
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Previous").click()
    expect(page.get_by_role("navigation", name="Pages").locator("[aria-current=page]")).to_have_text("2")
    page.get_by_label("Per page").select_option("25")
    page.get_by_role("button", name="Filter").click()
    assert len(names(page)) == 5


def test_new_profile_button_opens_a_form_that_creates_one(login):
    page = login("editor")
    page.goto("/profiles/")
    page.get_by_role("link", name="New profile").click()
    page.get_by_label("First name").fill("Zofia")
    page.locator("#field-email").fill("zofia@example.pl")
    page.get_by_role("button", name="Create profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zofia")
    expect(page.get_by_text("Profile created.")).to_be_visible()
