from celery import shared_task

from . import services


@shared_task(
    acks_late=True,
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=10,
)
def deliver_events(event_ids: list[int]) -> int:
    """Create in-app notifications for freshly committed issue events (idempotent)."""
    return len(services.notify(event_ids))
