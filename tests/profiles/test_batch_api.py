"""POST /profiles/batch: batch add or update with per-item results (SPEC §4)."""

import pytest

from dossier.profiles.models import Profile

pytestmark = pytest.mark.django_db


def test_batch_reports_each_item_in_input_order_and_bad_items_block_nothing(api):
    api.post("/profiles", {"email": "old@example.com", "city": "Warsaw"})

    response = api.post("/profiles/batch", [
        {"email": "new@example.com", "firstName": "New"},
        {"email": "old@example.com", "city": "Berlin"},
        {"customId": "C1", "sex": 5},
        {"email": "new@example.com", "lastName": "Again"},
        {"email": "old@example.com", "city": "Berlin"},
        {"firstName": "nobody"},
    ])

    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["index"], r["status"]) for r in results] == [
        (0, "created"), (1, "updated"), (2, "rejected"), (3, "rejected"), (4, "rejected"), (5, "rejected")]
    assert results[2]["errors"][0]["field"] == "sex"
    assert results[3]["errors"][0]["code"] == "duplicate"
    assert Profile.objects.get(email="old@example.com").city == "Berlin"
    assert not Profile.objects.filter(custom_id="C1").exists()


def test_batch_of_1001_items_is_refused(api):
    response = api.post("/profiles/batch", [{"email": f"p{n}@example.com"} for n in range(1001)])
    assert response.status_code == 422
    assert Profile.objects.count() == 0


def test_body_over_one_megabyte_is_413(api):
    response = api.post("/profiles/batch", [{"email": "a@example.com", "attributes": {"blob": "x" * (2 * 1024 * 1024)}}])
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


def test_malformed_json_is_400(api):
    response = api.post("/profiles/batch", raw=b'[{"email": ')
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_idempotency_key_replays_the_first_response(api):
    body = [{"email": "a@example.com", "city": "Warsaw"}]
    first = api.post("/profiles/batch", body, headers={"Idempotency-Key": "k1"})
    second = api.post("/profiles/batch", body, headers={"Idempotency-Key": "k1"})
    other = api.post("/profiles/batch", [{"email": "b@example.com"}], headers={"Idempotency-Key": "k1"})

    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert Profile.objects.count() == 1
