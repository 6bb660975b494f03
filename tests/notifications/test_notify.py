"""Who is notified of each event (in-app), and that delivering twice creates nothing new."""

import pytest

from issues import services
from notifications import services as notify
from notifications.models import Notification
from notifications.tasks import deliver_events

pytestmark = pytest.mark.django_db


def recipients(event):
    return {(user_id, kind) for user_id, kind in notify.recipients_for(event).items()}


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


def test_status_change_notifies_watchers(issue, alice, bob, status):
    services.watch(issue, user=bob, actor=bob)
    event = services.change_status(issue, to=status("Triaged"), actor=alice)
    assert recipients(event) == {(bob.pk, Notification.Kind.STATUS_CHANGED)}


def test_label_change_notifies_nobody(issue, alice, bob, bug_label):
    services.watch(issue, user=bob, actor=bob)
    (event,) = services.set_labels(issue, labels=[bug_label], actor=alice)
    assert recipients(event) == set()


def test_delivering_twice_creates_one_notification(issue, alice, bob):
    event = services.assign(issue, assignee=bob, actor=alice)
    assert deliver_events.apply(args=[[event.pk]]).get() == 1
    assert deliver_events.apply(args=[[event.pk]]).get() == 0
    assert Notification.objects.filter(recipient=bob).count() == 1


def test_the_service_delivers_after_commit(django_capture_on_commit_callbacks, issue, alice, bob):
    with django_capture_on_commit_callbacks(execute=True):
        services.assign(issue, assignee=bob, actor=alice)
    note = Notification.objects.get(recipient=bob)
    assert (note.kind, note.issue) == (Notification.Kind.ASSIGNED, issue)


def test_tasks_are_registered():
    from issuetracker.celery import app

    app.loader.import_default_modules()
    assert "notifications.tasks.deliver_events" in app.tasks


def test_a_dead_broker_does_not_undo_or_break_the_change(
    monkeypatch, django_capture_on_commit_callbacks, issue, alice, bob
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(deliver_events, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        event = services.assign(issue, assignee=bob, actor=alice)
    assert event is not None
    assert issue.assignees.get() == bob
