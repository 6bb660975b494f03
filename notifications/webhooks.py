"""Webhooks: team admins register URLs, and every event becomes one signed JSON POST.

How an event travels:

1. notifications.services.process_outbox calls `create_deliveries(event_ids)` inside
   its transaction: one WebhookDelivery per (active webhook that wants it, event), the
   payload frozen in the row, and a `deliver_webhook` task queued on commit.
   (webhook, event) is unique, so an outbox processed twice creates nothing new.
2. `deliver(delivery_id)` makes one attempt: it claims the attempt with a conditional
   update (status, attempts, claimed_at), POSTs, and records status, response code and
   error. A 2xx succeeds; anything else, a network error or a timeout fails. A failed
   attempt is retried by the task (`self.retry(countdown=...)`) after
   WEBHOOK_RETRY_SECONDS * 2^(attempt - 1) (capped at RETRY_CAP), until
   WEBHOOK_MAX_ATTEMPTS, when the delivery gives up.
3. WEBHOOK_FAILURE_THRESHOLD deliveries in a row that gave up disable the webhook
   (counting deliveries, not attempts, so a receiver that restarts during a burst of
   events is not switched off); its unfinished deliveries give up too, and the team's
   admins are mailed once. A success resets the count. Admins enable it again.
4. `requeue_due_deliveries` (beat, every minute) queues deliveries whose task was lost
   (broker down after commit, worker killed): the claim makes a second task harmless.

Signing: `X-Tracker-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
with the timestamp in `X-Tracker-Timestamp` (Unix seconds), so a receiver can refuse
replays (see `verify_signature`, the recipe on the settings page). The signature is
computed at send time, so retries after a secret rotation carry the new secret.

Addresses: private and loopback hosts are allowed on purpose: a self-hosted tracker
posts to intranet services. Only team admins register URLs, redirects are not followed
and response bodies are never stored or shown. Restrict egress at the network (or an
HTTP(S)_PROXY, which urllib honours) where that matters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, prefetch_related_objects
from django.db.models.fields.json import KT
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts import audit, permissions
from accounts.models import Membership, Team
from issues.models import IssueEvent
from issues.services import DomainError

from .models import Webhook, WebhookDelivery

log = logging.getLogger(__name__)
User = get_user_model()

Kind = IssueEvent.Kind
Event = Webhook.Event
Status = WebhookDelivery.Status

USER_AGENT = "IssueTracker-Webhooks/1"
URL_MAX = Webhook._meta.get_field("url").max_length
ERROR_MAX = WebhookDelivery._meta.get_field("last_error").max_length
# Below Redis' visibility_timeout (1 h), so a retry's ETA message is not redelivered early.
RETRY_CAP = dt.timedelta(minutes=30)
# A claimed attempt not recorded after this long belongs to a crashed worker.
CLAIM_TIMEOUT = dt.timedelta(minutes=5)
# The periodic requeue leaves deliveries this close to due to the task that owns them.
REQUEUE_GRACE = dt.timedelta(minutes=2)
# A retry's ETA may fire a moment early on a worker whose clock runs ahead.
DUE_TOLERANCE = dt.timedelta(seconds=2)
# How long a receiver should accept a signed timestamp (verify_signature's default).
SIGNATURE_TOLERANCE = 300

# The names each kind of IssueEvent is sent as, most specific first. A webhook gets one
# delivery per event, named by the first name it subscribed to; the payload's
# "event_names" lists them all (a status change is also an issue.updated).
EVENT_NAMES: dict[str, tuple[str, ...]] = {
    Kind.CREATED: (Event.ISSUE_CREATED,),
    Kind.STATUS_CHANGED: (Event.ISSUE_STATUS_CHANGED, Event.ISSUE_UPDATED),
    Kind.ASSIGNED: (Event.ISSUE_ASSIGNED, Event.ISSUE_UPDATED),
    Kind.COMMENTED: (Event.COMMENT_CREATED,),
    **{
        kind: (Event.ISSUE_UPDATED,)
        for kind in (
            Kind.TITLE_CHANGED,
            Kind.DESCRIPTION_CHANGED,
            Kind.PRIORITY_CHANGED,
            Kind.KIND_CHANGED,
            Kind.CHANNEL_CHANGED,
            Kind.DUE_DATE_CHANGED,
            Kind.UNASSIGNED,
            Kind.LABELED,
            Kind.UNLABELED,
            Kind.CUSTOMER_LINKED,
            Kind.CUSTOMER_UNLINKED,
            Kind.MARKED_DUPLICATE,
            Kind.UNMARKED_DUPLICATE,
            # The payload says a link exists or not; the link itself is never sent.
            Kind.STATUS_LINK_CREATED,
            Kind.STATUS_LINK_REVOKED,
            Kind.ATTACHMENT_ADDED,
            Kind.ATTACHMENT_REMOVED,
            Kind.CUSTOMER_EMAILS_CHANGED,
        )
    },
}
# Not sent: the stale and follow-up sweeps' observations change none of the issue's data
# (no version bump), and there is no comment.updated name yet for edited comments.
NOT_SENT = frozenset(
    {Kind.BECAME_STALE, Kind.STALE_ESCALATED, Kind.FOLLOW_UP_DUE, Kind.COMMENT_EDITED}
)


def names_for(kind: str) -> tuple[str, ...]:
    """The webhook event names an IssueEvent kind is sent as (empty: not sent)."""
    return EVENT_NAMES.get(kind, ())


# --- signatures -------------------------------------------------------------------


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The X-Tracker-Signature value: sha256=<hex HMAC-SHA256(secret, "ts.body")>."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    signature: str,
    tolerance: int = SIGNATURE_TOLERANCE,
    now: float | None = None,
) -> bool:
    """What a receiver does: True if `signature` is ours for this body and timestamp,
    and the timestamp is within `tolerance` seconds of `now` (replays are refused)."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


# --- managing webhooks (team admins) ------------------------------------------------


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise DomainError("A URL is required.", field="url")
    if len(url) > URL_MAX:
        raise DomainError(f"The URL is longer than {URL_MAX} characters.", field="url")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise DomainError("Enter a full http:// or https:// URL.", field="url") from None
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise DomainError(
            "A webhook URL cannot hold a user name or password: receivers check the "
            "signature instead.",
            field="url",
        )
    return url


def _clean_events(events: Iterable[str]) -> list[str]:
    wanted = set(events or ())
    unknown = wanted - set(Event.values)
    if unknown:
        allowed = ", ".join(Event.values)
        raise DomainError(
            f"{sorted(unknown)[0]!r} is not an event; use: {allowed}.", field="events"
        )
    return [name for name in Event.values if name in wanted]


def _lock(webhook: Webhook) -> Webhook:
    return Webhook.objects.select_for_update().select_related("team").get(pk=webhook.pk)


@transaction.atomic
def create_webhook(
    team: Team,
    *,
    url: str,
    actor: User | None,
    events: Iterable[str] = (),
    is_active: bool = True,
    now: dt.datetime | None = None,
) -> Webhook:
    """Register `url` for `events` of `team` (empty: all), with a new random secret.

    Raises PermissionDenied unless `actor` is a team admin, DomainError for a URL that
    is not http(s) or holds credentials (field "url") or an unknown event ("events").
    """
    permissions.require(actor, "admin", team)
    webhook = Webhook.objects.create(
        team=team,
        url=_clean_url(url),
        events=_clean_events(events),
        is_active=bool(is_active),
        secret=new_secret(),
        created_by=actor,
        created_at=now or timezone.now(),
    )
    audit.record(
        audit.Action.WEBHOOK_ADDED,
        actor=actor,
        team=team,
        target=webhook.url,
        data={"events": webhook.events, "is_active": webhook.is_active},
    )
    return webhook


@transaction.atomic
def update_webhook(
    webhook: Webhook,
    *,
    actor: User | None,
    url: str | None = None,
    events: Iterable[str] | None = None,
    is_active: bool | None = None,
) -> Webhook | None:
    """Change the URL, the events or whether it is active (None: leave as is).

    Turning a webhook on again, or pointing it at a new URL, clears its failure count
    and the reason it was disabled. Returns None when nothing changed.
    """
    webhook_ = _lock(webhook)
    permissions.require(actor, "admin", webhook_.team)
    changes: dict[str, Any] = {}
    if url is not None and (url := _clean_url(url)) != webhook_.url:
        changes["url"] = url
    if events is not None and (events := _clean_events(events)) != webhook_.events:
        changes["events"] = events
    if is_active is not None and bool(is_active) != webhook_.is_active:
        changes["is_active"] = bool(is_active)
    if not changes:
        return None
    if changes.get("is_active") or "url" in changes:
        changes.update(
            consecutive_failures=0, disabled_at=None, disabled_reason="", admins_notified_at=None
        )
    for field, value in changes.items():
        setattr(webhook_, field, value)
    webhook_.save(update_fields=list(changes))
    audit.record(
        audit.Action.WEBHOOK_CHANGED,
        actor=actor,
        team=webhook_.team,
        target=webhook_.url,
        data={"changed": sorted(set(changes) & {"url", "events", "is_active"})},
    )
    return webhook_


@transaction.atomic
def rotate_secret(webhook: Webhook, *, actor: User | None) -> Webhook:
    """Give the webhook a new secret. Everything sent from now on (retries included) is
    signed with it, so update the receiver right after."""
    webhook_ = _lock(webhook)
    permissions.require(actor, "admin", webhook_.team)
    webhook_.secret = new_secret()
    webhook_.save(update_fields=["secret"])
    audit.record(
        audit.Action.WEBHOOK_SECRET_ROTATED, actor=actor, team=webhook_.team, target=webhook_.url
    )
    return webhook_


@transaction.atomic
def delete_webhook(webhook: Webhook, *, actor: User | None) -> None:
    """Delete the webhook and its delivery history; queued deliveries find nothing."""
    webhook_ = _lock(webhook)
    permissions.require(actor, "admin", webhook_.team)
    audit.record(audit.Action.WEBHOOK_DELETED, actor=actor, team=webhook_.team, target=webhook_.url)
    webhook_.delete()


@transaction.atomic
def send_ping(
    webhook: Webhook, *, actor: User | None, now: dt.datetime | None = None
) -> WebhookDelivery:
    """Queue a test delivery (event "ping"), sent once after commit, even to an inactive
    webhook; its result neither counts towards disabling nor resets the failures."""
    webhook_ = _lock(webhook)
    permissions.require(actor, "admin", webhook_.team)
    now = now or timezone.now()
    delivery = WebhookDelivery(webhook=webhook_, event_name=WebhookDelivery.PING, created_at=now)
    delivery.payload = {
        "id": str(delivery.uuid),
        "event": WebhookDelivery.PING,
        "created_at": now.isoformat(),
        "team": webhook_.team.key,
        "actor": getattr(actor, "username", None),
        "webhook": {"id": webhook_.pk, "url": webhook_.url, "events": webhook_.events},
    }
    delivery.next_attempt_at = now
    delivery.save()
    _queue([delivery.pk])
    return delivery


# --- reads ------------------------------------------------------------------------


def list_team_webhooks(team: Team) -> QuerySet[Webhook]:
    """The team's webhooks, oldest first, each with `last_status`, `last_code` and
    `last_delivery_at` of its newest delivery (None without any). One query."""
    latest = WebhookDelivery.objects.filter(webhook=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        Webhook.objects.filter(team=team)
        .annotate(
            last_status=Subquery(latest.values("status")[:1]),
            last_code=Subquery(latest.values("response_code")[:1]),
            last_delivery_at=Subquery(latest.values("created_at")[:1]),
        )
        .order_by("created_at", "pk")
    )


def list_recent_deliveries(webhook: Webhook, *, limit: int = 50) -> QuerySet[WebhookDelivery]:
    """The webhook's newest deliveries, each with `issue_key`; payloads are not loaded."""
    return (
        WebhookDelivery.objects.filter(webhook=webhook)
        .annotate(issue_key=KT("payload__issue__key"))
        .defer("payload")
        .order_by("-created_at", "-pk")[:limit]
    )


# --- from events to deliveries -------------------------------------------------------


def _payload(event: IssueEvent) -> dict[str, Any]:
    """What every webhook gets for `event`, less "id" and "event" (set per delivery).
    The issue is described as it is now, the change itself is in "data"."""
    issue = event.issue
    payload: dict[str, Any] = {
        "event_names": list(names_for(event.kind)),
        "action": event.kind,
        "created_at": event.created_at.isoformat(),
        "team": issue.team.key,
        "issue": {
            "key": issue.key,
            "title": issue.title,
            "status": issue.status.name,
            "status_category": issue.status.category,
            "priority": issue.priority,
            "priority_label": issue.get_priority_display(),
            "kind": issue.kind,
            "customer_count": issue.customer_count,
            "url": settings.SITE_URL + issue.get_absolute_url(),
        },
        "actor": event.actor.username if event.actor else None,
        "data": event.data if isinstance(event.data, dict) else {},
    }
    if event.kind == Kind.COMMENTED and event.comment is not None:
        # Internal comments are sent too (these are the team's own integrations), marked
        # "public": false; anything shown to customers must filter on it.
        comment = event.comment
        payload["comment"] = {"id": comment.pk, "body": comment.body, "public": comment.is_public}
    return payload


def create_deliveries(events: list[IssueEvent]) -> list[WebhookDelivery]:
    """Create the deliveries of these events for the active webhooks that want them and
    queue them after commit. Safe to run twice: returns only the ones it created.

    Called by process_outbox inside its transaction (which locks the outbox row, so no
    two runs for the same events overlap), with the events of `services.load_events`
    (issue and team loaded); one query when the team has no webhooks.
    """
    events = [event for event in events if event.kind in EVENT_NAMES]
    if not events:
        return []
    now = timezone.now()
    teams = {event.issue.team_id for event in events}
    webhooks = list(Webhook.objects.filter(is_active=True, team_id__in=teams).order_by("pk"))
    if not webhooks:
        return []
    prefetch_related_objects(events, "issue__status", "actor", "comment")
    event_ids = [event.pk for event in events]
    existing = set(
        WebhookDelivery.objects.filter(event_id__in=event_ids).values_list("webhook_id", "event_id")
    )
    new = []
    for event in events:
        base = _payload(event)
        for webhook in webhooks:
            if webhook.team_id != event.issue.team_id or (webhook.pk, event.pk) in existing:
                continue
            name = next((n for n in names_for(event.kind) if webhook.wants(n)), None)
            if name is None:
                continue
            delivery = WebhookDelivery(
                webhook=webhook, event=event, event_name=name, next_attempt_at=now, created_at=now
            )
            delivery.payload = {"id": str(delivery.uuid), "event": name, **base}
            new.append(delivery)
    created = WebhookDelivery.objects.bulk_create(new)
    _queue([d.pk for d in created])
    return created


def _queue(delivery_ids: list[int]) -> None:
    from .tasks import deliver_webhook

    for pk in delivery_ids:
        deliver_webhook.delay_on_commit(pk)


def requeue_due_deliveries(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Queue unfinished deliveries well past due whose task was lost. Each one's
    next_attempt_at moves to `now`, so it is queued again at most every REQUEUE_GRACE."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(
            status__in=WebhookDelivery.UNFINISHED, next_attempt_at__lt=now - REQUEUE_GRACE
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not due:
        return 0
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk__in=due).update(next_attempt_at=now)
        _queue(due)
    return len(due)


# --- sending ------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    code: int | None  # the HTTP status, None when no answer came
    error: str  # empty on success

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is the receiver's answer (a failure): following it would turn the POST into
    a GET and lead somewhere nobody registered."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _describe(error: BaseException, timeout: float) -> str:
    if isinstance(error, TimeoutError):
        return f"Timed out after {timeout:g} s."
    if isinstance(error, ConnectionRefusedError):
        return "Connection refused."
    if isinstance(error, socket.gaierror):
        return f"Could not look up the host name ({error.strerror})."
    return f"{type(error).__name__}: {error}"


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Attempt:
    # The URL was checked to be http(s) when the webhook was saved.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Attempt(response.status, "")
    except urllib.error.HTTPError as err:
        err.close()
        return Attempt(err.code, f"HTTP {err.code} {err.reason}")
    except urllib.error.URLError as err:  # no connection: DNS, refused, TLS, timeout
        reason = err.reason
        return Attempt(
            None, _describe(reason, timeout) if isinstance(reason, OSError) else str(reason)
        )
    except (OSError, http.client.HTTPException, ValueError) as err:  # waiting for the answer
        return Attempt(None, _describe(err, timeout))


def _headers(delivery: WebhookDelivery, secret: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Tracker-Event": delivery.event_name,
        "X-Tracker-Delivery": str(delivery.uuid),
        "X-Tracker-Attempt": str(delivery.attempts + 1),
        "X-Tracker-Timestamp": timestamp,
        "X-Tracker-Signature": sign(secret, timestamp, body),
    }


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: base * 2^(attempts - 1), capped."""
    wait = dt.timedelta(seconds=settings.WEBHOOK_RETRY_SECONDS * 2 ** max(attempts - 1, 0))
    return min(wait, RETRY_CAP)


def _claim(delivery: WebhookDelivery, now: dt.datetime) -> bool:
    """Take this attempt: only one worker's conditional update matches."""
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery.pk,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at__lte=now + DUE_TOLERANCE,
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )


def deliver(delivery_id: int, *, now: dt.datetime | None = None) -> float | None:
    """Make one attempt at a delivery. Returns the seconds until the next attempt when
    this one failed and another is due, else None (sent, gave up, not due, or another
    worker has it). Never raises for the receiver's failures: they are recorded."""
    now = now or timezone.now()
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.is_finished:
        return None
    webhook = delivery.webhook
    is_ping = delivery.event_id is None
    max_attempts = 1 if is_ping else settings.WEBHOOK_MAX_ATTEMPTS
    this = WebhookDelivery.objects.filter(pk=delivery.pk)
    if not webhook.is_active and not is_ping:
        _give_up(this, "The webhook is disabled.")
        return None
    if delivery.attempts >= max_attempts:  # the last attempt's worker died before recording
        _give_up(this, "No answer was recorded for the last attempt.")
        return None
    if not _claim(delivery, now):
        return None
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    attempt = _post(webhook.url, body, _headers(delivery, webhook.secret, body), timeout)
    return _record(delivery, attempt, claimed_at=now, max_attempts=max_attempts, is_ping=is_ping)


def _record(
    delivery: WebhookDelivery,
    attempt: Attempt,
    *,
    claimed_at: dt.datetime,
    max_attempts: int,
    is_ping: bool,
) -> float | None:
    done = max(claimed_at, timezone.now())
    attempts = delivery.attempts + 1
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, claimed_at=claimed_at)
    result = {
        "claimed_at": None,
        "response_code": attempt.code,
        "last_error": attempt.error[:ERROR_MAX],
    }
    with transaction.atomic():
        if attempt.ok:
            if mine.update(status=Status.SUCCEEDED, delivered_at=done, **result) and not is_ping:
                Webhook.objects.filter(pk=delivery.webhook_id, consecutive_failures__gt=0).update(
                    consecutive_failures=0
                )
            return None
        if attempts < max_attempts:
            wait = backoff(attempts)
            if mine.update(status=Status.FAILED, next_attempt_at=done + wait, **result):
                return wait.total_seconds()
            return None
        if mine.update(status=Status.GAVE_UP, **result) and not is_ping:
            _count_failure(delivery.webhook_id, attempt, done)
    return None


def _give_up(deliveries: QuerySet[WebhookDelivery], reason: str) -> int:
    return deliveries.filter(status__in=WebhookDelivery.UNFINISHED).update(
        status=Status.GAVE_UP, last_error=reason[:ERROR_MAX], claimed_at=None
    )


def _count_failure(webhook_id: int, attempt: Attempt, now: dt.datetime) -> None:
    """One more delivery gave up; at the threshold, disable the webhook (once: the
    conditional update) and tell the team's admins after commit."""
    from .tasks import send_webhook_disabled_email

    threshold = settings.WEBHOOK_FAILURE_THRESHOLD
    Webhook.objects.filter(pk=webhook_id).update(consecutive_failures=F("consecutive_failures") + 1)
    last = attempt.error or f"HTTP {attempt.code}"
    reason = f"{threshold} deliveries in a row failed (the last: {last})"[:ERROR_MAX]
    disabled = Webhook.objects.filter(
        pk=webhook_id, is_active=True, consecutive_failures__gte=threshold
    ).update(is_active=False, disabled_at=now, disabled_reason=reason)
    if not disabled:
        return
    log.warning("Webhook %s disabled: %s", webhook_id, reason)
    # Deliveries waiting for a retry stop now; one being sent right now (claimed) is
    # stopped before its next attempt.
    _give_up(
        WebhookDelivery.objects.filter(
            webhook_id=webhook_id, event__isnull=False, claimed_at__isnull=True
        ),
        "The webhook was disabled after failing repeatedly.",
    )
    send_webhook_disabled_email.delay_on_commit(webhook_id)


def send_disabled_email(webhook_id: int, *, now: dt.datetime | None = None) -> int:
    """Tell the team's active admins, once, that the webhook was disabled. Returns how
    many people were mailed (0 if already told, or enabled again or deleted meanwhile).

    Claims the notice first (admins_notified_at), so a task that runs twice mails once;
    a failure to send releases the claim and re-raises, so the task's retry sends it."""
    now = now or timezone.now()
    claimed = Webhook.objects.filter(
        pk=webhook_id, is_active=False, disabled_at__isnull=False, admins_notified_at__isnull=True
    ).update(admins_notified_at=now)
    if not claimed:
        return 0
    webhook = Webhook.objects.select_related("team").get(pk=webhook_id)
    admins = list(
        Membership.objects.filter(
            team_id=webhook.team_id, role=Membership.Role.ADMIN, user__is_active=True
        )
        .exclude(user__email="")
        .order_by("user_id")
        .values_list("user__email", flat=True)
    )
    if not admins:
        return 0
    context = {
        "webhook": webhook,
        "team": webhook.team,
        "settings_url": settings.SITE_URL
        + reverse("team_settings:webhooks", args=[webhook.team.key]),
        "threshold": settings.WEBHOOK_FAILURE_THRESHOLD,
    }
    subject = f"[{webhook.team.key}] Webhook disabled: {webhook.url}"
    text = render_to_string("notifications/email/webhook_disabled.txt", context)
    html = render_to_string("notifications/email/webhook_disabled.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=admins)
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:
        Webhook.objects.filter(pk=webhook_id, admins_notified_at=now).update(
            admins_notified_at=None
        )
        raise
    return len(admins)
