"""Backing services down: the database gives clear 503s (not 500s) and the app recovers
by itself; a dead Redis cache costs nothing but its counters."""

import socket
import time

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from issues.models import Issue
from issuetracker.resilience import RETRY_AFTER_SECONDS, FailOpenRedisCache

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(monkeypatch):
    """Every new cursor fails as it does while PostgreSQL is stopped."""

    def refuse(self):
        raise OperationalError("connection refused: is the server running on 127.0.0.1:5432?")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
    return monkeypatch


@pytest.fixture
def browser(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    return client


def test_a_page_answers_503_with_retry_after_while_the_database_is_down(browser, database_down):
    response = browser.get("/teams/ENG/issues/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("text/plain")
    assert b"cannot reach its database" in response.content
    assert b"Traceback" not in response.content


def test_a_write_while_the_database_is_down_is_a_503_and_saves_nothing(browser, eng, database_down):
    response = browser.post("/issues/new/", {"team": "ENG", "title": "Lost?", "kind": "bug"})
    assert response.status_code == 503
    database_down.undo()
    assert not Issue.objects.filter(title="Lost?").exists()


def test_the_api_answers_problem_details_503_while_the_database_is_down(browser, database_down):
    response = browser.get("/api/v1/issues/?team=ENG")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


def test_the_app_recovers_on_the_next_request_once_the_database_is_back(
    browser, issue, database_down
):
    assert browser.get(f"/issues/{issue.key}/").status_code == 503
    database_down.undo()
    response = browser.get(f"/issues/{issue.key}/")
    assert response.status_code == 200
    assert issue.title.encode() in response.content


def test_other_errors_stay_500s(browser, monkeypatch):
    from issues import selectors

    def broken(*args, **kwargs):
        raise ValueError("a bug, not an outage")

    monkeypatch.setattr(selectors, "get_issue_for_user", broken)
    response = browser.get("/issues/ENG-1/")
    assert response.status_code == 500
    assert "Retry-After" not in response


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_cache_on_a_dead_redis_misses_quickly_and_stops_trying():
    cache = FailOpenRedisCache(
        f"redis://127.0.0.1:{_closed_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 1, "retry_seconds": 30}},
    )
    started = time.monotonic()
    assert cache.get("throttle", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.add("a", 0) is False
    assert cache.incr("a") == 0
    cache.set("a", 1)
    cache.delete("a")
    assert time.monotonic() - started < 1.5


def test_sign_in_works_while_the_cache_is_down(settings, client, alice):
    settings.CACHES = {
        "default": {
            "BACKEND": "issuetracker.resilience.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }
    alice.set_password("a-long-password-1")
    alice.save()
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "a-long-password-1"}
    )
    assert response.status_code == 302
    assert client.get("/api/v1/me/").json()["username"] == "alice"


@pytest.mark.skipif("not __import__('django.conf').conf.settings.REDIS_URL")
def test_the_cache_works_normally_on_a_live_redis():
    from django.core.cache import cache, caches

    assert isinstance(caches["default"], FailOpenRedisCache)
    cache.set("resilience-test", 41, timeout=30)
    assert cache.incr("resilience-test") == 42
    cache.delete("resilience-test")


@pytest.fixture
def real_broker():
    """Publish for real (the tests run Celery eagerly)."""
    from issuetracker.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = eager


def test_a_dead_broker_costs_one_request_then_changes_wait_for_the_drain(
    monkeypatch, django_capture_on_commit_callbacks, real_broker, issue, alice, bob, sam
):
    from issues import services
    from notifications import services as notify
    from notifications.models import Outbox
    from notifications.tasks import process_outbox

    tries = []

    def broker_down(*args, **kwargs):
        tries.append(args)
        raise ConnectionError("Error 111 connecting to redis. Connection refused.")

    monkeypatch.setattr(process_outbox, "delay", broker_down)
    monkeypatch.setattr(services, "_broker_down_until", 0.0)
    with django_capture_on_commit_callbacks(execute=True):
        services.assign(issue, assignee=bob, actor=alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.assign(issue, assignee=sam, actor=alice)
    assert len(tries) == 1  # the second change did not wait on the dead broker
    assert issue.assignees.count() == 2
    pending = Outbox.objects.filter(processed_at__isnull=True)
    assert pending.count() == 3  # the create, and both assignments, kept for the drain

    monkeypatch.setattr(services, "_broker_down_until", 0.0)  # the back-off is over
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(issue, body="Anyone?", actor=alice)
    assert len(tries) == 2
    real_broker.conf.task_always_eager = True
    from django.utils import timezone

    assert notify.drain_outbox(now=timezone.now() + notify.OUTBOX_GRACE * 2) >= 2
