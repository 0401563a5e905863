"""Webhooks delivered to a real HTTP receiver on localhost: signed the Standard Webhooks way (checked
with the `standardwebhooks` library, not Dossier's code), batched, in order, retried after 500s and
timeouts with the same webhook-id, disabled after failing too long, sent again on demand."""

import pytest
from standardwebhooks import Webhook

pytestmark = pytest.mark.django_db(transaction=True)


def changes(received) -> list[tuple[str, str]]:
    """(type, new email or city) of every event the receiver got, in order."""
    found = []
    for request in received:
        for event in request.json["data"]["events"]:
            found.append((event["type"], event["params"]["changes"][0]["new"]))
    return found


def test_changes_reach_the_receiver_signed_and_in_order(api, subscribe, receiver, run_worker):
    subscription = subscribe(eventTypes=["profile.created", "profile.updated"])
    created = api.post("/profiles", {"email": "ann@example.com"}).json()
    api.patch(f"/profiles/{created['id']}", {"city": "Oslo"})
    api.patch(f"/profiles/{created['id']}", {"city": "Rome"})

    run_worker()

    received = receiver.wait_for(1)
    assert [("profile.created", "ann@example.com"), ("profile.updated", "Oslo"), ("profile.updated", "Rome")] == changes(received)
    for request in received:
        verified = Webhook(subscription["secret"]).verify(request.body, request.headers)
        assert verified["type"] == "events"
        assert request.headers["webhook-id"].startswith("msg_")
        assert request.headers["content-type"] == "application/json"
    event = received[0].json["data"]["events"][0]
    assert (event["profileId"], event["source"]) == (created["id"], "api")


def test_a_wrong_secret_fails_verification(api, subscribe, receiver, run_worker):
    subscribe()
    api.post("/profiles", {"email": "ann@example.com"})
    run_worker()
    [request] = receiver.wait_for(1)

    other = subscribe()["secret"]
    with pytest.raises(Exception):
        Webhook(other).verify(request.body, request.headers)


def test_only_the_subscribed_types_and_changed_fields_are_sent(api, subscribe, receiver, run_worker):
    subscribe(eventTypes=["profile.updated"], changed=["city"])
    created = api.post("/profiles", {"email": "ann@example.com"}).json()
    api.patch(f"/profiles/{created['id']}", {"firstName": "Ann"})
    api.patch(f"/profiles/{created['id']}", {"city": "Oslo"})
    api.post(f"/profiles/{created['id']}/events", {"type": "page.visit"})

    run_worker()

    assert changes(receiver.wait_for(1)) == [("profile.updated", "Oslo")]


def test_an_erasure_reaches_the_receiver_as_profile_deleted_with_the_id_alone(api, subscribe, receiver, run_worker):
    subscribe(eventTypes=["profile.deleted"])
    created = api.post("/profiles", {"email": "ann@example.com", "firstName": "Ann"}).json()
    assert api.delete(f"/profiles/{created['id']}").status_code == 204

    run_worker()

    [request] = receiver.wait_for(1)
    [event] = request.json["data"]["events"]
    assert (event["type"], event["profileId"], event["source"]) == ("profile.deleted", created["id"], "api")
    assert event["params"] == {"profileId": created["id"]}  # nothing else of the erased profile
    assert "ann@example.com" not in request.body.decode()


def test_a_subscription_gets_what_happens_after_it_is_made_not_the_history(api, subscribe, receiver, run_worker):
    api.post("/profiles", {"email": "before@example.com"})
    subscribe()
    api.post("/profiles", {"email": "after@example.com"})

    run_worker()

    assert changes(receiver.wait_for(1)) == [("profile.created", "after@example.com")]


def test_a_batch_write_arrives_in_messages_of_at_most_100_events(api, subscribe, receiver, run_worker):
    subscribe()
    response = api.post("/profiles/batch", [{"email": f"p{n}@example.com"} for n in range(250)])
    assert response.status_code == 200

    run_worker()

    received = receiver.wait_for(3)
    assert [len(r.event_ids) for r in received] == [100, 100, 50]
    assert sum((r.event_ids for r in received), []) == sorted(sum((r.event_ids for r in received), []))


def test_a_failing_receiver_gets_the_same_message_again_until_it_answers(api, subscribe, receiver, run_worker):
    subscription = subscribe()
    receiver.answers = [500, ("sleep", 1.5), 503]
    api.post("/profiles", {"email": "ann@example.com"})

    run_worker()

    received = receiver.wait_for(4)
    assert len({r.headers["webhook-id"] for r in received}) == 1
    assert {tuple(r.event_ids) for r in received} == {tuple(received[0].event_ids)}
    [message] = api.get(f"/webhooks/{subscription['id']}/messages").json()["items"]
    assert message["status"] == "delivered"
    assert [(a["number"], a["statusCode"]) for a in message["attempts"]] == [(1, 500), (2, None), (3, 503), (4, 200)]
    assert "no answer within 1 s" in message["attempts"][1]["error"]
    assert message["attempts"][0]["error"] == "the receiver answered 500 Internal Server Error"
    assert api.get(f"/webhooks/{subscription['id']}").json()["failingSince"] is None


def test_a_subscription_failing_too_long_is_disabled_and_resumes_when_enabled(api, subscribe, receiver, run_worker,
                                                                             webhook_settings):
    webhook_settings.WEBHOOK_DISABLE_AFTER_HOURS = 0
    subscription = subscribe()
    receiver.answers = [500]
    api.post("/profiles", {"email": "ann@example.com"})

    run_worker()

    disabled = api.get(f"/webhooks/{subscription['id']}").json()
    assert disabled["enabled"] is False
    assert "hours of failed deliveries; the last: the receiver answered 500" in disabled["disabledReason"]
    assert disabled["messages"] == {"pending": 1, "delivered": 0}
    assert len(receiver.received) == 1

    enabled = api.patch(f"/webhooks/{subscription['id']}", {"enabled": True}).json()
    run_worker()

    assert (enabled["enabled"], enabled["disabledReason"], enabled["failingSince"]) == (True, None, None)
    assert len(receiver.wait_for(2)) == 2
    assert api.get(f"/webhooks/{subscription['id']}").json()["messages"] == {"pending": 0, "delivered": 1}


def test_send_test_and_redeliver(api, subscribe, receiver, run_worker):
    subscription = subscribe()
    assert api.post(f"/webhooks/{subscription['id']}/test").status_code == 202
    run_worker()
    [test] = receiver.wait_for(1)
    assert test.json["type"] == "webhook.test"
    Webhook(subscription["secret"]).verify(test.body, test.headers)

    [message] = api.get(f"/webhooks/{subscription['id']}/messages").json()["items"]
    response = api.post(f"/webhooks/{subscription['id']}/messages/{message['id']}/redeliver")
    run_worker()

    assert response.status_code == 202
    again = receiver.wait_for(2)[1]
    assert again.headers["webhook-id"] == test.headers["webhook-id"] == message["id"]


def test_a_receiver_on_a_private_address_is_refused_at_delivery_unless_allowed(api, subscribe, receiver, run_worker,
                                                                              webhook_settings):
    subscription = subscribe()
    webhook_settings.WEBHOOKS_ALLOW_PRIVATE = False
    webhook_settings.WEBHOOK_RETRY_BASE_SECONDS = 600  # the retry waits; the worker stops when nothing is due
    api.post("/profiles", {"email": "ann@example.com"})

    run_worker()

    assert receiver.received == []
    [message] = api.get(f"/webhooks/{subscription['id']}/messages").json()["items"]
    assert message["status"] == "pending"
    assert "resolves to 127.0.0.1, a private, loopback or link-local address" in message["attempts"][0]["error"]
