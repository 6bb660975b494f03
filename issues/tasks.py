from celery import shared_task

from .api import idempotency


@shared_task(acks_late=True)
def expire_idempotency_keys() -> int:
    """Periodic: forget API Idempotency-Keys older than 24 hours."""
    return idempotency.expire_keys()
