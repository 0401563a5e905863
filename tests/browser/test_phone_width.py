"""The signed-in pages at a phone's 390 px: nothing is wider than the screen."""

import pytest

from dossier.jobs.models import Job
from tests.browser.profiles_support import create

pytestmark = pytest.mark.django_db(transaction=True)


def test_list_card_jobs_and_imports_fit_390_px(login, api):
    pid = create(firstName="Anna", lastName="Nowak-Wiśniewska", email="anna.nowak-wisniewska@example.com",
                 phone="+48601767123", city="Kraków", tags=["vip", "newsletter", "spring-2026"],
                 attributes={"loyaltyPoints": 3226, "favouriteCategory": "garden furniture and outdoor lighting"})
    api.post("/profiles/batch-edit", {"selection": {"ids": [str(pid)]}, "changes": {"set": {"city": "Gdańsk"}}})
    page = login("editor")
    page.set_viewport_size({"width": 390, "height": 844})
    job_id = Job.objects.get().id
    for url in ("/profiles/", f"/profiles/{pid}/", "/jobs/", f"/jobs/{job_id}/", "/imports/", "/workflows/", "/forms/"):
        page.goto(url)
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{url} is {widths[0]} px wide on a {widths[1]} px screen"
        assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Profiles").is_visible()
