"""The Jobs pages as the server renders them: who sees what, and what Cancel and Undo do."""

import re

import pytest
from django.test import Client

from dossier.profiles.models import AttributeDefinition

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-passphrase-1"


@pytest.fixture
def browser_as(make_user):
    def login(role):
        user = make_user(role)
        client = Client()
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return login


@pytest.fixture
def finished_job(api, make_profiles):
    a, b = make_profiles({"email": "a@example.com", "city": "Warsaw"}, {"email": "taken@example.com"})
    response = api.post("/profiles/batch-edit", {"selection": {"ids": [a, b]},
                                                 "changes": {"set": {"city": "Poznań", "email": "taken@example.com"},
                                                             "addTags": ["vip"]}})
    return response.json()


def test_the_jobs_page_lists_jobs_with_their_progress(browser_as, finished_job):
    page = browser_as("viewer").get("/jobs/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'href="/jobs/{finished_job["id"]}/"' in html and "Batch edit" in html and "2 of 2" in html


def test_a_job_page_shows_counts_changes_errors_and_the_profiles_link(browser_as, finished_job):
    html = browser_as("editor").get(f"/jobs/{finished_job['id']}/").content.decode()
    assert "<dt>Selection</dt><dd>2 selected profiles</dd><dt>Set City</dt><dd>Poznań</dd>" in html
    assert "<dt>Add tags</dt><dd>vip</dd>" in html
    assert "Succeeded</dt><dd id=\"job-succeeded\">1" in html and "Failed</dt><dd id=\"job-failed\">1" in html
    assert "another profile already has this identifier" in html
    assert f'href="/profiles/?job={finished_job["id"]}"' in html
    assert ">Undo</button>" in html and ">Cancel</button>" not in html


def test_a_job_page_says_the_selection_the_changes_and_the_profiles_in_words(browser_as, api, make_profiles):
    acme = api.post("/companies", {"name": "Acme"}).json()["id"]
    anna, _ = make_profiles({"email": "anna@example.pl", "firstName": "Anna", "lastName": "Nowak", "city": "Kraków"},
                            {"email": "bob@example.no", "firstName": "Bob", "city": "Oslo"})
    api.post("/profiles", {"firstName": "Points", "attributes": {"loyaltyPoints": 1}})
    AttributeDefinition.objects.filter(name="loyaltyPoints").update(label="Loyalty points")
    job = api.post("/profiles/batch-edit", {
        "selection": {"filter": {"city[is]": "krakow", "tag": "vip"}},
        "changes": {"set": {"sex": 2, "attributes.loyaltyPoints": 5}, "agreements": {"sms": True}, "companyId": acme},
    }).json()
    html = browser_as("viewer").get(f"/jobs/{job['id']}/").content.decode()
    # PostgreSQL's jsonb keeps the filter's keys in an order of its own
    assert re.search(r"<dt>Selection</dt><dd>all profiles matching (City is krakow and Tag is vip|Tag is vip and City is krakow)</dd>", html)
    assert "<dt>Set Sex</dt><dd>female</dd><dt>Set Loyalty points</dt><dd>5</dd>" in html
    assert "<dt>SMS agreement</dt><dd>subscribe</dd><dt>Company</dt><dd>Acme</dd>" in html
    job = api.post("/profiles/batch-edit", {"selection": {"filter": {"city[is]": "krakow"}}, "changes": {"set": {"sex": 2}}}).json()
    html = browser_as("viewer").get(f"/jobs/{job['id']}/").content.decode()
    assert f'<a href="/profiles/{anna}/">Anna Nowak</a>' in html
    assert '<span title="sex">Sex</span></td><td>—</td><td>female</td>' in html


def test_a_viewer_sees_no_undo_and_may_not_post_it(browser_as, finished_job, api):
    viewer = browser_as("viewer")
    html = viewer.get(f"/jobs/{finished_job['id']}/").content.decode()
    assert ">Undo</button>" not in html
    assert viewer.post(f"/jobs/{finished_job['id']}/undo/").status_code == 403
    assert api.get(f"/jobs/{finished_job['id']}").json()["undoneBy"] is None


def test_undo_from_the_page_starts_the_undo_job_and_shows_it(browser_as, finished_job, api):
    editor = browser_as("editor")

    question = editor.get(f"/jobs/{finished_job['id']}/undo/").content.decode()
    assert "Undo this batch edit?" in question and "Yes, undo it" in question
    assert api.get(f"/jobs/{finished_job['id']}").json()["undoneBy"] is None, "asking undoes nothing"

    response = editor.post(f"/jobs/{finished_job['id']}/undo/", follow=True)

    undo_id = api.get(f"/jobs/{finished_job['id']}").json()["undoneBy"]
    assert response.redirect_chain[-1][0] == f"/jobs/{finished_job['id']}/"
    html = response.content.decode()
    assert "Undone." in html and f'href="/jobs/{undo_id}/">the undo job</a>' in html
    assert re.search(r"Undone by editor-\d+ at <time", html)
    assert "<button type=\"button\" disabled" in html
    assert api.get("/profiles/by-email/a@example.com").json()["city"] == "Warsaw"
    again = editor.post(f"/jobs/{finished_job['id']}/undo/", follow=True).content.decode()
    assert "already undone" in again
    asked_again = editor.get(f"/jobs/{finished_job['id']}/undo/", follow=True).content.decode()
    assert "This job cannot be undone: the job is already undone" in asked_again


def test_pages_need_a_login_and_unknown_jobs_are_404(client, browser_as):
    assert client.get("/jobs/").status_code == 302
    assert browser_as("viewer").get("/jobs/00000000-0000-4000-8000-000000000000/").status_code == 404
