"""Celery tasks: load by id, call a service. All are safe to run twice."""

import logging
import smtplib
import socket

from celery import shared_task
from django.utils import timezone

from issues import services as issue_services

from . import customer_emails, services, webhooks

log = logging.getLogger(__name__)
RETRYABLE = (ConnectionError, TimeoutError, socket.error, smtplib.SMTPException)


@shared_task(bind=True, acks_late=True)
def process_outbox(self, outbox_id: int | None = None) -> int:
    """Create the notifications of committed changes: every pending outbox row, in
    batches (queued after commit, once per spell of changes: services.claim_wakeup).
    With an id (a task queued by an earlier version), that row alone."""
    if outbox_id is not None:
        return services.process_outbox(outbox_id)
    # Run eagerly (tests, CELERY_TASK_ALWAYS_EAGER) it is inside a request: no lingering.
    linger = 0.0 if self.request.is_eager else services.OUTBOX_LINGER
    return services.process_pending(linger=linger)


@shared_task(acks_late=True)
def drain_outbox() -> int:
    """Periodic: pick up outbox rows whose task never ran (broker was down), and
    customer emails whose sending task was lost."""
    return services.drain_outbox() + customer_emails.requeue_pending()


# Sending mail: SMTP errors retry with backoff (10 s doubling up to 10 min, 12 tries).
EMAIL_RETRY = {
    "acks_late": True,
    "autoretry_for": RETRYABLE,
    "retry_backoff": 10,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 12,
}


@shared_task(**EMAIL_RETRY)
def send_notification_email(notification_id: int, *, requeued: bool = False) -> bool:
    """Send one notification's email; SMTP errors retry with backoff. A requeued send
    (requeue_unsent_emails) tries once: the next periodic requeue is its retry, so tasks
    do not pile up during a long mail outage."""
    if not requeued:
        return services.send_email(notification_id)
    try:
        return services.send_email(notification_id)
    except RETRYABLE as error:
        log.warning("email for notification %s not sent yet: %s", notification_id, error)
        return False


@shared_task(acks_late=True)
def requeue_unsent_emails() -> int:
    """Periodic: queue again the emails whose task was lost or gave up (sent once: the
    task claims the notification before sending)."""
    pending = services.unsent_emails()
    for notification_id in pending:
        send_notification_email.delay(notification_id, requeued=True)
    return len(pending)


@shared_task(**EMAIL_RETRY)
def send_customer_email(customer_email_id: int) -> bool:
    return customer_emails.send(customer_email_id)


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
    """Periodic: record stale issues (one detection query) and notify, once per quiet
    spell; remind support of issues waiting on the customer too long, once per spell."""
    now = timezone.now()
    return issue_services.sweep_stale(now=now) + issue_services.sweep_follow_ups(now=now)


# --- webhooks -----------------------------------------------------------------------


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver_webhook(self, delivery_id: int) -> None:
    """One attempt at a webhook delivery; after a failure, retry with the backoff the
    service chose. The attempt count and cap live in the delivery row (the service gives
    up), not in Celery's retry counter. Run eagerly (tests, CELERY_TASK_ALWAYS_EAGER), a
    retry would run at once, so it is left to requeue_webhook_deliveries instead."""
    retry_in = webhooks.deliver(delivery_id)
    if retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=retry_in)


@shared_task(acks_late=True)
def requeue_webhook_deliveries() -> int:
    """Periodic: queue webhook deliveries whose task was lost (broker down, worker killed)."""
    return webhooks.requeue_due_deliveries()


@shared_task(
    acks_late=True,
    autoretry_for=RETRYABLE,
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=8,
)
def send_webhook_disabled_email(webhook_id: int) -> int:
    return webhooks.send_disabled_email(webhook_id)
