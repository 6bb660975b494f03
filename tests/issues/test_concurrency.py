"""Key allocation under real concurrency. SQLite serialises writers and ignores row
locks, so these run on PostgreSQL only (CI sets DATABASE_URL)."""

import threading

import pytest
from django.db import connection, connections

from issues import services
from issues.models import Issue, IssueEvent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def run_concurrently(count, target):
    barrier = threading.Barrier(count)
    errors = []

    def worker(i):
        try:
            barrier.wait(timeout=10)
            target(i)
        except Exception as error:  # collected and re-raised in the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_twenty_concurrent_creates_get_twenty_consecutive_numbers(eng, bob):
    errors = run_concurrently(
        20, lambda i: services.create_issue(eng, actor=bob, title=f"concurrent {i}")
    )
    assert errors == []
    numbers = sorted(Issue.objects.filter(team=eng).values_list("number", flat=True))
    assert numbers == list(range(1, 21))
    eng.refresh_from_db()
    assert eng.next_number == 21


def test_concurrent_comments_each_write_their_event_and_bump_the_version(eng, bob):
    issue = services.create_issue(eng, actor=bob, title="hot issue")
    errors = run_concurrently(
        10, lambda i: services.add_comment(issue, body=f"comment {i}", actor=bob)
    )
    assert errors == []
    issue.refresh_from_db()
    assert issue.version == 11  # no lost update of the counter
    assert IssueEvent.objects.filter(issue=issue, kind="commented").count() == 10


def test_concurrent_stale_sweeps_report_each_issue_once(eng, alice):
    import datetime as dt

    from django.utils import timezone

    long_ago = timezone.now() - dt.timedelta(days=30)
    for i in range(15):
        services.create_issue(eng, actor=alice, title=f"quiet {i}", now=long_ago)
    now = long_ago + dt.timedelta(days=3)  # stale (2 days in New), not yet escalated
    errors = run_concurrently(4, lambda i: services.sweep_stale(now=now))
    assert errors == []
    assert IssueEvent.objects.filter(kind="became_stale").count() == 15
    assert IssueEvent.objects.filter(kind="became_stale").values("issue").distinct().count() == 15


def test_concurrent_follow_up_sweeps_report_each_waiting_spell_once(eng, alice, sam):
    import datetime as dt

    from django.utils import timezone

    from issues.models import Status

    waiting = Status.objects.get(team=eng, name="Waiting on customer")
    long_ago = timezone.now() - dt.timedelta(days=30)
    for i in range(15):
        issue = services.create_issue(eng, actor=alice, title=f"asked {i}", now=long_ago)
        services.change_status(issue, to=waiting, actor=sam, now=long_ago)
    now = long_ago + dt.timedelta(days=6)  # waiting: follow up after 5 days
    errors = run_concurrently(4, lambda i: services.sweep_follow_ups(now=now))
    assert errors == []
    assert IssueEvent.objects.filter(kind="follow_up_due").count() == 15
    assert IssueEvent.objects.filter(kind="follow_up_due").values("issue").distinct().count() == 15


def test_an_outbox_row_in_a_workers_hands_is_skipped_and_taken_again_if_that_worker_fails(
    eng, alice, bob
):
    """Two workers with the same row (a drain beside the queued task): the second skips
    it at once instead of waiting; the first one's failure undoes its claim, so the row
    is processed by the next run."""
    from django.db import transaction

    from notifications import services as notify
    from notifications.models import Notification, Outbox

    services.create_issue(eng, actor=alice, title="Checkout fails", assignees=[bob])
    # Its task ran after commit (in this process); as if it had not run yet:
    Notification.objects.all().delete()
    Outbox.objects.update(processed_at=None, attempts=0)
    row = Outbox.objects.get()
    claimed, release = threading.Event(), threading.Event()

    def first_worker():
        try:
            with transaction.atomic():
                assert notify._claim_outbox(row.pk, row.created_at) is not None
                claimed.set()
                release.wait(timeout=10)
                raise RuntimeError("the worker fails before committing")
        except RuntimeError:
            pass
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_worker)
    thread.start()
    assert claimed.wait(timeout=10)
    try:
        assert notify.process_outbox(row.pk) == 0  # skipped, not waited for
    finally:
        release.set()
        thread.join(timeout=10)
    assert not Notification.objects.exists()
    assert notify.process_outbox(row.pk) == 1
    assert notify.process_outbox(row.pk) == 0
    row.refresh_from_db()
    assert row.processed_at is not None and row.attempts == 1
