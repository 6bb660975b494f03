"""Team admins manage webhooks through the API too."""

import pytest

from issues import services
from notifications.models import Outbox, Webhook
from notifications.services import process_outbox

pytestmark = pytest.mark.django_db


def test_admin_registers_a_webhook_and_sees_its_deliveries(api_as, alice, eng, bob):
    client = api_as(alice)
    response = client.post(
        "/api/v1/teams/ENG/webhooks/",
        {"url": "https://ci.example.com/hook", "events": ["issue.created"]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["events"] == ["issue.created"] and len(body["secret"]) >= 32
    assert response["Location"].endswith(f"/api/v1/teams/ENG/webhooks/{body['id']}/")

    services.create_issue(eng, actor=bob, title="Deploy broke search")
    for pk in Outbox.objects.values_list("pk", flat=True):
        process_outbox(pk)
    detail = client.get(f"/api/v1/teams/ENG/webhooks/{body['id']}/").json()
    assert [d["event_name"] for d in detail["recent_deliveries"]] == ["issue.created"]


def test_bad_urls_and_events_are_field_errors(api_as, alice, eng):
    client = api_as(alice)
    response = client.post(
        "/api/v1/teams/ENG/webhooks/", {"url": "ftp://x.example.com/", "events": ["nope"]}
    )
    assert response.status_code == 400
    fields = {name.split(".")[0] for name in response.json()["errors"]}
    assert fields == {"url", "events"}
    assert not Webhook.objects.exists()


def test_pausing_and_deleting(api_as, alice, eng):
    client = api_as(alice)
    hook = client.post("/api/v1/teams/ENG/webhooks/", {"url": "https://h.example.com/"}).json()
    url = f"/api/v1/teams/ENG/webhooks/{hook['id']}/"
    assert client.patch(url, {"is_active": False}).json()["is_active"] is False
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
