"""Celery tasks: load by id, call a service. All are safe to run twice."""

import smtplib
import socket

from celery import shared_task
from django.utils import timezone

from issues import services as issue_services

from . import services

RETRYABLE = (ConnectionError, TimeoutError, socket.error, smtplib.SMTPException)


@shared_task(acks_late=True)
def process_outbox(outbox_id: int) -> int:
    """Create the notifications for one committed change (queued after commit)."""
    return services.process_outbox(outbox_id)


@shared_task(acks_late=True)
def drain_outbox() -> int:
    """Periodic: pick up outbox rows whose task never ran (broker was down)."""
    return services.drain_outbox()


@shared_task(
    acks_late=True,
    autoretry_for=RETRYABLE,
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=12,
)
def send_notification_email(notification_id: int) -> bool:
    return services.send_email(notification_id)


@shared_task(acks_late=True)
def send_digests() -> int:
    """Daily: one digest email per user with pending digest notifications."""
    sent = 0
    for user_id in services.digest_recipients():
        send_digest.delay(user_id)
        sent += 1
    return sent


@shared_task(
    acks_late=True,
    autoretry_for=RETRYABLE,
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=8,
)
def send_digest(user_id: int) -> int:
    return services.send_digest(user_id)


@shared_task(acks_late=True)
def sweep_stale_issues() -> int:
    """Periodic: record stale issues (one detection query) and notify, once per quiet spell."""
    return issue_services.sweep_stale(now=timezone.now())
