"""The stale sweep: once per quiet spell, escalation at twice the time, activity resets."""

import datetime as dt

import pytest
from django.utils import timezone

from issues import services
from issues.models import Issue, IssueEvent
from notifications import services as notify
from notifications.models import Notification, Outbox

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture
def t0():
    return timezone.now() - 30 * DAY


def stale_events(issue=None, kind="became_stale"):
    qs = IssueEvent.objects.filter(kind=kind)
    return qs.filter(issue=issue) if issue else qs


def notified(kind="stale"):
    for pk in Outbox.objects.filter(processed_at__isnull=True).values_list("pk", flat=True):
        notify.process_outbox(pk)
    return set(
        Notification.objects.filter(kind=kind).values_list("recipient__username", "issue_id")
    )


def test_just_below_the_threshold_is_not_stale_and_just_above_is(eng, alice, bob, status, t0):
    # "Triaged" goes stale after 14 days.
    issue = services.create_issue(eng, actor=alice, title="quiet", assignees=[bob], now=t0)
    services.change_status(issue, to=status("Triaged"), actor=alice, now=t0)
    assert services.sweep_stale(now=t0 + 14 * DAY - dt.timedelta(seconds=1)) == 0
    assert services.sweep_stale(now=t0 + 14 * DAY + dt.timedelta(seconds=1)) == 1
    event = stale_events(issue).get()
    assert event.actor is None
    assert event.data["status"] == "Triaged" and event.data["quiet_days"] == 14
    assert notified() == {("bob", issue.pk)}


def test_two_sweeps_in_a_row_report_once(eng, alice, bob, t0):
    issue = services.create_issue(eng, actor=alice, title="quiet", assignees=[bob], now=t0)
    now = t0 + 3 * DAY  # New: stale after 2 days
    assert services.sweep_stale(now=now) == 1
    assert services.sweep_stale(now=now + dt.timedelta(minutes=5)) == 0
    assert stale_events(issue).count() == 1


def test_the_stale_event_is_not_activity(eng, alice, t0):
    issue = services.create_issue(eng, actor=alice, title="quiet", now=t0)
    services.sweep_stale(now=t0 + 3 * DAY)
    issue.refresh_from_db()
    assert issue.last_activity_at == t0


def test_new_activity_starts_a_new_quiet_spell(eng, alice, bob, t0):
    issue = services.create_issue(eng, actor=alice, title="quiet", assignees=[bob], now=t0)
    services.sweep_stale(now=t0 + 3 * DAY)
    services.add_comment(issue, body="still on it", actor=bob, now=t0 + 4 * DAY)
    assert services.sweep_stale(now=t0 + 5 * DAY) == 0  # 1 day since the comment
    assert services.sweep_stale(now=t0 + 7 * DAY) == 1  # 3 days since the comment
    assert stale_events(issue).count() == 2


def test_escalation_to_admins_at_twice_the_duration_once(eng, alice, bob, t0):
    issue = services.create_issue(eng, actor=bob, title="quiet", assignees=[bob], now=t0)
    services.sweep_stale(now=t0 + 3 * DAY)
    assert not stale_events(kind="stale_escalated").exists()
    assert services.sweep_stale(now=t0 + 4 * DAY + dt.timedelta(seconds=1)) == 1
    assert services.sweep_stale(now=t0 + 5 * DAY) == 0
    assert stale_events(issue, "stale_escalated").count() == 1
    assert notified("escalated") == {("alice", issue.pk)}


def test_a_sweep_late_enough_reports_and_escalates_together(eng, alice, bob, t0):
    issue = services.create_issue(eng, actor=bob, title="quiet", assignees=[bob], now=t0)
    assert services.sweep_stale(now=t0 + 10 * DAY) == 2
    assert {e.kind for e in issue.events.all()} >= {"became_stale", "stale_escalated"}


def test_unassigned_stale_issues_go_to_the_team_admins(eng, alice, bob, t0):
    issue = services.create_issue(eng, actor=bob, title="nobody's", now=t0)
    services.sweep_stale(now=t0 + 3 * DAY)
    assert notified() == {("alice", issue.pk)}


def test_waiting_on_the_customer_is_not_stale_and_reminds_who_moved_it(
    eng, alice, bob, sam, status, t0, mailoutbox, django_capture_on_commit_callbacks
):
    issue = services.create_issue(eng, actor=alice, title="asked for logs", assignees=[bob], now=t0)
    services.change_status(issue, to=status("Waiting on customer"), actor=sam, now=t0)
    assert services.sweep_stale(now=t0 + 30 * DAY) == 0  # the team's clock is stopped
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_follow_ups(now=t0 + 6 * DAY) == 1  # waiting: 5 days
        assert notified("follow_up") == {("sam", issue.pk)}
    (message,) = [m for m in mailoutbox if m.to == ["sam@example.com"]]
    assert "waiting on the customer for 6 days" in message.body
    assert "follow up" in message.body


def test_closed_issues_and_statuses_without_a_clock_are_never_stale(eng, alice, status, t0):
    services.create_issue(eng, actor=alice, title="done", status=status("Resolved"), now=t0)
    assert services.sweep_stale(now=t0 + 365 * DAY) == 0


def test_detection_is_one_query_whatever_the_number_of_issues(
    eng, alice, t0, django_assert_max_num_queries
):
    for i in range(20):
        services.create_issue(eng, actor=alice, title=f"fresh {i}", now=timezone.now())
    # Nothing stale: the sweep is the detection query alone (plus the transaction).
    with django_assert_max_num_queries(3):
        assert services.sweep_stale(now=timezone.now()) == 0
    assert Issue.objects.count() == 20


def test_a_backlog_is_written_in_a_fixed_number_of_queries(
    eng, alice, t0, django_assert_num_queries
):
    """The first sweep after an import finds thousands: it writes them in bulk (the
    detection, one insert of events, one update per kind, the outbox row), not one
    query per issue."""
    for size in (3, 30):
        issues = [
            services.create_issue(eng, actor=alice, title=f"quiet {size}-{i}", now=t0)
            for i in range(size)
        ]
        # savepoint, detection, events, two updates, outbox row, release
        with django_assert_num_queries(7):
            written = services.sweep_stale(now=timezone.now())
        assert written == 2 * size  # each became stale and, a month on, escalated
        for issue in issues:
            issue.refresh_from_db()
            assert issue.stale_reported_for == issue.last_activity_at
            assert issue.stale_escalated_for == issue.last_activity_at
        assert services.sweep_stale(now=timezone.now()) == 0


def test_a_backlog_larger_than_a_batch_is_reported_whole_one_batch_at_a_time(
    eng, alice, bob, t0, monkeypatch, django_assert_num_queries
):
    """Each batch commits on its own (its row locks last one batch), and the sweep goes
    on until a short batch: 5 issues in batches of 2 are 3 batches, each issue once."""
    monkeypatch.setattr(services, "STALE_SWEEP_BATCH", 2)
    issues = [
        services.create_issue(eng, actor=alice, title=f"quiet {i}", assignees=[bob], now=t0)
        for i in range(5)
    ]
    # per batch: savepoint, detection, events, two updates, outbox row, release
    with django_assert_num_queries(3 * 7):
        assert services.sweep_stale(now=timezone.now()) == 10
    assert stale_events().count() == 5 and stale_events(kind="stale_escalated").count() == 5
    assert {issue_id for _, issue_id in notified()} == {issue.pk for issue in issues}
    assert services.sweep_stale(now=timezone.now()) == 0
