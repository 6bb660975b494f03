"""Emails to customers: a public comment was added to their issue, or it was resolved.

Created from the same outbox as the team's notifications (process_outbox), once per
(event, customer); sent by a task that claims the row first, so nothing is mailed
twice. Only public comments written by the team are sent (never internal ones, never
the customer's own reply back to them). Replies go to the team's intake address, and
the subject carries the issue key, so email intake threads them back onto the issue.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q, prefetch_related_objects
from django.template.loader import render_to_string
from django.utils import timezone

from issues import customer_links
from issues.models import IssueCustomer, IssueEvent, Status

from .models import CustomerEmail

log = logging.getLogger(__name__)
Kind = IssueEvent.Kind

CLAIM_TIMEOUT = dt.timedelta(minutes=5)


NEWS_KINDS = {Kind.COMMENTED, Kind.STATUS_CHANGED}  # what _is_customer_news looks at


def _is_customer_news(event: IssueEvent) -> bool:
    if event.kind == Kind.COMMENTED:
        comment = event.comment
        return comment is not None and comment.is_public and comment.customer_id is None
    if event.kind == Kind.STATUS_CHANGED:
        return event.to_status is not None and event.to_status.category == Status.Category.DONE
    return False


def create_deliveries(events: list[IssueEvent]) -> list[CustomerEmail]:
    """One CustomerEmail per event worth telling customers and per customer who should
    hear of it; each queued for sending after commit. Safe to run twice. `events` come
    from `services.load_events` (with their issue and team): a change
    that is no news to customers costs no query."""
    from .tasks import send_customer_email

    events = [e for e in events if e.kind in NEWS_KINDS and e.issue.team.is_emailing_customers]
    prefetch_related_objects(events, "comment", "to_status")
    events = [e for e in events if _is_customer_news(e)]
    if not events:
        return []
    links = (
        IssueCustomer.objects.filter(issue_id__in={e.issue_id for e in events}, is_notified=True)
        .exclude(customer__email="")
        .select_related("customer")
    )
    by_issue: dict[int, list[IssueCustomer]] = {}
    for link in links:
        by_issue.setdefault(link.issue_id, []).append(link)
    created = []
    for event in events:
        for link in by_issue.get(event.issue_id, []):
            try:
                with transaction.atomic():
                    row, was_new = CustomerEmail.objects.get_or_create(
                        event=event,
                        customer=link.customer,
                        defaults={"to": link.customer.email, "created_at": event.created_at},
                    )
            except IntegrityError:  # a concurrent run created it first
                continue
            if was_new:
                created.append(row)
                send_customer_email.delay_on_commit(row.pk)
    return created


def _content(row: CustomerEmail) -> tuple[str, dict]:
    event, issue = row.event, row.event.issue
    key = issue.key
    if event.kind == Kind.COMMENTED:
        subject = f"[{key}] {issue.title}"
        intro = "There is a new reply about your request."
        text = event.comment.body
    else:
        subject = f"[{key}] Resolved: {issue.title}"
        intro = "Your request has been resolved."
        text = ""
    context = {
        "customer": row.customer,
        "issue": issue,
        "key": key,
        "intro": intro,
        "text": text,
        "status": customer_links.PLAIN_STATUS.get(issue.status.category, issue.status.name),
        "status_url": customer_links.status_url(issue),
        "team": issue.team,
        "can_reply": bool(issue.team.intake_email),
    }
    return subject, context


def send(row_id: int, *, now: dt.datetime | None = None) -> bool:
    """Send one customer email unless it was already (being) sent. Returns True if sent.
    A failure releases the claim and re-raises, so the task's retry sends it."""
    now = now or timezone.now()
    claimed = (
        CustomerEmail.objects.filter(pk=row_id, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(claimed_at=now)
    )
    if not claimed:
        return False
    row = CustomerEmail.objects.select_related(
        "customer", "event__comment", "event__issue__team", "event__issue__status"
    ).get(pk=row_id)
    subject, context = _content(row)
    team = row.event.issue.team
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("notifications/email/customer.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to],
        reply_to=[team.intake_email] if team.intake_email else None,
    )
    message.attach_alternative(
        render_to_string("notifications/email/customer.html", context), "text/html"
    )
    try:
        message.send()
    except Exception:
        CustomerEmail.objects.filter(pk=row.pk, claimed_at=now).update(claimed_at=None)
        raise
    CustomerEmail.objects.filter(pk=row.pk).update(sent_at=timezone.now())
    return True


def requeue_pending(*, now: dt.datetime | None = None, grace=dt.timedelta(seconds=30)) -> int:
    """Periodic: queue customer emails whose task was lost (broker down, worker killed)."""
    from .tasks import send_customer_email

    now = now or timezone.now()
    pending = list(
        CustomerEmail.objects.filter(sent_at__isnull=True, created_at__lt=now - grace)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in pending:
        send_customer_email.delay(pk)
    return len(pending)
