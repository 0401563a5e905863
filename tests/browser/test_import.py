"""The import pages in Chromium: upload, mapping, dry run, start, result, error report and Undo."""

import pytest

from dossier.profiles.models import AttributeDefinition, Profile
from tests.imports.conftest import csv_bytes

pytestmark = pytest.mark.django_db(transaction=True)

FILE = csv_bytes("Email;First Name;City;points", "ann@example.com;Ann;Warsaw;12", "bob@example.com;Bob;Oslo;7",
                 "broken;Carl;Rome;x")


def test_upload_map_dry_run_start_and_undo(login):
    page = login("editor")
    page.goto("/imports/")
    page.get_by_label("File").set_input_files({"name": "fair.csv", "mimeType": "text/csv", "buffer": FILE})
    page.get_by_role("button", name="Upload").click()

    page.get_by_role("heading", name="Map columns").wait_for()
    assert page.get_by_label("Import First Name into").input_value() == "firstName"
    assert page.get_by_label("Import Email into").input_value() == "email"
    page.get_by_label("Import points into").select_option("new-attribute")
    page.get_by_label("Attribute name for points").fill("points")
    page.get_by_label("Type of points").select_option("integer")
    page.get_by_label("Add tags to every imported profile").fill("fair")
    page.get_by_role("button", name="Dry run").click()

    page.get_by_role("heading", name="What the import would do").wait_for()
    assert page.locator("[data-count=created]").inner_text() == "2"
    assert page.locator("[data-count=rejected]").inner_text() == "1"
    assert "Anonymous type is not in the file: a profile that gets an email" in page.content()  # a derived change, explained
    assert Profile.objects.count() == 0
    page.get_by_role("button", name="Start import").click()

    page.get_by_role("heading", name="Result").wait_for()
    assert page.locator("[data-count=created]").inner_text() == "2"
    assert page.get_by_role("link", name="Download the rows with problems (CSV)").is_visible()
    assert "Not imported" not in page.content()  # every column of this file is imported
    ann = Profile.objects.get(email="ann@example.com")
    assert (ann.first_name, ann.attributes, list(ann.tags.values_list("name", flat=True))) == ("Ann", {"points": 12}, ["fair"])
    assert AttributeDefinition.objects.get(name="points").type == "integer"

    page.get_by_role("button", name="Undo this import").click()
    page.get_by_role("heading", name="Undo this import?").wait_for()
    assert Profile.objects.count() == 2, "asking writes nothing"
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("button", name="Undo this import").click()
    page.get_by_role("button", name="Yes, undo it").click()

    page.get_by_role("heading", name="Result").wait_for()
    assert page.get_by_role("status").filter(has_text="Undone by").inner_text().startswith("Undone by")
    assert "Undone by " + page.evaluate("document.querySelector('.whoami').textContent") in page.content()
    assert page.get_by_role("button", name="Undo this import").is_disabled()
    assert Profile.objects.count() == 0


def test_a_rejected_file_is_explained_on_the_upload_page(login):
    page = login("editor")
    page.goto("/imports/")
    page.get_by_label("File").set_input_files({"name": "old.csv", "mimeType": "text/csv", "buffer": "email\nJosé@x.com\n".encode("latin-1")})
    page.get_by_role("button", name="Upload").click()

    assert "line 2 has a byte (0xE9) that is not UTF-8" in page.get_by_role("alert").inner_text()


def test_viewer_sees_no_upload_form(login):
    page = login("viewer")
    page.goto("/imports/")

    page.get_by_role("heading", name="Imports").wait_for()
    assert page.get_by_label("File").count() == 0


def test_progress_of_a_queued_import_is_followed_live_until_its_result(login):
    from tests.imports import corpus
    from tests.processes import start_dossier

    page = login("editor")
    page.goto("/imports/")
    page.get_by_label("File").set_input_files({"name": "big.csv", "mimeType": "text/csv", "buffer": corpus.mixed_rows(3000)})
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("button", name="Import now, skipping the check").click()

    page.get_by_role("heading", name="In progress").wait_for()
    worker = start_dossier("worker", "--interval", "0.05")
    try:
        page.get_by_role("heading", name="Result").wait_for(timeout=60_000)
    finally:
        worker.kill()
        worker.wait()
    assert page.locator("[data-count=created]").inner_text() == "3000"


def test_the_mapping_page_says_why_columns_are_not_imported_and_the_dry_run_shows_samples(login):
    from tests.imports import exports

    page = login("editor")
    page.goto("/imports/")
    page.get_by_label("File").set_input_files({"name": "outlook.csv", "mimeType": "text/csv", "buffer": exports.OUTLOOK})
    page.get_by_role("button", name="Upload").click()

    page.get_by_role("heading", name="Map columns").wait_for()
    assert page.get_by_label("Import Home Phone into").input_value() == "ignore"
    assert "Not imported: column #8 (Mobile Phone) fills phone" in page.locator("tr", has_text="Home Phone").inner_text()
    assert "Middle Name" in page.locator("#not-imported-summary").inner_text()
    page.get_by_label("Import Middle Name into").select_option("new-attribute")
    page.get_by_label("Attribute name for Middle Name").fill("middleName")
    page.get_by_role("button", name="Dry run").click()

    page.get_by_role("heading", name="What the import would do").wait_for()
    text = page.locator("main").inner_text()
    assert "Dates of Birthday read as month/day/year" in text
    samples = page.get_by_role("table", name="Changes before and after, by row").inner_text()
    assert "1933-01-29" in samples and "mary.major@example.com" in samples
    assert "Home Phone: column #8 (Mobile Phone) fills phone" in text
    assert Profile.objects.count() == 0
