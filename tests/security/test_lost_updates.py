"""Lost updates under real concurrency: many people change the same issue at the same
moment, each from the version they loaded. Exactly one wins; every other one is told
(412 through the API with If-Match, 409 on the page) and changes nothing. PostgreSQL
only: SQLite serialises writers."""

import threading

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client
from rest_framework.test import APIClient

from accounts import tokens
from issues.models import Issue, IssueEvent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

COUNT = 8


def _at_once(calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i):
        try:
            barrier.wait(timeout=10)
            results[i] = calls[i]()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_api_patches_with_the_same_if_match(issue, alice, bob, sam, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "100000/minute", "anon": "100000/minute"},
    }
    cache.clear()
    clients = []
    for n in range(COUNT):
        client = APIClient()
        _, raw = tokens.create_token([alice, bob, sam][n % 3], name=f"t{n}", actor=None)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        clients.append(client)
    titles = [f"Title from writer {n}" for n in range(COUNT)]
    calls = [
        lambda n=n: clients[n].patch(
            f"/api/v1/issues/{issue.key}/", {"title": titles[n]}, format="json",
            HTTP_IF_MATCH='"1"',
        ).status_code
        for n in range(COUNT)
    ]  # fmt: skip
    codes = _at_once(calls)
    assert sorted(codes) == [200] + [412] * (COUNT - 1)
    issue.refresh_from_db()
    assert issue.version == 2
    assert issue.title == titles[codes.index(200)]
    assert IssueEvent.objects.filter(issue=issue, kind="title_changed").count() == 1


def test_page_edits_from_the_same_loaded_version(issue, alice, bob, sam):
    clients = []
    for n in range(COUNT):
        client = Client()
        client.force_login([alice, bob, sam][n % 3])
        clients.append(client)
    calls = [
        lambda n=n: (
            clients[n]
            .post(
                f"/issues/{issue.key}/properties/",
                {"fields": "priority", "priority": str(1 + n % 4), "version": "1"},
                HTTP_HX_REQUEST="true",
            )
            .status_code
        )
        for n in range(COUNT)
    ]
    codes = _at_once(calls)
    assert sorted(codes) == [200] + [409] * (COUNT - 1)
    issue.refresh_from_db()
    assert issue.version == 2
    winner = codes.index(200)
    assert issue.priority == 1 + winner % 4
    assert Issue.objects.get(pk=issue.pk).events.filter(kind="priority_changed").count() == 1
