"""Emails whose task was lost (worker killed holding the message, broker down) or gave
up are queued again by the periodic requeue_unsent_emails, and still sent only once."""

import datetime as dt
import smtplib

import pytest
import time_machine
from django.utils import timezone

from issues import services
from notifications import services as notify
from notifications.models import Notification, Outbox
from notifications.tasks import requeue_unsent_emails

pytestmark = pytest.mark.django_db


@pytest.fixture
def lost_email(issue, alice, bob):
    """bob's assignment notification exists, but its email task never ran (outside
    django_capture_on_commit_callbacks nothing queued after commit runs)."""
    services.assign(issue, assignee=bob, actor=alice)
    notify.process_outbox(Outbox.objects.latest("pk").pk)
    return Notification.objects.get(recipient=bob)


def later(seconds: float):
    return time_machine.travel(timezone.now() + dt.timedelta(seconds=seconds), tick=False)


def test_a_lost_email_task_is_queued_again_and_sent_once(lost_email, mailoutbox):
    assert requeue_unsent_emails.apply().get() == 0  # fresh: left to its own task
    assert mailoutbox == []
    with later(notify.OUTBOX_GRACE.total_seconds() + 1):
        assert requeue_unsent_emails.apply().get() == 1
        assert requeue_unsent_emails.apply().get() == 0
    assert [m.to for m in mailoutbox] == [["bob@example.com"]]
    lost_email.refresh_from_db()
    assert lost_email.emailed_at is not None


def test_an_email_claimed_by_a_live_worker_is_left_alone_until_the_claim_expires(
    settings, lost_email, mailoutbox
):
    settings.EMAIL_CLAIM_TIMEOUT_SECONDS = 60
    Notification.objects.filter(pk=lost_email.pk).update(email_claimed_at=timezone.now())
    with later(45):
        assert notify.unsent_emails() == []
    with later(61):  # the worker that claimed it died before sending
        assert notify.unsent_emails() == [lost_email.pk]
        assert requeue_unsent_emails.apply().get() == 1
    assert len(mailoutbox) == 1


def test_in_app_and_digest_notifications_are_not_requeued(issue, alice, bob, mailoutbox):
    notify.set_preferences(bob, {"assigned": "digest"})
    services.assign(issue, assignee=bob, actor=alice)
    notify.process_outbox(Outbox.objects.latest("pk").pk)
    with later(3600):
        assert requeue_unsent_emails.apply().get() == 0
    assert mailoutbox == []


def test_emails_older_than_the_requeue_window_are_given_up(lost_email, mailoutbox):
    with later((notify.REQUEUE_WINDOW + dt.timedelta(minutes=1)).total_seconds()):
        assert notify.unsent_emails() == []


def test_a_requeued_send_during_a_mail_outage_tries_once_and_the_next_requeue_sends(
    monkeypatch, lost_email, mailoutbox
):
    attempts = []

    def smtp_down(*args, **kwargs):
        attempts.append(1)
        raise smtplib.SMTPServerDisconnected("mail server gone")

    monkeypatch.setattr(notify, "_send", smtp_down)
    with later(notify.OUTBOX_GRACE.total_seconds() + 1):
        requeue_unsent_emails.apply().get()  # no exception, no retry storm
    assert len(attempts) == 1
    lost_email.refresh_from_db()
    assert lost_email.emailed_at is None and lost_email.email_claimed_at is None
    monkeypatch.undo()
    with later(notify.OUTBOX_GRACE.total_seconds() + 31):
        assert requeue_unsent_emails.apply().get() == 1
    assert len(mailoutbox) == 1


def test_the_requeue_runs_on_the_beat_schedule():
    from issuetracker.celery import app

    app.loader.import_default_modules()
    assert "notifications.tasks.requeue_unsent_emails" in app.tasks
    entry = app.conf.beat_schedule["requeue-unsent-emails"]
    assert entry["task"] == "notifications.tasks.requeue_unsent_emails"
    assert entry["schedule"] <= dt.timedelta(minutes=1)
