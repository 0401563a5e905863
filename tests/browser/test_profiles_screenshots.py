"""Screenshots of the list, the Edit pop-up and the card (1366x860) on demo data.

They go to DOSSIER_SCREENSHOTS_DIR when set (`docs/screenshots` for the README), else to a
temporary folder; either way the test checks that each page shows what the picture is of.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dossier.profiles.demo import load_demo
from dossier.profiles.models import Profile

pytestmark = pytest.mark.django_db(transaction=True)


def test_screenshots_of_the_list_the_edit_popup_and_the_card(login, tmp_path):
    folder = Path(os.environ.get("DOSSIER_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    load_demo(count=120)
    page = login("admin")

    page.goto("/profiles/")
    expect(page.get_by_text("120 matching", exact=True)).to_be_visible()
    page.screenshot(path=folder / "profiles-list.png")

    for box in page.get_by_role("checkbox", name="Select ").all()[1:4]:
        box.check()
    page.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Add attribute").click()
    dialog.get_by_role("combobox", name="Select attribute").select_option(label="City")
    dialog.get_by_label("Value").fill("Gdańsk")
    dialog.get_by_role("button", name="Add attribute").click()
    dialog.get_by_role("combobox", name="Select attribute").nth(1).select_option(label="Sex")
    dialog.get_by_label("Add tags").fill("spring-promo")
    expect(dialog.get_by_role("combobox", name="Select attribute")).to_have_count(2)
    page.screenshot(path=folder / "profiles-edit-popup.png")
    dialog.get_by_role("button", name="Cancel").click()

    edited = Profile.objects.filter(version__gt=1, avatar_url__isnull=True).order_by("email").first()
    page.goto(f"/profiles/{edited.id}/")
    expect(page.get_by_role("region", name="Activity").locator(".event-type", has_text="profile.updated").first).to_be_visible()
    page.screenshot(path=folder / "profile-card.png")

    for name in ("profiles-list.png", "profiles-edit-popup.png", "profile-card.png"):
        assert (folder / name).stat().st_size > 10_000
