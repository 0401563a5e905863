"""`dossier verify` checks the change chain, not only the end state: each change's `old` is the
previous `new`, tags are added when absent and removed when present, one event per version.

Each tampering below leaves the end state rebuildable (replaying the `new` values still gives the
stored profile), so only the chain check can see it.
"""

import pytest

from dossier.activity.models import Event
from tests.processes import run_dossier

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def anna_moved_twice(api) -> tuple[str, list[Event]]:
    """A profile created in Warsaw that moved to Kraków, then to Gdańsk, and a bystander."""
    api.post("/profiles", {"email": "bystander@example.com", "city": "Łódź", "tags": ["vip"]})
    profile = api.post("/profiles", {"email": "anna@example.com", "city": "Warsaw", "tags": ["new"],
                                     "birthDate": "1990-05-01", "attributes": {"score": 1}}).json()
    for change in ({"city": "Kraków", "addTags": ["vip"]}, {"city": "Gdańsk", "removeTags": ["new"]}):
        assert api.patch(f"/profiles/{profile['id']}", change).status_code == 200
    events = list(Event.objects.filter(profile_id=profile["id"]).order_by("id"))
    assert [e.type for e in events] == ["profile.created", "profile.updated", "profile.updated"]
    return profile["id"], events


def chain_breaks(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if ": chain break: " in line]


def test_verify_is_clean_after_writes_of_every_kind(api, anna_moved_twice):
    profile_id, _ = anna_moved_twice
    company = api.post("/companies", {"name": "Acme"}).json()
    changes = [{"attributes": {"score": 2, "plan": "gold"}, "agreements": {"email": True}},
               {"birthDate": None, "attributes": {"plan": None}, "tags": ["a", "b"]},
               {"companyId": company["id"], "attributes": {"score": 3}},
               {"companyId": None, "agreements": {"email": False}, "customId": "anna-1"}]
    for change in changes:
        assert api.patch(f"/profiles/{profile_id}", change).status_code == 200, change
    api.post("/profiles/batch-edit", {"selection": {"ids": [profile_id]}, "changes": {"set": {"city": "Poznań"}}})

    result = run_dossier("verify")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "every change chain is unbroken" in result.stdout


def test_verify_reports_an_old_value_that_is_not_the_previous_new_one(anna_moved_twice):
    """The shape of a lost update: two writers both read Warsaw; the second overwrote the first."""
    profile_id, (_, _, to_gdansk) = anna_moved_twice
    changes = to_gdansk.params["changes"]
    assert changes[0] == {"attribute": "city", "old": "Kraków", "new": "Gdańsk"}
    changes[0]["old"] = "Warsaw"
    Event.objects.filter(id=to_gdansk.id).update(params={"changes": changes})

    result = run_dossier("verify")

    assert result.returncode == 1
    assert chain_breaks(result.stdout) == [
        f"{profile_id}: chain break: event {to_gdansk.id}: city: old 'Warsaw' is not the previous new 'Kraków'"]
    assert "differs in" not in result.stdout
    assert "0 profile(s) differ from their events; 1 profile(s) have a broken change chain." in result.stderr


def test_verify_reports_a_lost_event_as_a_version_gap(anna_moved_twice):
    profile_id, (_, to_krakow, to_gdansk) = anna_moved_twice
    # the Gdańsk change's tag removal and city still rebuild the profile; the Kraków event is gone
    Event.objects.filter(id=to_krakow.id).delete()
    Event.objects.filter(id=to_gdansk.id).update(params={"changes": [
        *to_krakow.params["changes"][1:], *to_gdansk.params["changes"]]})

    result = run_dossier("verify")

    assert result.returncode == 1
    assert chain_breaks(result.stdout) == [
        f"{profile_id}: chain break: event {to_gdansk.id}: city: old 'Kraków' is not the previous new 'Warsaw'",
        f"{profile_id}: chain break: version 3, but 2 change event(s)"]
    assert "differs in" not in result.stdout


def test_verify_reports_a_doubled_tag_change_and_a_second_creation(anna_moved_twice):
    profile_id, (_, _, to_gdansk) = anna_moved_twice
    Event.objects.filter(id=to_gdansk.id).update(type="profile.created", params={"changes": [
        *to_gdansk.params["changes"], {"attribute": "tags", "added": ["vip"], "removed": []}]})

    result = run_dossier("verify")

    assert result.returncode == 1
    assert chain_breaks(result.stdout) == [
        f"{profile_id}: chain break: event {to_gdansk.id}: profile.created again, as change event 3",
        f"{profile_id}: chain break: event {to_gdansk.id}: tags: adds ['vip'], which the profile already had"]


def test_verify_reports_a_profile_whose_first_event_is_not_its_creation(anna_moved_twice):
    profile_id, (created, _, _) = anna_moved_twice
    Event.objects.filter(id=created.id).update(type="profile.updated")

    result = run_dossier("verify")

    assert result.returncode == 1
    assert chain_breaks(result.stdout) == [
        f"{profile_id}: chain break: event {created.id}: the first change event is profile.updated, not profile.created"]
