"""People by role: alice (admin), bob (member), sam (support), vera (viewer) in ENG;
mallory is a member of another team (OPS) only."""

from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import override_settings

from accounts.models import Membership
from issues import services
from issues.models import Status
from notifications import services as notify

from .factories import LabelFactory, UserFactory

Role = Membership.Role


@pytest.fixture(autouse=True, scope="session")
def _a_redis_cache_database_per_worker(worker_id):
    """With Redis as the cache, each pytest-xdist worker gets its own Redis database.
    Tests start from `cache.clear()` (FLUSHDB), which would otherwise wipe the throttle
    counters of a test running in another worker at the same moment."""
    cache = django_settings.CACHES["default"]
    if "redis" not in cache["BACKEND"].lower() or worker_id == "master":
        yield
        return
    url = urlsplit(cache["LOCATION"])
    base = int(url.path.strip("/") or 0)
    own = (base + 1 + int(worker_id.removeprefix("gw"))) % 16
    location = urlunsplit(url._replace(path=f"/{own}"))
    with override_settings(CACHES={"default": {**cache, "LOCATION": location}}):
        yield


@pytest.fixture(autouse=True, scope="session")
def _sessions_in_the_cache():
    """Sessions are read from the cache, as in production with Redis; the query-count
    pins count on it. (Tests run in one process, so even the in-process cache of the
    SQLite runs is shared by everything that reads a session.)"""
    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cached_db"):
        yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded files go to a per-test folder, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True, scope="session")
def _tasks_run_in_process():
    """Tasks run in the test process; the end-to-end notification tests start a worker."""
    from issuetracker.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _broker_circuit_closed():
    """A test that simulates a broker outage trips the per-process circuit breaker in
    issues.services; close it again so a later test with a real worker publishes. A
    test that replaces the notification task may leave its wake-up flag taken (in Redis
    it would outlive the test): release it, so the next test's changes queue theirs."""
    yield
    services._broker_down_until = 0.0
    notify.release_wakeup()


@pytest.fixture
def eng(db):
    return services.create_team(key="ENG", name="Engineering", actor=None)


@pytest.fixture
def ops(db):
    return services.create_team(key="OPS", name="Operations", actor=None)


def _member(username, team, role):
    user = UserFactory(username=username, display_name=username.title())
    Membership.objects.create(user=user, team=team, role=role)
    return user


@pytest.fixture
def alice(eng):
    return _member("alice", eng, Role.ADMIN)


@pytest.fixture
def bob(eng):
    return _member("bob", eng, Role.MEMBER)


@pytest.fixture
def sam(eng):
    return _member("sam", eng, Role.SUPPORT)


@pytest.fixture
def vera(eng):
    return _member("vera", eng, Role.VIEWER)


@pytest.fixture
def mallory(ops):
    return _member("mallory", ops, Role.MEMBER)


@pytest.fixture
def status(eng):
    """Look up one of ENG's default statuses by name: status("In progress")."""
    return lambda name: Status.objects.get(team=eng, name=name)


@pytest.fixture
def bug_label(eng):
    return LabelFactory(team=eng, name="bug")


@pytest.fixture
def issue(eng, alice):
    return services.create_issue(eng, actor=alice, title="Login button does nothing")


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def is_postgres() -> bool:
    return connection.vendor == "postgresql"
