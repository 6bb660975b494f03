"""End to end: a real Celery worker on the real Redis broker, a real SMTP server
(aiosmtpd), PostgreSQL. Assign an issue through the service; the email arrives with the
right subject and link, the in-app notification exists, and running the tasks again
sends nothing more. Needs DATABASE_URL (PostgreSQL) and REDIS_URL, as in CI."""

import email
import os
import socket
import subprocess
import sys
import time
from email import policy
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from issues import services
from notifications.models import Notification, Outbox

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="needs PostgreSQL and Redis (DATABASE_URL and REDIS_URL)",
    ),
]


class Sink:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, parsed))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink():
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield sink, controller.port
    controller.stop()


@pytest.fixture
def real_celery():
    """Publish for real (not eagerly) from this process, to the configured Redis."""
    from issuetracker.celery import app

    app.conf.task_always_eager = False
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
    yield app
    app.conf.task_always_eager = True


@pytest.fixture
def worker(smtp_sink, real_celery):
    _, port = smtp_sink
    db = connection.settings_dict
    login = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{login}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        # The broker this process publishes to, and the cache it flags wake-ups in (each
        # pytest-xdist worker has its own Redis database for the cache).
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "REDIS_URL": settings.CACHES["default"]["LOCATION"],
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "SITE_URL": "http://tracker.test",
        "DB_CONN_MAX_AGE": "0",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "issuetracker", "worker", "--pool", "solo",
        "--loglevel", "INFO", "--without-heartbeat", "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(condition, timeout=45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_assignment_email_and_notification_arrive_once(worker, smtp_sink, eng, alice, bob):
    sink, _ = smtp_sink
    issue = services.create_issue(eng, actor=alice, title="Checkout fails on Safari", priority=2)
    services.assign(issue, assignee=bob, actor=alice)

    assert wait_for(lambda: len(sink.messages) >= 1), "no email arrived from the worker"
    recipients, message = sink.messages[0]
    assert recipients == ["bob@example.com"]
    assert message["Subject"] == "[ENG-1] Assigned to you: Checkout fails on Safari"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Alice assigned you ENG-1" in text and "priority High" in text
    assert "http://tracker.test/issues/ENG-1/" in text
    assert 'href="http://tracker.test/issues/ENG-1/"' in html
    # The worker records the sending once the SMTP session is over, a moment after the
    # sink has the message (on a busy machine the read below came first).
    sent = Notification.objects.filter(recipient=bob, emailed_at__isnull=False)
    assert wait_for(sent.exists), "the worker did not record the email as sent"
    note = Notification.objects.get(recipient=bob)
    assert note.kind == "assigned" and note.emailed_at is not None

    # A burst of changes: the worker takes them together, each is mailed once.
    for n in range(2, 6):
        services.create_issue(eng, actor=alice, title=f"Refund #{n} stuck", assignees=[bob])
    assert wait_for(lambda: len(sink.messages) >= 5), "the burst's emails did not all arrive"
    subjects = sorted(message["Subject"] for _, message in sink.messages[1:])
    assert subjects == [f"[ENG-{n}] Assigned to you: Refund #{n} stuck" for n in range(2, 6)]

    # Run everything again through the worker: nothing new is created or sent.
    from notifications.tasks import process_outbox, send_notification_email

    for row in Outbox.objects.all():
        process_outbox.delay(row.pk)
    process_outbox.delay()
    send_notification_email.delay(note.pk)
    assert wait_for(lambda: not Outbox.objects.filter(processed_at__isnull=True).exists())
    time.sleep(3)
    assert len(sink.messages) == 5
    assert Notification.objects.filter(recipient=bob).count() == 5
