"""The profiles list through Django's test client: filters, paging, counting, roles, queries."""

import re

import pytest

from dossier.jobs.models import Job
from dossier.profiles import views
from dossier.profiles.models import AttributeDefinition, Company

pytestmark = pytest.mark.django_db


def names_on(page) -> list[str]:
    html = page if isinstance(page, str) else page.content.decode()
    return re.findall(r'<td><a href="/profiles/[0-9a-f-]+/">([^<]*)</a></td>', html)


def test_list_requires_login(client):
    response = client.get("/profiles/?city=Warsaw")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/profiles/%3Fcity%3DWarsaw"


def test_root_leads_to_the_list(login_as):
    assert login_as("viewer").get("/")["Location"] == "/profiles/"


def test_list_filters_by_city_and_tag(login_as, make_profile):
    make_profile(firstName="Anna", city="Warsaw", tags=["vip"])
    make_profile(firstName="Beata", city="Warsaw")
    make_profile(firstName="Celina", city="Kraków", tags=["vip"])
    response = login_as("viewer").get("/profiles/", {"city": "Warsaw", "tag": "vip"})
    assert names_on(response) == ["Anna"]


def test_list_filters_by_company_agreement_and_custom_attribute(login_as, make_profile):
    acme = Company.objects.create(name="Acme")
    AttributeDefinition.objects.create(name="plan", label="Plan", type="text")
    make_profile(firstName="Anna", company={"id": str(acme.id)}, agreements={"email": True}, attributes={"plan": "gold"})
    make_profile(firstName="Beata", agreements={"email": True}, attributes={"plan": "gold"})
    make_profile(firstName="Celina", company={"id": str(acme.id)}, attributes={"plan": "free"})
    client = login_as("viewer")
    assert names_on(client.get("/profiles/", {"company": str(acme.id), "attributes.plan": "gold"})) == ["Anna"]
    assert sorted(names_on(client.get("/profiles/", {"agreements.email": "true"}))) == ["Anna", "Beata"]
    assert names_on(client.get("/profiles/", {"company": "none"})) == ["Beata"]


def test_search_finds_by_name_and_email(login_as, make_profile):
    make_profile(firstName="Anna", lastName="Nowak", email="anna@example.com")
    make_profile(firstName="Beata", email="beata@example.com")
    client = login_as("viewer")
    assert names_on(client.get("/profiles/", {"search": "nowak"})) == ["Anna Nowak"]
    assert names_on(client.get("/profiles/", {"search": "beata@"})) == ["Beata"]


def test_condition_rows_become_operator_parameters(login_as):
    response = login_as("viewer").get("/profiles/", {
        "search": "", "sort": "city", "page": "3", "city[contains]": "old row, replaced by the rows",
        "cond_field": ["lastName", "city", "phone", ""], "cond_op": ["is", "contains", "empty", "is"],
        "cond_value": ["Nowak", " ", "ignored", ""]})
    assert response.status_code == 302
    # a blank value drops its row, a valueless operator keeps it, the page starts again at 1
    assert response["Location"] == "/profiles/?sort=city&lastName[is]=Nowak&phone[empty]=1"


def test_text_conditions_ignore_case_and_accents(login_as, make_profile):
    make_profile(firstName="Anna", city="Kraków")
    make_profile(firstName="Beata", city="KRAKOW")
    make_profile(firstName="Celina", city="Warsaw")
    make_profile(firstName="Dorota")
    client = login_as("viewer")
    assert sorted(names_on(client.get("/profiles/", {"city[is]": "krakow"}))) == ["Anna", "Beata"]
    assert sorted(names_on(client.get("/profiles/", {"city[startswith]": "kra"}))) == ["Anna", "Beata"]
    assert names_on(client.get("/profiles/", {"city[empty]": "1"})) == ["Dorota"]
    html = client.get("/profiles/", {"city[contains]": "RAK"}).content.decode()
    assert 'aria-label="Remove filter City contains RAK"' in html
    # the condition stays in the form, field, operator and value chosen
    assert re.search(r'<option value="city" data-ops="is contains startswith empty notempty" selected>City</option>', html)
    assert '<option value="contains" selected>contains</option>' in html
    assert 'value="RAK"' in html


def test_a_condition_that_does_not_fit_its_field_is_named(login_as):
    response = login_as("viewer").get("/profiles/", {"city[gt]": "5"})
    assert response.status_code == 422
    assert "City is greater than: &#x27;is greater than&#x27; does not apply to this field" in response.content.decode()


def test_invalid_filter_is_reported_by_name(login_as, make_profile):
    make_profile(firstName="Anna")
    response = login_as("viewer").get("/profiles/", {"countryCode": "XX", "sort": "shoeSize"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Country: &#x27;XX&#x27; is not a known country" in html
    assert names_on(response) == []


def test_active_filters_show_as_removable_chips(login_as):
    response = login_as("viewer").get("/profiles/", {"city": "Warsaw", "tag": "vip"})
    html = response.content.decode()
    assert 'aria-label="Remove filter City is Warsaw"' in html
    assert '<a href="?tag=vip" aria-label="Remove filter City is Warsaw">' in html


def test_list_pages_by_number(login_as, make_profile, monkeypatch):
    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 2)
    for name in ("Anna", "Beata", "Celina", "Dorota", "Ewa"):
        make_profile(firstName=name, lastName=name)
    client = login_as("viewer")
    response = client.get("/profiles/", {"sort": "lastName"})
    seen = names_on(response)
    while (match := re.search(r'<a href="(\?[^"]*)" rel="next">Next</a>', response.content.decode())):
        response = client.get("/profiles/" + match.group(1).replace("&amp;", "&"))
        seen += names_on(response)
    assert seen == ["Anna Anna", "Beata Beata", "Celina Celina", "Dorota Dorota", "Ewa Ewa"]
    html = response.content.decode()
    assert '<span aria-current="page">3</span>' in html and 'aria-label="Page 1"' in html
    assert 'rel="prev"' in html
    html = client.get("/profiles/", {"sort": "lastName", "count": "exact"}).content.decode()
    assert 'aria-label="Page 3"' in html  # the last page, once counted
    assert names_on(client.get("/profiles/", {"sort": "lastName", "size": "25"})) == seen
    assert client.get("/profiles/", {"page": "0"}).status_code == 422


def test_new_profile_form_creates_and_opens_the_card(login_as):
    client = login_as("editor")
    assert client.get("/profiles/").content.decode().count('href="/profiles/new/"') == 1
    response = client.post("/profiles/new/", {"firstName": "Zofia", "email": "not-an-email", "city": "Łódź"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="Łódź"' in html and "field-error" in html
    response = client.post("/profiles/new/", {"firstName": "Zofia", "email": "zofia@example.pl", "agreements.email": "on"})
    assert response.status_code == 302
    card = client.get(response["Location"]).content.decode()
    assert "Profile created." in card and "zofia@example.pl" in card
    assert client.post("/profiles/new/", {}).status_code == 422


def test_viewers_get_no_new_profile_form(login_as):
    client = login_as("viewer")
    assert 'href="/profiles/new/"' not in client.get("/profiles/").content.decode()
    assert client.get("/profiles/new/").status_code == 403
    assert client.post("/profiles/new/", {"firstName": "X"}).status_code == 403


def test_the_page_counts_matches_only_when_asked(login_as, make_profile):
    for n in range(5):
        make_profile(firstName=f"P{n}", city="Warsaw")
    client = login_as("editor")
    html = client.get("/profiles/", {"city": "Warsaw"}).content.decode()
    assert 'data-count-url="/profiles/count/?city=Warsaw"' in html
    assert '<a href="?city=Warsaw&amp;count=exact">Count matching profiles</a>' in html
    html = client.get("/profiles/", {"city": "Warsaw", "count": "exact"}).content.decode()
    assert "5 matching" in html
    assert "Select all 5 matching" in html


def test_exact_count_is_its_own_request(login_as, make_profile):
    for n in range(3):
        make_profile(firstName=f"P{n}", city="Warsaw", tags=["vip"] if n else [])
    client = login_as("viewer")
    assert client.get("/profiles/count/", {"city": "Warsaw", "tag": "vip", "sort": "city"}).json() == {"count": 2}
    response = client.get("/profiles/count/", {"birthDate": "yesterday"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "birthDate"


def test_list_reads_a_fixed_number_of_queries(login_as, make_profile, django_assert_max_num_queries):
    acme = Company.objects.create(name="Acme")
    AttributeDefinition.objects.create(name="plan", label="Plan", type="text")
    for n in range(40):
        make_profile(firstName=f"P{n}", city="Warsaw", tags=["vip", f"t{n}"], company={"id": str(acme.id)})
    client = login_as("editor")
    with django_assert_max_num_queries(10):
        response = client.get("/profiles/", {"city": "Warsaw", "tag": "vip"})
    assert len(names_on(response)) == 40


def test_editor_gets_the_edit_controls_and_the_popup_config(login_as, make_profile):
    AttributeDefinition.objects.create(name="plan", label="Plan", type="text")
    make_profile(firstName="Anna", city="Warsaw")
    html = login_as("editor").get("/profiles/", {"city": "Warsaw"}).content.decode()
    assert 'id="edit-button" hidden>Edit</button>' in html
    assert 'aria-label="Select Anna"' in html
    assert '<dialog id="edit-dialog"' in html
    config = re.search(r'<script id="editor-config" type="application/json">(.*?)</script>', html).group(1)
    assert '"filter": {"city": "Warsaw"}' in config
    assert '"path": "birthDate", "label": "Birth date", "type": "date"' in config
    assert '"path": "attributes.plan", "label": "Plan", "type": "text", "group": "custom"' in config


def test_viewer_sees_no_edit_controls(login_as, make_profile):
    make_profile(firstName="Anna")
    html = login_as("viewer").get("/profiles/").content.decode()
    assert names_on(html) == ["Anna"]
    assert "edit-button" not in html
    assert "<dialog" not in html
    assert 'type="checkbox"' not in html


def test_finished_batch_edit_is_reported_above_the_list(login_as):
    job = Job.objects.create(kind="batch_edit", status="succeeded", total=2, processed=2, succeeded=2, created_by="user:x")
    html = login_as("editor").get("/profiles/", {"edited": str(job.id)}).content.decode()
    assert "Batch edit succeeded: 2 of 2 profiles done." in html


def test_list_shows_the_profiles_a_job_changed(login_as, make_profile):
    anna = make_profile(firstName="Anna")
    make_profile(firstName="Beata")
    client = login_as("editor")
    job = client.post("/api/v1/profiles/batch-edit", {"selection": {"ids": [str(anna)]}, "changes": {"set": {"city": "Gdańsk"}}},
                      content_type="application/json").json()
    response = client.get("/profiles/", {"job": job["id"]})
    assert names_on(response) == ["Anna"]
    assert f'Changed by job {job["id"]}' in response.content.decode()


def test_list_escapes_values(login_as, make_profile):
    make_profile(firstName="<script>alert(1)</script>", city="<img src=x>")
    html = login_as("editor").get("/profiles/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x>" not in html
