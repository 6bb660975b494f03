"""Webhooks: deliveries from events, signing, retries, giving up, disabling, and the
team settings pages. Deliveries go to a real HTTP server on 127.0.0.1 in a thread."""

import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery.exceptions import Retry
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import NotATeamMember
from issues import services
from issues.models import IssueEvent
from issues.services import DomainError
from notifications import services as notify
from notifications import webhooks
from notifications.models import Outbox, Webhook, WebhookDelivery
from notifications.tasks import deliver_webhook, process_outbox

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status
Event = Webhook.Event


# --- a receiver -------------------------------------------------------------------


class Receiver:
    """Records every POST; answers with the queued statuses (then `default`), after
    sleeping `delay` seconds (to make the sender time out)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.default = 200
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                status = receiver.statuses.pop(0) if receiver.statuses else receiver.default
                if receiver.delay:
                    time.sleep(receiver.delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender gave up waiting
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/tracker"

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver():
    server = Receiver()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/nobody-listens"


@pytest.fixture
def hook(eng, alice, receiver):
    return webhooks.create_webhook(eng, url=receiver.url, actor=alice)


def process_outbox_rows():
    """What the outbox task does, without running what it queues after commit (the test's
    transaction never commits), so each test drives deliver() itself."""
    for pk in Outbox.objects.filter(processed_at__isnull=True).values_list("pk", flat=True):
        notify.process_outbox(pk)


def later(seconds: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


# --- signing and payloads ----------------------------------------------------------


def test_the_signature_verifies_with_the_secret(hook, eng, alice, receiver):
    services.create_issue(eng, actor=alice, title="Printer on fire")
    process_outbox_rows()
    delivery = WebhookDelivery.objects.get()
    assert webhooks.deliver(delivery.pk) is None

    (request,) = receiver.requests
    headers, body = request["headers"], request["body"]
    timestamp = headers["X-Tracker-Timestamp"]
    expected = hmac.new(
        hook.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Tracker-Signature"] == f"sha256={expected}"
    assert abs(time.time() - int(timestamp)) < 60
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "IssueTracker-Webhooks/1"
    assert headers["X-Tracker-Event"] == "issue.created"
    assert headers["X-Tracker-Delivery"] == str(delivery.uuid) == json.loads(body)["id"]
    assert request["path"] == "/hooks/tracker"

    verify = webhooks.verify_signature
    signature = headers["X-Tracker-Signature"]
    assert verify(hook.secret, timestamp=timestamp, body=body, signature=signature)
    assert not verify("another secret", timestamp=timestamp, body=body, signature=signature)
    assert not verify(hook.secret, timestamp=timestamp, body=body + b" ", signature=signature)
    replayed_at = int(timestamp) + webhooks.SIGNATURE_TOLERANCE + 1
    assert not verify(
        hook.secret, timestamp=timestamp, body=body, signature=signature, now=replayed_at
    )


def test_the_payload_has_the_issue_key_url_team_and_actor(settings, hook, eng, alice, receiver):
    settings.SITE_URL = "https://tracker.example.com"
    issue = services.create_issue(eng, actor=alice, title="Printer on fire", priority=2)
    process_outbox_rows()
    delivery = WebhookDelivery.objects.get()
    webhooks.deliver(delivery.pk)

    (body,) = receiver.bodies()
    event = IssueEvent.objects.get(issue=issue, kind="created")
    assert body["id"] == str(delivery.uuid)
    assert (body["event"], body["action"], body["team"], body["actor"]) == (
        "issue.created",
        "created",
        "ENG",
        "alice",
    )
    assert body["created_at"] == event.created_at.isoformat()
    assert body["issue"] == {
        "key": "ENG-1",
        "title": "Printer on fire",
        "status": "New",
        "status_category": "triage",
        "priority": 2,
        "priority_label": "High",
        "kind": "bug",
        "customer_count": 0,
        "url": "https://tracker.example.com/issues/ENG-1/",
    }
    assert body["data"]["title"] == "Printer on fire"
    assert body == delivery.payload


def test_comments_are_sent_with_their_text_and_public_flag(hook, issue, alice, receiver):
    services.add_comment(issue, body="Internal: the customer is on the old plan", actor=alice)
    services.add_comment(issue, body="We are on it", public=True, actor=alice)
    process_outbox_rows()
    comments = WebhookDelivery.objects.filter(event_name="comment.created").order_by("pk")
    for delivery in comments:
        webhooks.deliver(delivery.pk)
    bodies = [b for b in receiver.bodies() if b["event"] == "comment.created"]
    assert [(b["comment"]["body"], b["comment"]["public"]) for b in bodies] == [
        ("Internal: the customer is on the old plan", False),
        ("We are on it", True),
    ]


def test_every_event_kind_is_mapped_or_deliberately_not_sent():
    kinds = set(IssueEvent.Kind.values)
    assert set(webhooks.EVENT_NAMES) | webhooks.NOT_SENT == kinds
    assert not set(webhooks.EVENT_NAMES) & webhooks.NOT_SENT
    assert {n for names in webhooks.EVENT_NAMES.values() for n in names} == set(Event.values)


# --- which webhooks get which events ------------------------------------------------


def test_a_webhook_for_comments_only_gets_no_issue_created(eng, alice, issue, receiver):
    # `issue` was created before the webhook existed: its outbox is still unprocessed.
    webhooks.create_webhook(eng, url=receiver.url, events=["comment.created"], actor=alice)
    services.add_comment(issue, body="Seen", actor=alice)
    process_outbox_rows()
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.event_name == "comment.created"
    webhooks.deliver(delivery.pk)
    assert [b["event"] for b in receiver.bodies()] == ["comment.created"]


def test_a_status_change_is_sent_once_under_the_most_specific_name_wanted(
    eng, alice, issue, status, receiver
):
    process_outbox_rows()  # issue.created, before any webhook
    everything = webhooks.create_webhook(eng, url=receiver.url, actor=alice)
    updates = webhooks.create_webhook(eng, url=receiver.url, events=["issue.updated"], actor=alice)
    webhooks.create_webhook(eng, url=receiver.url, events=["issue.assigned"], actor=alice)
    services.change_status(issue, to=status("Triaged"), actor=alice)
    process_outbox_rows()
    sent = {d.webhook_id: d for d in WebhookDelivery.objects.all()}
    assert {pk: d.event_name for pk, d in sent.items()} == {
        everything.pk: "issue.status_changed",
        updates.pk: "issue.updated",
    }
    payload = sent[everything.pk].payload
    assert payload["event_names"] == ["issue.status_changed", "issue.updated"]
    assert payload["data"] == {"from": "New", "to": "Triaged"}


def test_other_teams_and_inactive_webhooks_get_nothing(eng, ops, alice, mallory, issue, receiver):
    Webhook.objects.create(team=ops, url=receiver.url, secret="s")
    webhooks.create_webhook(eng, url=receiver.url, is_active=False, actor=alice)
    process_outbox_rows()
    assert not WebhookDelivery.objects.exists()


def test_stale_events_are_not_sent(eng, alice, issue, hook):
    process_outbox_rows()
    WebhookDelivery.objects.all().delete()
    stale = IssueEvent.objects.create(issue=issue, kind=IssueEvent.Kind.BECAME_STALE)
    assert webhooks.create_deliveries(notify.load_events([stale.pk])) == []


def test_processing_the_same_events_twice_creates_one_delivery_per_webhook_and_event(
    eng, alice, bob, hook, receiver
):
    other = webhooks.create_webhook(eng, url=receiver.url, actor=alice)
    services.create_issue(eng, actor=alice, title="Two events", assignees=[bob])
    row = Outbox.objects.get()
    assert len(row.event_ids) == 2
    assert process_outbox.apply(args=[row.pk]).get() >= 0
    assert WebhookDelivery.objects.count() == 4
    # The outbox row delivered again (a worker died before marking it): nothing new.
    Outbox.objects.filter(pk=row.pk).update(processed_at=None)
    notify.process_outbox(row.pk)
    assert webhooks.create_deliveries(notify.load_events(row.event_ids)) == []
    pairs = WebhookDelivery.objects.values_list("webhook_id", "event_id")
    assert sorted(pairs) == sorted({(w, e) for w in (hook.pk, other.pk) for e in row.event_ids})


def test_the_task_queued_after_commit_delivers_and_a_dead_receiver_breaks_nothing(
    django_capture_on_commit_callbacks, eng, alice, receiver, closed_port_url
):
    webhooks.create_webhook(eng, url=receiver.url, actor=alice)
    dead = webhooks.create_webhook(eng, url=closed_port_url, actor=alice)
    with django_capture_on_commit_callbacks(execute=True):
        issue = services.create_issue(eng, actor=alice, title="Sent after commit")
    assert issue.pk is not None
    assert [b["event"] for b in receiver.bodies()] == ["issue.created"]
    failed = WebhookDelivery.objects.get(webhook=dead)
    assert (failed.status, failed.attempts, failed.response_code) == (Status.FAILED, 1, None)
    assert failed.last_error == "Connection refused."


# --- retries, timeouts, giving up ---------------------------------------------------


def test_a_500_then_a_200_is_retried_with_backoff_and_succeeds(hook, eng, alice, receiver):
    receiver.statuses = [500, 200]
    services.create_issue(eng, actor=alice, title="Flaky receiver")
    process_outbox_rows()
    delivery = WebhookDelivery.objects.get()

    assert webhooks.deliver(delivery.pk) == 30.0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (Status.FAILED, 1, 500)
    assert delivery.last_error.startswith("HTTP 500")
    assert delivery.claimed_at is None
    wait = delivery.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=25) < wait <= dt.timedelta(seconds=30)

    assert webhooks.deliver(delivery.pk) is None  # not due yet: nothing sent
    assert len(receiver.requests) == 1

    assert webhooks.deliver(delivery.pk, now=later(31)) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        Status.SUCCEEDED,
        2,
        200,
    )
    assert delivery.delivered_at is not None and delivery.last_error == ""
    ids = {r["headers"]["X-Tracker-Delivery"] for r in receiver.requests}
    assert ids == {str(delivery.uuid)}
    assert [r["headers"]["X-Tracker-Attempt"] for r in receiver.requests] == ["1", "2"]


def test_a_timeout_counts_as_a_failure(settings, hook, eng, alice, receiver):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.2
    receiver.delay = 1.0
    services.create_issue(eng, actor=alice, title="Slow receiver")
    process_outbox_rows()
    delivery = WebhookDelivery.objects.get()
    assert webhooks.deliver(delivery.pk) == 30.0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        Status.FAILED,
        1,
        None,
    )
    assert delivery.last_error == "Timed out after 0.2 s."


def test_redirects_are_not_followed_and_count_as_failures(hook, eng, alice, receiver):
    receiver.statuses = [302]
    services.create_issue(eng, actor=alice, title="Moved receiver")
    process_outbox_rows()
    delivery = WebhookDelivery.objects.get()
    webhooks.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_code) == (Status.FAILED, 302)
    assert len(receiver.requests) == 1


def test_a_delivery_gives_up_after_the_limit(settings, hook, eng, alice, receiver):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.default = 503
    services.create_issue(eng, actor=alice, title="Down for good")
    process_outbox_rows()
    delivery = WebhookDelivery.objects.get()
    waits = [webhooks.deliver(delivery.pk, now=later(offset)) for offset in (0, 31, 100)]
    assert waits == [30.0, 60.0, None]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        Status.GAVE_UP,
        3,
        503,
    )
    assert webhooks.deliver(delivery.pk, now=later(1000)) is None
    assert len(receiver.requests) == 3
    hook.refresh_from_db()
    assert (hook.is_active, hook.consecutive_failures) == (True, 1)


def test_backoff_doubles_and_is_capped(settings):
    settings.WEBHOOK_RETRY_SECONDS = 30
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 240, 480]
    assert webhooks.backoff(20) == webhooks.RETRY_CAP


def test_an_attempt_is_claimed_so_a_second_run_sends_nothing(hook, eng, alice, receiver):
    services.create_issue(eng, actor=alice, title="Twice")
    process_outbox_rows()
    delivery = WebhookDelivery.objects.get()
    # Another worker holds this attempt right now.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now(), attempts=1)
    assert webhooks.deliver(delivery.pk) is None
    assert receiver.requests == []
    # After CLAIM_TIMEOUT the claim is taken to be a crashed worker's: attempt 2 is sent.
    assert (
        webhooks.deliver(delivery.pk, now=later(webhooks.CLAIM_TIMEOUT.total_seconds() + 1)) is None
    )
    (request,) = receiver.requests
    assert request["headers"]["X-Tracker-Attempt"] == "2"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.SUCCEEDED, 2)


def test_a_second_worker_after_success_sends_nothing(hook, eng, alice, receiver):
    services.create_issue(eng, actor=alice, title="Twice")
    process_outbox_rows()
    delivery = WebhookDelivery.objects.get()
    assert deliver_webhook.apply(args=[delivery.pk]).get() is None
    assert deliver_webhook.apply(args=[delivery.pk]).get() is None
    assert len(receiver.requests) == 1


def test_the_task_retries_itself_with_the_services_countdown(
    monkeypatch, hook, eng, alice, receiver
):
    receiver.statuses = [500]
    services.create_issue(eng, actor=alice, title="Retry me")
    process_outbox_rows()
    delivery = WebhookDelivery.objects.get()
    asked = {}

    def retry(**kwargs):
        asked.update(kwargs)
        return Retry("retry", when=kwargs.get("countdown"))

    monkeypatch.setattr(deliver_webhook, "retry", retry)
    with pytest.raises(Retry):
        deliver_webhook.run(delivery.pk)  # as a worker runs it (not eagerly)
    assert asked == {"countdown": 30.0}


def test_lost_tasks_are_requeued_once_they_are_well_past_due(
    django_capture_on_commit_callbacks, hook, eng, alice, receiver
):
    services.create_issue(eng, actor=alice, title="Lost task")
    process_outbox_rows()
    delivery = WebhookDelivery.objects.get()
    assert webhooks.requeue_due_deliveries() == 0  # its own task may still come
    # Ten minutes on, its task has not run (the broker was down when it was queued).
    ten_minutes_ago = later(-600)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=ten_minutes_ago, next_attempt_at=ten_minutes_ago
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.requeue_due_deliveries() == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED
    assert len(receiver.requests) == 1
    assert webhooks.requeue_due_deliveries(now=later(600)) == 0


# --- disabling -----------------------------------------------------------------------


def test_consecutive_failures_disable_the_webhook_and_tell_the_admins(
    settings, django_capture_on_commit_callbacks, hook, eng, alice, bob, receiver, mailoutbox
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_FAILURE_THRESHOLD = 2
    settings.SITE_URL = "https://tracker.example.com"
    receiver.default = 500
    for n in range(3):
        services.create_issue(eng, actor=alice, title=f"Issue {n}")
    process_outbox_rows()
    first, second, third = WebhookDelivery.objects.order_by("pk")

    with django_capture_on_commit_callbacks(execute=True):
        webhooks.deliver(first.pk)
    hook.refresh_from_db()
    assert (hook.is_active, hook.consecutive_failures) == (True, 1)
    assert mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):
        webhooks.deliver(second.pk)
    hook.refresh_from_db()
    assert (hook.is_active, hook.consecutive_failures) == (False, 2)
    assert hook.disabled_at is not None
    assert (
        hook.disabled_reason
        == "2 deliveries in a row failed (the last: HTTP 500 Internal Server Error)"
    )

    (message,) = mailoutbox
    assert message.to == ["alice@example.com"]  # the admins; bob is a member
    assert message.subject == f"[ENG] Webhook disabled: {receiver.url}"
    assert "2 deliveries in a row failed" in message.body
    assert "https://tracker.example.com/teams/ENG/settings/webhooks/" in message.body
    assert message.alternatives[0][1] == "text/html"

    # What was waiting gives up; nothing more is sent, new events make no deliveries.
    third.refresh_from_db()
    assert third.status == Status.GAVE_UP
    assert webhooks.deliver(third.pk) is None
    services.create_issue(eng, actor=alice, title="After disabling")
    process_outbox_rows()
    assert WebhookDelivery.objects.count() == 3
    assert len(receiver.requests) == 2

    # The email goes out once, however often its task runs.
    assert webhooks.send_disabled_email(hook.pk) == 0
    assert len(mailoutbox) == 1

    # Enabling it again starts from zero.
    webhooks.update_webhook(hook, is_active=True, actor=alice)
    hook.refresh_from_db()
    assert (hook.is_active, hook.consecutive_failures, hook.disabled_at) == (True, 0, None)
    assert (hook.disabled_reason, hook.admins_notified_at) == ("", None)


def test_a_success_resets_the_failure_count(settings, hook, eng, alice, receiver):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.statuses = [500, 200]
    services.create_issue(eng, actor=alice, title="One")
    services.create_issue(eng, actor=alice, title="Two")
    process_outbox_rows()
    first, second = WebhookDelivery.objects.order_by("pk")
    webhooks.deliver(first.pk)
    hook.refresh_from_db()
    assert hook.consecutive_failures == 1
    webhooks.deliver(second.pk)
    hook.refresh_from_db()
    assert hook.consecutive_failures == 0


def test_a_paused_webhooks_queued_deliveries_give_up_unsent(hook, eng, alice, receiver):
    services.create_issue(eng, actor=alice, title="Queued")
    process_outbox_rows()
    delivery = WebhookDelivery.objects.get()
    webhooks.update_webhook(hook, is_active=False, actor=alice)
    assert webhooks.deliver(delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (Status.GAVE_UP, "The webhook is disabled.")
    assert receiver.requests == []


# --- pings -----------------------------------------------------------------------------


def test_a_ping_is_sent_once_even_to_a_paused_webhook_and_counts_for_nothing(
    settings, hook, alice, receiver
):
    settings.WEBHOOK_FAILURE_THRESHOLD = 1
    webhooks.update_webhook(hook, is_active=False, actor=alice)
    receiver.statuses = [500]
    first = webhooks.send_ping(hook, actor=alice)
    second = webhooks.send_ping(hook, actor=alice)
    assert (first.event_id, first.event_name) == (None, "ping")
    assert webhooks.deliver(first.pk) is None  # one attempt only
    assert webhooks.deliver(second.pk) is None
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.response_code) == (Status.GAVE_UP, 500)
    assert (second.status, second.response_code) == (Status.SUCCEEDED, 200)
    body = receiver.bodies()[1]
    assert (body["event"], body["team"], body["actor"]) == ("ping", "ENG", "alice")
    assert body["webhook"]["id"] == hook.pk
    assert receiver.requests[1]["headers"]["X-Tracker-Event"] == "ping"
    hook.refresh_from_db()
    assert (hook.consecutive_failures, hook.disabled_at) == (0, None)


# --- managing webhooks -------------------------------------------------------------------


def test_create_webhook_makes_a_long_random_secret(eng, alice, receiver):
    one = webhooks.create_webhook(eng, url=receiver.url, actor=alice)
    two = webhooks.create_webhook(eng, url=receiver.url, actor=alice)
    assert len(one.secret) >= 43 and one.secret != two.secret
    assert (one.events, one.is_active, one.created_by) == ([], True, alice)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://user:password@example.com/hook",
        "https://token@example.com/hook",
        "example.com/hook",
        "",
    ],
)
def test_only_plain_http_and_https_urls_are_accepted(eng, alice, url):
    with pytest.raises(DomainError) as error:
        webhooks.create_webhook(eng, url=url, actor=alice)
    assert error.value.field == "url"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "http://localhost/hook", "https://10.0.0.5/x?a=1"]
)
def test_private_and_loopback_addresses_are_allowed(eng, alice, url):
    assert webhooks.create_webhook(eng, url=url, actor=alice).url == url


def test_unknown_events_are_refused_and_known_ones_kept_in_order(eng, alice, receiver):
    with pytest.raises(DomainError) as error:
        webhooks.create_webhook(eng, url=receiver.url, events=["issue.deleted"], actor=alice)
    assert error.value.field == "events"
    hook = webhooks.create_webhook(
        eng, url=receiver.url, events=["comment.created", "issue.created"], actor=alice
    )
    assert hook.events == ["issue.created", "comment.created"]


def test_only_team_admins_manage_webhooks(eng, alice, bob, sam, vera, mallory, hook, receiver):
    for actor in (bob, sam, vera):
        with pytest.raises(PermissionDenied):
            webhooks.create_webhook(eng, url=receiver.url, actor=actor)
    with pytest.raises(NotATeamMember):
        webhooks.create_webhook(eng, url=receiver.url, actor=mallory)
    for call in (
        lambda: webhooks.update_webhook(hook, url="https://evil.example", actor=bob),
        lambda: webhooks.rotate_secret(hook, actor=bob),
        lambda: webhooks.delete_webhook(hook, actor=bob),
        lambda: webhooks.send_ping(hook, actor=bob),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert Webhook.objects.get(pk=hook.pk).secret == hook.secret
    assert not WebhookDelivery.objects.exists()


def test_update_rotate_and_delete(hook, alice):
    assert webhooks.update_webhook(hook, url=hook.url, events=[], actor=alice) is None
    Webhook.objects.filter(pk=hook.pk).update(consecutive_failures=3)
    changed = webhooks.update_webhook(hook, url="https://example.com/new", actor=alice)
    assert (changed.url, changed.consecutive_failures) == ("https://example.com/new", 0)
    old = changed.secret
    assert webhooks.rotate_secret(hook, actor=alice).secret != old
    webhooks.delete_webhook(hook, actor=alice)
    assert not Webhook.objects.exists()


def test_a_rotated_secret_signs_the_retries(hook, eng, alice, receiver):
    receiver.statuses = [500, 200]
    services.create_issue(eng, actor=alice, title="Rotate mid-way")
    process_outbox_rows()
    delivery = WebhookDelivery.objects.get()
    webhooks.deliver(delivery.pk)
    new = webhooks.rotate_secret(hook, actor=alice).secret
    webhooks.deliver(delivery.pk, now=later(31))
    retry = receiver.requests[1]
    assert webhooks.verify_signature(
        new,
        timestamp=retry["headers"]["X-Tracker-Timestamp"],
        body=retry["body"],
        signature=retry["headers"]["X-Tracker-Signature"],
    )


def test_the_tasks_are_registered_and_the_requeue_is_scheduled():
    from issuetracker.celery import app

    app.loader.import_default_modules()
    for name in ("deliver_webhook", "requeue_webhook_deliveries", "send_webhook_disabled_email"):
        assert f"notifications.tasks.{name}" in app.tasks
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "notifications.tasks.requeue_webhook_deliveries" in tasks


# --- pages ------------------------------------------------------------------------------

PERSONAS = ["alice", "bob", "sam", "vera", "mallory", "anonymous"]
LOGIN = 302

EXPECTED_GET = {
    "webhooks": [200, 403, 403, 403, 404, LOGIN],
    "webhook-update": [405, 403, 403, 403, 404, LOGIN],
    "webhook-delete": [405, 403, 403, 403, 404, LOGIN],
    "webhook-rotate-secret": [405, 403, 403, 403, 404, LOGIN],
    "webhook-enable": [405, 403, 403, 403, 404, LOGIN],
    "webhook-ping": [405, 403, 403, 403, 404, LOGIN],
    "webhook-deliveries": [200, 403, 403, 403, 404, LOGIN],
}


@pytest.fixture
def people(alice, bob, sam, vera, mallory):
    return {"alice": alice, "bob": bob, "sam": sam, "vera": vera, "mallory": mallory}


def _url(name, hook, team_key="ENG"):
    if name == "webhooks":
        return reverse("team_settings:webhooks", args=[team_key])
    return reverse(f"team_settings:{name}", args=[team_key, hook.pk])


def _code(client, people, persona, method, url, data=None):
    client.logout()
    if persona != "anonymous":
        client.force_login(people[persona])
    return getattr(client, method)(url, data or {}).status_code


def test_permission_matrix_for_get(client, people, hook):
    actual = {
        name: [_code(client, people, p, "get", _url(name, hook)) for p in PERSONAS]
        for name in EXPECTED_GET
    }
    assert actual == EXPECTED_GET


def test_posts_by_non_admins_change_nothing(client, people, hook):
    before = list(Webhook.objects.values())
    posts = {
        "webhooks": {"new-url": "https://evil.example/", "new-is_active": "on"},
        "webhook-update": {f"webhook-{hook.pk}-url": "https://evil.example/"},
        "webhook-delete": {},
        "webhook-rotate-secret": {},
        "webhook-enable": {},
        "webhook-ping": {},
    }
    codes = {
        name: [_code(client, people, p, "post", _url(name, hook), data) for p in PERSONAS[1:]]
        for name, data in posts.items()
    }
    assert codes == {name: [403, 403, 403, 404, LOGIN] for name in posts}
    assert list(Webhook.objects.values()) == before
    assert not WebhookDelivery.objects.exists()


def test_another_teams_webhook_is_not_found_under_this_team(client, ops, alice, mallory):
    theirs = Webhook.objects.create(team=ops, url="https://ops.example/", secret="s")
    client.force_login(alice)
    for name in ("webhook-deliveries", "webhook-ping", "webhook-delete"):
        method = "get" if name == "webhook-deliveries" else "post"
        assert getattr(client, method)(_url(name, theirs)).status_code == 404
    assert Webhook.objects.filter(pk=theirs.pk).exists()


def test_the_list_shows_url_events_state_secret_and_last_delivery(client, eng, alice, hook):
    paused = webhooks.create_webhook(
        eng, url="https://example.com/b", events=["comment.created"], actor=alice
    )
    Webhook.objects.filter(pk=paused.pk).update(
        is_active=False, disabled_at=timezone.now(), disabled_reason="10 deliveries failed"
    )
    webhooks.send_ping(hook, actor=alice)
    client.force_login(alice)
    response = client.get(_url("webhooks", hook))
    assert response.templates[0].name == "accounts/team_settings_webhooks.html"
    body = response.content.decode()
    assert 'aria-current="page">Webhooks</a>' in body
    assert hook.url in body and hook.secret in body
    assert "All events" in body and "comment.created" in body
    assert "Disabled" in body and "10 deliveries failed" in body
    assert "Last delivery: pending" in body and "No deliveries yet" in body
    assert "X-Tracker-Signature" in body


def test_adding_a_webhook(client, eng, alice):
    client.force_login(alice)
    data = {
        "new-url": "https://example.com/hook",
        "new-events": ["issue.created", "comment.created"],
        "new-is_active": "on",
    }
    response = client.post(_url("webhooks", None), data)
    assert response.status_code == 302
    hook = Webhook.objects.get()
    assert (hook.team, hook.url, hook.events, hook.is_active, hook.created_by) == (
        eng,
        "https://example.com/hook",
        ["issue.created", "comment.created"],
        True,
        alice,
    )


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "https://me:pw@example.com/", "not a url", ""]
)
def test_a_refused_url_rerenders_with_the_error(client, alice, url):
    client.force_login(alice)
    response = client.post(_url("webhooks", None), {"new-url": url})
    assert response.status_code == 400
    assert response.context["add_form"].errors["url"]
    assert not Webhook.objects.exists()


def test_editing_rotating_enabling_pinging_and_deleting_from_the_page(
    client, alice, hook, django_capture_on_commit_callbacks, receiver
):
    client.force_login(alice)
    prefix = f"webhook-{hook.pk}"
    response = client.post(
        _url("webhook-update", hook),
        {f"{prefix}-url": hook.url, f"{prefix}-events": ["issue.assigned"]},
    )
    assert response.status_code == 302
    hook.refresh_from_db()
    assert (hook.events, hook.is_active) == (["issue.assigned"], False)  # unticked

    response = client.post(_url("webhook-update", hook), {f"{prefix}-url": "gopher://x"})
    assert response.status_code == 400
    row = next(r for r in response.context["rows"] if r["object"].pk == hook.pk)
    assert row["form"].errors["url"]

    old = hook.secret
    assert client.post(_url("webhook-rotate-secret", hook)).status_code == 302
    hook.refresh_from_db()
    assert hook.secret != old

    Webhook.objects.filter(pk=hook.pk).update(consecutive_failures=9, disabled_at=timezone.now())
    assert client.post(_url("webhook-enable", hook)).status_code == 302
    hook.refresh_from_db()
    assert (hook.is_active, hook.consecutive_failures, hook.disabled_at) == (True, 0, None)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("webhook-ping", hook))
    assert response.url == _url("webhook-deliveries", hook)
    assert [b["event"] for b in receiver.bodies()] == ["ping"]
    page = client.get(response.url).content.decode()
    assert "Succeeded" in page and "ping" in page

    assert client.post(_url("webhook-delete", hook)).status_code == 302
    assert not Webhook.objects.exists()


def test_the_deliveries_page_shows_status_code_attempts_and_issue(client, eng, alice, hook):
    services.create_issue(eng, actor=alice, title="Shown")
    process_outbox_rows()
    WebhookDelivery.objects.update(status=Status.FAILED, attempts=2, response_code=502)
    client.force_login(alice)
    response = client.get(_url("webhook-deliveries", hook))
    (delivery,) = response.context["deliveries"]
    assert (delivery.issue_key, delivery.event_name) == ("ENG-1", "issue.created")
    body = response.content.decode()
    assert "Failed, will retry" in body and "502" in body and "ENG-1" in body


# --- query budgets -----------------------------------------------------------------------

# The user (with the unread count), my teams (the team among them), the list.
LIST_QUERIES = 3
# ... plus the webhook.
DELIVERIES_QUERIES = 4


def test_the_webhooks_page_runs_a_fixed_number_of_queries(
    client, eng, alice, django_assert_num_queries
):
    client.force_login(alice)
    url = reverse("team_settings:webhooks", args=["ENG"])
    for size in (1, 8):
        for n in range(size):
            hook = webhooks.create_webhook(eng, url=f"https://example.com/{size}/{n}", actor=alice)
            webhooks.send_ping(hook, actor=alice)
        with django_assert_num_queries(LIST_QUERIES):
            response = client.get(url)
        assert response.status_code == 200


def test_the_deliveries_page_runs_a_fixed_number_of_queries(
    client, eng, alice, hook, django_assert_num_queries
):
    client.force_login(alice)
    url = reverse("team_settings:webhook-deliveries", args=["ENG", hook.pk])
    for size in (1, 20):
        for n in range(size):
            services.create_issue(eng, actor=alice, title=f"Issue {size}-{n}")
        process_outbox_rows()
        with django_assert_num_queries(DELIVERIES_QUERIES):
            response = client.get(url)
        assert response.status_code == 200
        assert len(response.context["deliveries"]) == WebhookDelivery.objects.count()
