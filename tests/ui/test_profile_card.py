"""The profile card through Django's test client: reading, saving sections, tags, company, events."""

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from dossier.activity.models import Event
from dossier.activity.services import NewEvent, record_events
from dossier.profiles.changes import ChangeContext
from dossier.profiles.models import AttributeDefinition, Company, Profile
from dossier.profiles.serializers import profile_json
from dossier.profiles.services import do_update_profile
from tests.ui.conftest import change_events

pytestmark = pytest.mark.django_db


def card(profile_id) -> str:
    return f"/profiles/{profile_id}/"


class CardForm(HTMLParser):
    """The fields of the card's one form as a browser submits them: inputs inside it or tied to
    it by form="card-form", ticked checkboxes only, each select's chosen option."""

    def __init__(self, html: str):
        super().__init__()
        self.data: dict[str, str] = {}
        self._inside = False
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._inside = a.get("id") == "card-form"
        ours = self._inside or a.get("form") == "card-form"
        if tag == "input" and ours and a.get("name"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.data[a["name"]] = "on"
            else:
                self.data[a["name"]] = a.get("value", "")
        elif tag == "select" and ours:
            self._select = a["name"]
            self.data.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None


def card_form(client, profile_id, **changes) -> dict:
    """The card's form as rendered for `client`, with `changes` typed in (None unticks a box)."""
    post = CardForm(client.get(card(profile_id)).content.decode()).data
    for name, value in changes.items():
        if value is None:
            post.pop(name, None)
        else:
            post[name] = value
    return post


def test_card_requires_login(client, make_profile):
    pid = make_profile(email="anna@example.com")
    response = client.get(card(pid))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_unknown_profile_is_404(login_as):
    assert login_as("viewer").get("/profiles/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_card_shows_sections_with_stored_values(login_as, make_profile):
    pid = make_profile(firstName="Anna", city="Warsaw", email="anna@example.com", sex=2, avatarUrl="https://img.example/a.png",
                       agreements={"sms": True}, tags=["vip"], attributes={"plan": "gold"})
    html = login_as("editor").get(card(pid)).content.decode()
    for title in ("Profile info", "Contact info", "Other", "Subscriptions", "Tags", "Company", "Attributes", "Activity", "Add event"):
        assert f">{title}</h2>" in html
    assert 'name="city" form="card-form" value="Warsaw"' in html
    assert '<option value="2" selected>2 – female</option>' in html
    assert 'name="agreements.sms" form="card-form" checked' in html
    assert html.count('type="submit" form="card-form"') == 1 and html.count(">Save changes</button>") == 1
    assert 'src="https://img.example/a.png"' in html
    assert 'name="attributes.plan" form="card-form" value="gold"' in html


def test_saving_profile_info_changes_only_the_edited_field_and_records_who(login_as, make_profile):
    pid = make_profile(firstName="Anna", city="Warsaw", email="anna@example.com")
    client = login_as("editor")
    response = client.post(card(pid), card_form(client, pid, city="Kraków"))
    assert response.status_code == 302
    assert profile_json(pid)["city"] == "Kraków"
    [event] = change_events(pid)
    assert event.params["changes"] == [{"attribute": "city", "old": "Warsaw", "new": "Kraków"}]
    assert event.source == "ui"
    assert event.actor.startswith("user:editor-")
    assert event.request_id


def test_posting_an_untouched_form_writes_nothing(login_as, make_profile):
    pid = make_profile(firstName="Anna", city="Warsaw")
    client = login_as("editor")
    response = client.post(card(pid), card_form(client, pid), follow=True)
    assert "Nothing to save" in response.content.decode()
    assert change_events(pid) == []
    assert profile_json(pid)["version"] == 1


def test_emptying_an_input_clears_the_field(login_as, make_profile):
    pid = make_profile(firstName="Anna", city="Warsaw")
    client = login_as("editor")
    client.post(card(pid), card_form(client, pid, city=""))
    assert profile_json(pid)["city"] is None
    assert change_events(pid)[0].params["changes"] == [{"attribute": "city", "old": "Warsaw", "new": None}]


def test_subscriptions_save_each_changed_channel(login_as, make_profile):
    pid = make_profile(email="anna@example.com", agreements={"email": True})
    client = login_as("editor")
    client.post(card(pid), card_form(client, pid, **{"agreements.email": None, "agreements.sms": "on"}))
    assert profile_json(pid)["agreements"] == {"email": False, "sms": True, "push": False, "webPush": False}
    assert change_events(pid)[0].params["changes"] == [
        {"attribute": "agreements.email", "old": True, "new": False},
        {"attribute": "agreements.sms", "old": False, "new": True},
    ]


def test_subscriptions_show_each_channels_consent_record_with_when_how_and_who(login_as, make_profile, api):
    pid = make_profile(email="anna@example.com", agreements={"email": True})
    editor = login_as("editor")
    editor.post(card(pid), card_form(editor, pid, **{"agreements.email": None, "agreements.sms": "on"}))
    api.post("/forms", {"slug": "news", "name": "News", "identifier": "email",
                        "fields": [{"name": "email", "target": "email"}, {"name": "push", "target": "agreements.push"}]})
    Client().post("/f/news", {"email": "anna@example.com", "push": "on"})

    html = login_as("viewer").get(card(pid)).content.decode()

    assert re.search(r'id="consent-sms"><span class="channel">SMS</span>: <span class="state">given</span> · '
                     r'<time datetime="[^"]+">[0-9-]+ [0-9:]+ UTC</time> · source <span class="source">ui</span> · '
                     r'actor <span class="actor">user:editor-\d+</span>', html)
    assert '<span class="channel">Email</span>: <span class="state">withdrawn</span>' in html
    assert ('<span class="channel">Mobile push</span>: <span class="state">waiting for confirmation (double opt-in)'
            '</span>') in html
    assert 'source <span class="source">form</span> · actor <span class="actor">form:news</span>' in html
    assert '<span class="channel">Web push</span>: <span class="state">never given</span></li>' in html


def test_invalid_values_are_shown_beside_their_fields_and_nothing_is_saved(login_as, make_profile):
    pid = make_profile(email="anna@example.com", phone="+48500100200")
    client = login_as("editor")
    response = client.post(card(pid), card_form(client, pid, email="not-an-email"))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'name="email" form="card-form" value="not-an-email" aria-invalid="true" aria-describedby="field-email-error-1"' in html
    assert 'id="field-email-error-1">is not a valid email address' in html
    assert profile_json(pid)["email"] == "anna@example.com"
    assert change_events(pid) == []


def test_birth_date_in_the_future_is_refused_beside_the_field(login_as, make_profile):
    pid = make_profile(email="anna@example.com")
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    client = login_as("editor")
    response = client.post(card(pid), card_form(client, pid, birthDate=tomorrow))
    assert response.status_code == 422
    assert 'id="field-birthDate-error-1">must not be in the future' in response.content.decode()


def test_custom_attributes_are_coerced_to_their_type(login_as, make_profile):
    AttributeDefinition.objects.create(name="points", label="Loyalty points", type="integer")
    pid = make_profile(email="anna@example.com")
    client = login_as("editor")
    client.post(card(pid), card_form(client, pid, birthDate="1990-05-17", **{"attributes.points": "12"}))
    data = profile_json(pid)
    assert data["attributes"] == {"points": 12}
    assert data["birthDate"] == "1990-05-17"


def test_a_stale_save_keeps_a_colleagues_edit_to_other_fields(login_as, make_profile):
    pid = make_profile(city="Warsaw", firstName="Anna")
    client = login_as("editor")
    stale = card_form(client, pid, firstName="Anna Maria")
    do_update_profile(pid, {"city": "Gdańsk"}, ChangeContext(source="api", actor="apikey:other"))
    response = client.post(card(pid), stale, follow=True)
    assert "their changes to other fields are kept" in response.content.decode()
    data = profile_json(pid)
    assert (data["firstName"], data["city"], data["version"]) == ("Anna Maria", "Gdańsk", 3)
    assert change_events(pid)[-1].params["changes"] == [{"attribute": "firstName", "old": "Anna", "new": "Anna Maria"}]


def test_a_field_both_changed_is_marked_and_nothing_is_saved_until_the_user_decides(login_as, make_profile):
    pid = make_profile(city="Warsaw", firstName="Anna", lastName="Nowak")
    client = login_as("editor")
    stale = card_form(client, pid, city="Kraków", firstName="Anna Maria")
    do_update_profile(pid, {"city": "Gdańsk", "lastName": "Kowalska"}, ChangeContext(source="api", actor="apikey:other"))
    response = client.post(card(pid), stale)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved this profile after you opened it (version 1, now 2). Nothing was saved." in html
    assert "1 field changed by both of you is marked" in html
    assert 'name="city" form="card-form" value="Kraków"' in html  # the user's value, marked
    assert 'Changed meanwhile by someone else to “Gdańsk”' in html
    assert 'name="lastName" form="card-form" value="Kowalska"' in html  # theirs, untouched by the user
    assert 'name="firstName" form="card-form" value="Anna Maria"' in html  # the user's, not in conflict
    assert 'name="version" value="2"' in html
    assert profile_json(pid)["city"] == "Gdańsk"
    # saving the form as shown keeps the user's city and first name and the colleague's last name
    again = CardForm(html).data
    assert client.post(card(pid), again).status_code == 302
    data = profile_json(pid)
    assert (data["city"], data["firstName"], data["lastName"]) == ("Kraków", "Anna Maria", "Kowalska")


def test_tags_are_assigned_and_removed(login_as, make_profile):
    pid = make_profile(email="anna@example.com", tags=["vip"])
    client = login_as("editor")
    client.post(card(pid), {"action": "add-tag", "tag": "newsletter"})
    client.post(card(pid), {"action": "remove-tag", "tag": "vip"})
    assert profile_json(pid)["tags"] == ["newsletter"]
    assert [e.params["changes"] for e in change_events(pid)] == [
        [{"attribute": "tags", "added": ["newsletter"], "removed": []}],
        [{"attribute": "tags", "added": [], "removed": ["vip"]}],
    ]


def test_an_invalid_tag_is_reported(login_as, make_profile):
    pid = make_profile(email="anna@example.com")
    response = login_as("editor").post(card(pid), {"action": "add-tag", "tag": "x" * 65})
    assert response.status_code == 422
    assert "a tag is 1-64 characters" in response.content.decode()


def test_company_is_assigned_and_removed(login_as, make_profile):
    acme = Company.objects.create(name="Acme")
    pid = make_profile(email="anna@example.com")
    client = login_as("editor")
    client.post(card(pid), {"action": "assign-company", "companyId": str(acme.id)})
    assert profile_json(pid)["company"] == {"id": str(acme.id), "name": "Acme"}
    assert "Acme" in client.get(card(pid)).content.decode()
    client.post(card(pid), {"action": "remove-company"})
    assert profile_json(pid)["company"] is None


def test_add_event_records_a_custom_event_with_params_and_time(login_as, make_profile):
    pid = make_profile(email="anna@example.com")
    post = {"action": "add-event", "type": "call.made", "param_key": ["topic", "minutes", ""],
            "param_value": ["renewal", "12", ""], "time": "2026-01-02T10:30:00"}
    response = login_as("editor").post(card(pid), post)
    assert response.status_code == 302
    [event] = change_events(pid, "call.made")
    assert event.params == {"topic": "renewal", "minutes": "12"}
    assert event.time == dt.datetime(2026, 1, 2, 10, 30, tzinfo=dt.timezone.utc)
    assert event.source == "ui"


def test_add_event_refuses_a_reserved_type_beside_the_field(login_as, make_profile):
    pid = make_profile(email="anna@example.com")
    response = login_as("editor").post(card(pid), {"action": "add-event", "type": "profile.updated", "param_key": ["a"], "param_value": ["1"]})
    assert response.status_code == 422
    assert 'id="event-type-error">profile.updated events are written by Dossier itself (so are profile.created, profile.deleted, agreement.confirmed)' in response.content.decode()
    assert 'name="param_value" value="1"' in response.content.decode()
    assert change_events(pid, "profile.updated") == []


def test_activity_shows_changes_old_to_new_with_source_and_actor(login_as, make_profile):
    pid = make_profile(city="Warsaw")
    do_update_profile(pid, {"city": "Kraków"}, ChangeContext(source="api", actor="apikey:crm"))
    html = login_as("viewer").get(card(pid)).content.decode()
    assert '<span class="attribute" title="city">City</span>\n              <span class="old">Warsaw</span> → <span class="new">Kraków</span>' in html
    assert ('by <span class="actor" title="apikey:crm">API key “crm”</span> through '
            '<span class="source" title="source: api">the API</span>') in html


def test_activity_says_labels_and_values_in_words(login_as, make_profile):
    AttributeDefinition.objects.create(name="loyaltyPoints", label="Loyalty points", type="integer")
    pid = make_profile(firstName="Anna")
    do_update_profile(pid, {"sex": 2, "attributes": {"loyaltyPoints": 12}, "agreements": {"sms": True}},
                      ChangeContext(source="ui", actor="user:anna"))
    html = login_as("viewer").get(card(pid)).content.decode()
    assert '<span class="attribute" title="sex">Sex</span>\n              <span class="old">—</span> → <span class="new">female</span>' in html
    assert '<span class="attribute" title="attributes.loyaltyPoints">Loyalty points</span>' in html
    assert '<span class="old">no</span> → <span class="new">yes</span>' in html
    assert 'by <span class="actor" title="user:anna">anna</span> through <span class="source" title="source: ui">the profile card</span>' in html


def test_activity_is_paged_newest_first_and_filtered_by_type(login_as, make_profile):
    pid = make_profile(email="anna@example.com")
    now = dt.datetime.now(dt.timezone.utc)
    record_events([NewEvent(pid, "page.visit", now, "api", "apikey:t", {"n": n}) for n in range(30)])
    client = login_as("viewer")
    html = client.get(card(pid)).content.decode()
    assert html.count('class="event-type">page.visit<') == 25
    assert html.index("<dd>29</dd>") < html.index("<dd>28</dd>")
    older = Event.objects.filter(profile_id=pid, params__n=5).get().id
    html = client.get(card(pid), {"before": older}).content.decode()
    assert html.count('class="event"') == 6  # n = 4 ... 0 and profile.created
    html = client.get(card(pid), {"type": "profile.created"}).content.decode()
    assert html.count('class="event"') == 1


def test_card_reads_a_fixed_number_of_queries_whatever_the_activity(login_as, make_profile, django_assert_max_num_queries):
    AttributeDefinition.objects.create(name="plan", label="Plan", type="text")
    pid = make_profile(email="anna@example.com", tags=["a", "b"], attributes={"plan": "gold"})
    now = dt.datetime.now(dt.timezone.utc)
    record_events([NewEvent(pid, f"type{n % 7}", now, "api", "apikey:t", {"n": n}) for n in range(300)])
    client = login_as("editor")
    with django_assert_max_num_queries(11):
        assert client.get(card(pid)).status_code == 200


def test_values_are_escaped_everywhere(login_as, make_profile):
    script = "<script>alert(1)</script>"
    pid = make_profile(firstName=script, city=script, tags=["<b>x</b>"])
    record_events([NewEvent(pid, "note.added", dt.datetime.now(dt.timezone.utc), "api", "apikey:t", {script: script})])
    html = login_as("editor").get(card(pid)).content.decode()
    assert script not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>x</b>" not in html


def test_viewer_sees_values_but_no_forms(login_as, make_profile):
    pid = make_profile(city="Warsaw", email="anna@example.com")
    html = login_as("viewer").get(card(pid)).content.decode()
    assert "<dd>Warsaw</dd>" in html
    assert 'id="card-form"' not in html and "Save changes" not in html
    assert "Add event" not in html
    assert "Remove tag" not in html


@pytest.mark.parametrize("post", [
    {"action": "save", "version": 1, "city": "Kraków"},
    {"action": "add-tag", "tag": "vip"},
    {"action": "add-event", "type": "call.made"},
])
def test_viewer_writes_are_refused(login_as, make_profile, post):
    pid = make_profile(city="Warsaw")
    assert login_as("viewer").post(card(pid), post).status_code == 403
    assert Profile.objects.get(id=pid).version == 1
    assert not Event.objects.filter(profile_id=pid).exclude(type="profile.created").exists()


def test_card_posts_need_the_csrf_token(login_as, make_profile):
    pid = make_profile(city="Warsaw")
    client = login_as("editor", enforce_csrf_checks=True)
    assert client.post(card(pid), {"action": "add-tag", "tag": "vip"}).status_code == 403
    assert profile_json(pid)["tags"] == []


def test_card_sends_security_headers(login_as, make_profile):
    pid = make_profile(city="Warsaw")
    response = login_as("viewer").get(card(pid))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
