"""The outbox in batches: a change queues a task only when none is due yet, and one
task turns every pending change into notifications, many per transaction."""

import socket
import time

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from issues import services
from notifications import services as notify
from notifications.models import Notification, Outbox
from notifications.tasks import process_outbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_wakeup(settings):
    """The wake-up flag in a cache every process shares, as with Redis in production
    (this process's own cache is all a test in one process needs)."""
    settings.NOTIFY_SHARED_WAKEUP = True
    cache.delete(notify.wakeup_key())
    yield notify.wakeup_key()
    cache.delete(notify.wakeup_key())


@pytest.fixture
def queued(monkeypatch):
    """The process_outbox tasks changes queue, recorded instead of run."""
    calls = []
    monkeypatch.setattr(process_outbox, "delay", lambda *args, **kwargs: calls.append(args))
    return calls


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run a change as its own committed request: its after-commit hooks run."""

    def run(change, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return change(*args, **kwargs)

    return run


def file_assigned(eng, alice, bob, count):
    return [
        services.create_issue(eng, actor=alice, title=f"Checkout fails #{n}", assignees=[bob])
        for n in range(count)
    ]


def pending():
    return Outbox.objects.filter(processed_at__isnull=True).count()


def test_one_run_notifies_every_pending_change_once(
    django_capture_on_commit_callbacks, eng, alice, bob
):
    file_assigned(eng, alice, bob, 5)
    assert pending() == 5
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.process_pending(batch_size=2) == 5
    assert pending() == 0
    assert Notification.objects.filter(recipient=bob, kind="assigned").count() == 5
    assert sorted(m.subject for m in mail.outbox) == [
        f"[ENG-{n}] Assigned to you: Checkout fails #{n - 1}" for n in range(1, 6)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.process_pending() == 0
    assert len(mail.outbox) == 5


def test_a_batch_costs_the_same_queries_whatever_its_size(
    django_capture_on_commit_callbacks, eng, alice, bob
):
    def queries_to_deliver(count):
        file_assigned(eng, alice, bob, count)
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert notify.process_pending() == count
        return len(queries)

    assert queries_to_deliver(1) == queries_to_deliver(6)
    assert len(mail.outbox) == 7


def test_a_change_that_fails_does_not_hold_back_the_others(monkeypatch, caplog, eng, alice, bob):
    first, bad, last = file_assigned(eng, alice, bob, 3)
    recipients_for = notify.recipients_for

    def failing(event):
        if event.issue_id == bad.pk:
            raise RuntimeError("a change the worker cannot handle")
        return recipients_for(event)

    monkeypatch.setattr(notify, "recipients_for", failing)
    assert notify.process_pending() == 2
    assert set(Notification.objects.values_list("issue__title", flat=True)) == {
        first.title,
        last.title,
    }
    left = Outbox.objects.get(processed_at__isnull=True)
    assert left.attempts == 0 and "could not be delivered" in caplog.text

    monkeypatch.setattr(notify, "recipients_for", recipients_for)  # fixed and deployed
    assert notify.process_pending() == 1
    assert Notification.objects.filter(issue=bad).count() == 1


def test_changes_while_a_task_is_due_queue_no_more_tasks(
    shared_wakeup, queued, commit, eng, alice, bob
):
    for n in range(3):
        commit(services.create_issue, eng, actor=alice, title=f"#{n}", assignees=[bob])
    assert len(queued) == 1  # one task for the three changes
    assert notify.process_pending() == 3
    assert cache.get(shared_wakeup) is None

    commit(services.create_issue, eng, actor=alice, title="later", assignees=[bob])
    assert len(queued) == 2  # after the run, the next change wakes the worker again


def test_the_last_pass_delivers_a_change_made_just_before_the_release(
    shared_wakeup, queued, commit, monkeypatch, eng, alice, bob
):
    commit(services.create_issue, eng, actor=alice, title="first", assignees=[bob])
    release = notify.release_wakeup
    late = []

    def change_then_release():
        if not late:  # committed while the wake-up is still held: it queues nothing
            late.append(commit(services.create_issue, eng, actor=alice, title="late"))
            late.append(commit(services.assign, late[0], assignee=bob, actor=alice))
        release()

    monkeypatch.setattr(notify, "release_wakeup", change_then_release)
    assert notify.process_pending() == 2
    assert len(queued) == 1 and pending() == 0
    assert Notification.objects.filter(issue=late[0], recipient=bob).exists()


def test_a_task_that_could_not_be_queued_frees_the_wake_up(
    shared_wakeup, monkeypatch, commit, issue, alice, bob
):
    tries = []

    def broker_down(*args, **kwargs):
        tries.append(args)
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(process_outbox, "delay", broker_down)
    commit(services.assign, issue, assignee=bob, actor=alice)
    assert len(tries) == 1 and cache.get(shared_wakeup) is None
    services._broker_down_until = 0.0  # the back-off is over
    commit(services.add_comment, issue, body="Anyone?", actor=alice)
    assert len(tries) == 2  # tried again, not held back by a wake-up nobody will run


def test_a_long_run_hands_the_rest_to_a_fresh_task(shared_wakeup, queued, eng, alice, bob):
    assert notify.claim_wakeup()  # the task now running was queued by a change
    file_assigned(eng, alice, bob, 3)
    assert notify.process_pending(batch_size=1, max_batches=2) == 2
    assert pending() == 1
    assert len(queued) == 1  # the fresh task
    assert cache.get(shared_wakeup) is not None  # still due: changes meanwhile queue none


def test_the_task_lingers_for_the_next_changes_of_a_run(
    shared_wakeup, queued, commit, monkeypatch, eng, alice, bob
):
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 1:  # a change made while the task waits
            commit(services.create_issue, eng, actor=alice, title="next", assignees=[bob])

    monkeypatch.setattr(notify.time, "sleep", sleep)
    assert notify.claim_wakeup()
    file_assigned(eng, alice, bob, 1)
    assert notify.process_pending(linger=0.1) == 2
    assert sleeps == [0.1, 0.1]  # after each batch that found a change, not after none
    assert queued == [] and pending() == 0

    sleeps.clear()
    assert notify.process_pending(linger=0.1) == 0
    assert sleeps == []  # nothing found: nothing to wait for


def test_the_task_takes_every_pending_change_or_the_one_it_names(monkeypatch, eng, alice, bob):
    sleeps = []
    monkeypatch.setattr(notify.time, "sleep", sleeps.append)
    file_assigned(eng, alice, bob, 1)
    named = Outbox.objects.get()
    file_assigned(eng, alice, bob, 2)
    assert process_outbox.apply(args=[named.pk]).get() == 1  # queued by an earlier version
    assert pending() == 2
    assert process_outbox.apply().get() == 2
    assert sleeps == []  # run eagerly (inside a request) it does not linger
    assert Notification.objects.filter(recipient=bob).count() == 3


def test_with_redis_down_a_change_does_not_wait_on_it_twice(
    settings, monkeypatch, commit, issue, alice, bob
):
    """The wake-up flag and the broker are the same Redis: once the cache found it down,
    the broker is not tried too (each try costs a request its timeout); the change
    waits in the outbox for the drain."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{s.getsockname()[1]}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "issuetracker.resilience.FailOpenRedisCache",
            "LOCATION": dead,
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }
    settings.NOTIFY_SHARED_WAKEUP = True
    settings.REDIS_URL = settings.CELERY_BROKER_URL = dead
    tries = []
    monkeypatch.setattr(process_outbox, "delay", lambda *args, **kwargs: tries.append(args))
    assert notify.claim_wakeup() is None
    commit(services.assign, issue, assignee=bob, actor=alice)
    assert tries == []
    assert services._broker_down_until > time.monotonic()
    assert pending() == 2  # the create and the assignment, kept for the drain

    settings.CELERY_BROKER_URL = "amqp://guest@127.0.0.1//"  # a broker of its own
    services._broker_down_until = 0.0
    commit(services.add_comment, issue, body="Anyone?", actor=alice)
    assert len(tries) == 1  # that one is tried
