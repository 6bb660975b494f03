"""Who is notified of each event, the outbox, emails once, digests and preferences."""

import smtplib

import pytest
from django.core import mail
from django.db import transaction

from issues import services
from notifications import services as notify
from notifications.models import Notification, Outbox, Preference
from notifications.tasks import process_outbox, send_notification_email

pytestmark = pytest.mark.django_db


def recipients(event):
    return set(notify.recipients_for(event).items())


@pytest.fixture
def deliver_all(django_capture_on_commit_callbacks):
    """What the worker does after commit: process every pending outbox row, then run the
    email tasks those queue (in-process: the tests run Celery eagerly)."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            pks = list(Outbox.objects.values_list("pk", flat=True))
            return sum(notify.process_outbox(pk) for pk in pks)

    return run


# --- recipients -------------------------------------------------------------------


def test_assignee_is_notified_but_not_when_assigning_themselves(issue, alice, bob):
    event = services.assign(issue, assignee=bob, actor=alice)
    assert recipients(event) == {(bob.pk, Notification.Kind.ASSIGNED)}
    self_assign = services.assign(issue, assignee=alice, actor=alice)
    assert recipients(self_assign) == set()


def test_comment_notifies_watchers_and_mentions_but_never_the_author(issue, alice, bob, sam):
    services.assign(issue, assignee=bob, actor=alice)  # bob watches now
    comment = services.add_comment(issue, body="@sam can you call them?", actor=alice)
    event = comment.events.get()
    assert recipients(event) == {
        (bob.pk, Notification.Kind.COMMENTED),
        (sam.pk, Notification.Kind.MENTIONED),
    }


def test_mention_of_an_outsider_notifies_nobody(issue, alice, mallory):
    comment = services.add_comment(issue, body="@mallory look", actor=alice)
    assert recipients(comment.events.get()) == set()


def test_status_change_notifies_watchers(issue, alice, bob, status):
    services.watch(issue, user=bob, actor=bob)
    event = services.change_status(issue, to=status("Triaged"), actor=alice)
    assert recipients(event) == {(bob.pk, Notification.Kind.STATUS_CHANGED)}


def test_label_change_notifies_nobody(issue, alice, bob, bug_label):
    services.watch(issue, user=bob, actor=bob)
    (event,) = services.set_labels(issue, labels=[bug_label], actor=alice)
    assert recipients(event) == set()


# --- outbox -----------------------------------------------------------------------


def test_every_change_leaves_an_outbox_row_in_its_transaction(issue, alice, bob):
    services.assign(issue, assignee=bob, actor=alice)
    assert Outbox.objects.count() == 2  # created, assigned


def test_a_rolled_back_change_leaves_nothing_to_send(eng, alice, bob):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.create_issue(eng, actor=alice, title="t", assignees=[bob])
        raise RuntimeError("the request failed later")
    assert not Outbox.objects.exists()
    assert not Notification.objects.exists()


def test_processing_an_outbox_row_twice_notifies_once(issue, alice, bob):
    services.assign(issue, assignee=bob, actor=alice)
    row = Outbox.objects.latest("pk")
    assert process_outbox.apply(args=[row.pk]).get() == 1
    assert process_outbox.apply(args=[row.pk]).get() == 0
    assert Notification.objects.filter(recipient=bob).count() == 1


def test_the_task_queued_after_commit_delivers(
    django_capture_on_commit_callbacks, issue, alice, bob
):
    with django_capture_on_commit_callbacks(execute=True):
        services.assign(issue, assignee=bob, actor=alice)
    note = Notification.objects.get(recipient=bob)
    assert (note.kind, note.issue) == (Notification.Kind.ASSIGNED, issue)


def test_a_dead_broker_keeps_the_change_and_the_drain_delivers_later(
    monkeypatch, django_capture_on_commit_callbacks, issue, alice, bob
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(process_outbox, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        event = services.assign(issue, assignee=bob, actor=alice)
    assert event is not None and issue.assignees.get() == bob
    assert not Notification.objects.exists()

    from django.utils import timezone

    later = timezone.now() + notify.OUTBOX_GRACE * 2
    assert notify.drain_outbox(now=later) == 1
    assert notify.drain_outbox(now=later) == 0
    assert Notification.objects.filter(recipient=bob, kind="assigned").count() == 1


def test_the_drain_leaves_fresh_rows_to_their_task(issue, alice, bob):
    services.assign(issue, assignee=bob, actor=alice)
    assert notify.drain_outbox() == 0


# --- email ------------------------------------------------------------------------


def test_assignment_email_has_both_parts_the_site_link_and_escaped_text(
    settings, eng, alice, bob, mailoutbox, deliver_all
):
    settings.SITE_URL = "https://tracker.example.com"
    issue = services.create_issue(eng, actor=alice, title="<script>alert(1)</script> & co")
    services.assign(issue, assignee=bob, actor=alice)
    deliver_all()
    (message,) = mailoutbox
    assert message.to == ["bob@example.com"]
    assert message.subject == "[ENG-1] Assigned to you: <script>alert(1)</script> & co"
    assert "Alice assigned you ENG-1" in message.body
    assert "https://tracker.example.com/issues/ENG-1/" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "<script>" not in html


def test_an_email_is_sent_once_however_often_the_task_runs(
    issue, alice, bob, mailoutbox, deliver_all
):
    services.assign(issue, assignee=bob, actor=alice)
    deliver_all()
    note = Notification.objects.get(recipient=bob)
    assert send_notification_email.apply(args=[note.pk]).get() is False
    assert len(mailoutbox) == 1
    note.refresh_from_db()
    assert note.emailed_at is not None


def test_a_failed_send_releases_the_claim_so_the_retry_sends(
    monkeypatch, issue, alice, bob, mailoutbox
):
    services.assign(issue, assignee=bob, actor=alice)
    notify.process_outbox(Outbox.objects.latest("pk").pk)
    note = Notification.objects.get(recipient=bob)
    Notification.objects.filter(pk=note.pk).update(emailed_at=None, email_claimed_at=None)
    mailoutbox.clear()

    def smtp_down(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(notify, "_send", smtp_down)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        notify.send_email(note.pk)
    note.refresh_from_db()
    assert note.email_claimed_at is None and note.emailed_at is None
    monkeypatch.undo()
    assert notify.send_email(note.pk) is True
    assert len(mailoutbox) == 1


def test_in_app_only_preference_sends_no_email(issue, alice, bob, mailoutbox, deliver_all):
    notify.set_preferences(bob, {"assigned": "in_app"})
    services.assign(issue, assignee=bob, actor=alice)
    deliver_all()
    assert Notification.objects.filter(recipient=bob).exists()
    assert mailoutbox == []


def test_digest_collects_notifications_into_one_email_once(
    issue, alice, bob, status, mailoutbox, deliver_all
):
    notify.set_preferences(bob, {"assigned": "digest", "status_changed": "digest"})
    services.assign(issue, assignee=bob, actor=alice)
    services.change_status(issue, to=status("Triaged"), actor=alice)
    deliver_all()
    assert mailoutbox == []
    assert notify.digest_recipients() == [bob.pk]
    assert notify.send_digest(bob.pk) == 2
    assert notify.send_digest(bob.pk) == 0
    (message,) = mailoutbox
    assert message.subject == "Your tracker digest: 2 updates"
    assert "Alice assigned you ENG-1" in message.body
    assert "Alice moved ENG-1 from New to Triaged" in message.body
    assert Preference.objects.get(user=bob).last_digest_at is not None


def test_unknown_preference_values_are_ignored(bob):
    pref = notify.set_preferences(bob, {"assigned": "pigeon", "nonsense": "email"})
    assert pref.channels == {}
    assert pref.channel_for("assigned") == "email"


def test_tasks_are_registered():
    from issuetracker.celery import app

    app.loader.import_default_modules()
    for name in (
        "process_outbox", "drain_outbox", "send_notification_email", "send_digests",
        "send_digest", "sweep_stale_issues",
    ):  # fmt: skip
        assert f"notifications.tasks.{name}" in app.tasks
    assert {entry["task"] for entry in app.conf.beat_schedule.values()} >= {
        "notifications.tasks.sweep_stale_issues",
        "notifications.tasks.drain_outbox",
        "notifications.tasks.send_digests",
    }


def test_an_outbox_row_costs_a_fixed_number_of_queries(
    eng, alice, bob, sam, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """The worker's share of a create: one read of the events serves the notifications,
    the webhooks and the customer emails, one read of the people (with their
    preferences) every recipient and actor, and the emails are sent after commit with a
    claim and a mark for all, however many events and people the change has."""
    services.create_issue(
        eng, actor=alice, title="Checkout fails", description="@sam look", assignees=[bob, sam]
    )
    (row,) = Outbox.objects.all()
    assert len(row.event_ids) == 3
    # (savepoint) mark the row done and read its events' ids, the events, the people
    # with their preferences, (savepoint) one insert for sam (mentioned in `created`),
    # bob and sam (assigned) (release), the team's webhooks (release)
    with django_capture_on_commit_callbacks() as queued, django_assert_num_queries(9):
        assert notify.process_outbox(row.pk) == 3
    (send,) = queued  # the three emails, after commit
    with django_assert_num_queries(2):  # claim them, then mark them sent
        assert send() == 3
    assert sorted(m.to[0] for m in mail.outbox) == [
        "bob@example.com", "sam@example.com", "sam@example.com"
    ]  # fmt: skip
    assert sorted(m.body.split(":")[0] for m in mail.outbox) == [
        "Alice assigned you ENG-1", "Alice assigned you ENG-1", "Alice mentioned you on ENG-1"
    ]  # fmt: skip
    assert not Notification.objects.filter(email_mode="email", emailed_at__isnull=True).exists()
    assert set(Notification.objects.values_list("recipient__username", "kind")) == {
        ("sam", "mentioned"),
        ("bob", "assigned"),
        ("sam", "assigned"),
    }


def test_a_second_run_creates_only_what_is_missing(eng, alice, bob, sam):
    """Another run created some of the notifications (the unique constraint refuses
    the insert): this one creates the rest one by one, and returns only those."""
    services.create_issue(eng, actor=alice, title="Checkout fails", assignees=[bob, sam])
    events = notify.load_events(Outbox.objects.get().event_ids)
    assert len(notify.notify(events)) == 2
    assert notify.notify(events) == []
    Notification.objects.filter(recipient=sam).delete()
    (again,) = notify.notify(events)
    assert again.recipient == sam and again.pk is not None
    assert Notification.objects.filter(recipient=bob).count() == 1
    assert Notification.objects.filter(recipient=sam).count() == 1


def test_a_send_that_fails_after_commit_leaves_the_rest_to_the_retrying_task(
    eng, alice, bob, sam, monkeypatch, django_capture_on_commit_callbacks, mailoutbox
):
    """The worker sends a change's emails right after its commit; at the first SMTP
    failure, what is sent stays sent and each one not sent is released and queued to
    send_notification_email (whose retries back off), which sends it once."""
    services.create_issue(eng, actor=alice, title="Checkout fails", assignees=[bob, sam])
    with django_capture_on_commit_callbacks() as queued:
        notify.process_outbox(Outbox.objects.get().pk)
    (send,) = queued
    real, tried, retried = notify._send, [], []

    def second_fails(to, *args, **kwargs):
        tried.append(to)
        if len(tried) == 2:
            raise smtplib.SMTPServerDisconnected("mail server gone")
        return real(to, *args, **kwargs)

    monkeypatch.setattr(notify, "_send", second_fails)
    monkeypatch.setattr(send_notification_email, "delay", retried.append)
    assert send() == 1
    assert [m.to for m in mailoutbox] == [[tried[0]]]
    sent = Notification.objects.get(recipient__email=tried[0])
    failed = Notification.objects.get(recipient__email=tried[1])
    assert sent.emailed_at is not None
    assert (failed.emailed_at, failed.email_claimed_at) == (None, None)
    assert retried == [failed.pk]
    monkeypatch.undo()
    assert send_notification_email.apply(args=[failed.pk]).get() is True
    assert send_notification_email.apply(args=[sent.pk]).get() is False  # never twice
    assert sorted(m.to[0] for m in mailoutbox) == ["bob@example.com", "sam@example.com"]
