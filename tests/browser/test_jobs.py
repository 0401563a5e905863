"""The Jobs pages in Chromium: live progress of a background job, and Undo."""

import pytest

from tests.processes import start_dossier

pytestmark = pytest.mark.django_db(transaction=True)


def test_undo_from_the_job_page_restores_the_profiles_and_opens_the_undo_job(login, api):
    ids = [r["id"] for r in api.post("/profiles/batch", [{"email": "a@example.com", "city": "Warsaw"},
                                                          {"email": "b@example.com", "city": "Gdańsk"}]).json()["results"]]
    job = api.post("/profiles/batch-edit", {"selection": {"ids": ids}, "changes": {"set": {"city": "Poznań"}}}).json()
    page = login("editor")

    page.goto("/jobs/")
    page.get_by_role("link", name="Batch edit").click()
    assert page.get_by_role("status").inner_text() == "Succeeded"
    assert page.get_by_text("2 of 2 profiles processed").is_visible()
    assert page.get_by_role("link", name="Profiles this job changed").get_attribute("href") == f"/profiles/?job={job['id']}"
    page.get_by_role("button", name="Undo").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Undo this batch edit?"
    assert "2 profiles" in page.get_by_role("main").inner_text()
    page.get_by_role("button", name="Yes, undo it").click()

    page.wait_for_url(f"**/jobs/{job['id']}/")
    assert page.get_by_role("status").filter(has_text="Undone by").is_visible()
    assert page.get_by_role("button", name="Undo").is_disabled()
    assert [api.get(f"/profiles/{pid}").json()["city"] for pid in ids] == ["Warsaw", "Gdańsk"]

    page.get_by_role("link", name="the undo job").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Undo"
    assert page.get_by_role("link", name=f"job {job['id']}").is_visible()
    assert page.get_by_role("button", name="Undo").is_enabled()  # undoing the undo redoes


def test_a_viewer_sees_the_job_without_undo_or_cancel(login, api):
    [result] = api.post("/profiles/batch", [{"email": "a@example.com"}]).json()["results"]
    job = api.post("/profiles/batch-edit", {"selection": {"ids": [result["id"]]}, "changes": {"addTags": ["vip"]}}).json()
    page = login("viewer")

    page.goto(f"/jobs/{job['id']}/")

    assert page.get_by_role("heading", name="Summary").is_visible()
    assert page.get_by_role("button", name="Undo").count() == 0
    assert page.get_by_role("button", name="Cancel").count() == 0


def test_the_job_page_follows_a_background_job_live_until_it_finishes(login, api):
    for start in range(0, 1500, 1000):
        api.post("/profiles/batch", [{"customId": f"p{n}", "city": "Warsaw"} for n in range(start, min(start + 1000, 1500))])
    job = api.post("/profiles/batch-edit", {"selection": {"filter": {"city": "Warsaw"}}, "changes": {"set": {"city": "Poznań"}}}).json()
    page = login("editor")
    page.goto(f"/jobs/{job['id']}/")
    assert page.get_by_role("status").inner_text() == "Queued"
    assert page.get_by_role("button", name="Cancel").is_visible()

    worker = start_dossier("worker", "--interval", "0.05", DOSSIER_JOB_CHUNK_SIZE="50")
    try:
        page.get_by_role("status").filter(has_text="Succeeded").wait_for(timeout=60_000)
    finally:
        worker.kill()
        worker.wait(timeout=10)

    assert page.get_by_text("1500 of 1500 profiles processed").is_visible()
    assert page.locator("#job-progress").evaluate("bar => [bar.value, bar.max]") == [1500, 1500]
    assert page.get_by_role("button", name="Cancel").count() == 0
    assert page.get_by_role("button", name="Undo").is_visible()
