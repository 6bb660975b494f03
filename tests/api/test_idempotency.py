"""Idempotency-Key: a retried POST returns the first answer and creates nothing new."""

import datetime as dt
import json
import threading

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import IdempotencyKey
from issues.api import idempotency
from issues.models import Comment, Customer, Issue

from ..conftest import is_postgres

pytestmark = pytest.mark.django_db

BODY = {"team": "ENG", "title": "Printer on fire"}


def post(client, url, body, key):
    return client.post(
        url, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_a_retry_returns_the_first_answer_and_creates_nothing(api_as, alice, eng):
    client = api_as(alice)
    first = post(client, "/api/v1/issues/", BODY, "key-1")
    again = post(client, "/api/v1/issues/", BODY, "key-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert (again["Location"], again["ETag"]) == (first["Location"], first["ETag"])
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Issue.objects.count() == 1
    assert Issue.objects.get().events.count() == 1


def test_the_same_key_with_another_body_is_refused(api_as, alice, eng):
    client = api_as(alice)
    post(client, "/api/v1/issues/", BODY, "key-1")
    other = post(client, "/api/v1/issues/", {**BODY, "title": "Something else"}, "key-1")
    assert other.status_code == 422
    assert other.json()["type"] == "/api/problems/idempotency-key-reused"
    assert Issue.objects.count() == 1


def test_the_same_key_on_another_endpoint_is_refused(api_as, alice, issue):
    client = api_as(alice)
    post(client, "/api/v1/customers/", {"name": "Dana"}, "key-1")
    response = post(client, f"/api/v1/issues/{issue.key}/comments/", {"name": "Dana"}, "key-1")
    assert response.status_code == 422


def test_keys_belong_to_one_user(api_as, alice, bob, eng):
    post(api_as(alice), "/api/v1/issues/", BODY, "shared")
    response = post(api_as(bob), "/api/v1/issues/", BODY, "shared")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Issue.objects.count() == 2


def test_a_refused_request_keeps_no_key_so_a_corrected_retry_works(api_as, alice, vera, eng):
    client = api_as(alice)
    assert post(client, "/api/v1/issues/", {"team": "ENG"}, "key-1").status_code == 400
    assert post(client, "/api/v1/issues/", BODY, "key-1").status_code == 201
    assert not IdempotencyKey.objects.filter(response_status__gte=300).exists()
    assert post(api_as(vera), "/api/v1/issues/", BODY, "key-2").status_code == 403
    assert not IdempotencyKey.objects.filter(key="key-2").exists()


def test_comments_and_customers_are_idempotent_too(api_as, alice, issue):
    client = api_as(alice)
    url = f"/api/v1/issues/{issue.key}/comments/"
    first = post(client, url, {"body": "Once"}, "c-1")
    assert post(client, url, {"body": "Once"}, "c-1").json() == first.json()
    assert Comment.objects.count() == 1
    created = post(client, "/api/v1/customers/", {"name": "Dana", "email": "d@x.example"}, "k")
    replay = post(client, "/api/v1/customers/", {"name": "Dana", "email": "d@x.example"}, "k")
    assert (created.status_code, replay.status_code, Customer.objects.count()) == (201, 201, 1)


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9"])
def test_an_unreadable_key_is_a_400(api_as, alice, eng, key):
    response = post(api_as(alice), "/api/v1/issues/", BODY, key.encode().decode("latin-1"))
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert not Issue.objects.exists()


def test_keys_expire_after_a_day(api_as, alice, eng):
    client = api_as(alice)
    post(client, "/api/v1/issues/", BODY, "key-1")
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    response = post(client, "/api/v1/issues/", BODY, "key-1")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Issue.objects.count() == 2


def test_expire_keys_removes_only_old_ones(alice, bob):
    now = timezone.now()
    for user, age in ((alice, 25), (bob, 1)):
        IdempotencyKey.objects.create(
            user=user, key="k", fingerprint="f", response_status=201,
            created_at=now - dt.timedelta(hours=age),
        )  # fmt: skip
    assert idempotency.expire_keys(now=now) == 1
    assert list(IdempotencyKey.objects.values_list("user__username", flat=True)) == ["bob"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_create_one_issue(eng, alice, token_for):
    """Two identical requests at the same moment: the second waits on the key's row
    and then replays the first one's answer."""
    if not is_postgres():
        pytest.skip("needs PostgreSQL row locks")
    raw = token_for(alice)
    barrier = threading.Barrier(4)
    results = []

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        barrier.wait()
        try:
            results.append(post(client, "/api/v1/issues/", BODY, "race").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [201, 201, 201, 201]
    assert Issue.objects.count() == 1
