import uuid

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone

from accounts.models import Team
from issues.models import Issue, IssueEvent

# The inbox's first sort key, shared by its query and its index (the two must match).
UNREAD = models.ExpressionWrapper(
    models.Q(read_at__isnull=True), output_field=models.BooleanField()
)


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One thing a person should know about, created from one IssueEvent.

    (event, recipient) is unique, so a task that runs twice creates it once.
    """

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "Assigned to you"
        MENTIONED = "mentioned", "Mentioned you"
        COMMENTED = "commented", "New comment"
        STATUS_CHANGED = "status_changed", "Status changed"
        STALE = "stale", "Issue went stale"
        ESCALATED = "escalated", "Stale issue escalated"
        FOLLOW_UP = "follow_up", "Follow up with the customer"

    # Indexed by notif_inbox_idx, which leads with it.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="notifications")
    # Indexed by the unique (event, recipient).
    event = models.ForeignKey(
        IssueEvent, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Email: "email" now, "digest" in the daily digest, "" for in-app only (the recipient's
    # preference when it was created). A sender claims the row before sending
    # (email_claimed_at) so a retried task never mails twice; a claim older than
    # CLAIM_TIMEOUT is taken to be a crashed worker and may be claimed again.
    email_mode = models.CharField(max_length=10, blank=True, default="")
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient"], name="notifications_notification_unique_delivery"
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notif_unread_idx",
            ),
            # The inbox, in its order (unread first, then newest): a page is read from
            # the index and stops at 50, instead of joining every notification the
            # person ever had to its issue and event and sorting them all.
            models.Index(
                models.F("recipient"),
                UNREAD.desc(),
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="notif_inbox_idx",
            ),
            # requeue_unsent_emails looks only at emails still to send.
            models.Index(
                fields=["created_at"],
                condition=models.Q(email_mode="email", emailed_at__isnull=True),
                name="notif_unsent_email_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient} ({self.issue_id})"


class Preference(models.Model):
    """How a person wants to hear about each kind of notification."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email right away"
        DIGEST = "digest", "Daily digest email"
        IN_APP = "in_app", "In the app only"

    DEFAULTS = {
        Notification.Kind.ASSIGNED: Channel.EMAIL,
        Notification.Kind.MENTIONED: Channel.EMAIL,
        Notification.Kind.COMMENTED: Channel.IN_APP,
        Notification.Kind.STATUS_CHANGED: Channel.IN_APP,
        Notification.Kind.STALE: Channel.EMAIL,
        Notification.Kind.ESCALATED: Channel.EMAIL,
        Notification.Kind.FOLLOW_UP: Channel.EMAIL,
    }

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    channels = models.JSONField(default=dict, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Notification preferences of {self.user}"

    def channel_for(self, kind: str) -> str:
        value = self.channels.get(kind) if isinstance(self.channels, dict) else None
        return (
            value if value in self.Channel.values else self.DEFAULTS.get(kind, self.Channel.IN_APP)
        )


class Outbox(models.Model):
    """Events waiting to be turned into notifications, written in the same transaction as
    the change. After commit a task is queued; if the broker is down, the periodic
    drain picks the row up later, so nothing is lost."""

    event_ids = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "outbox"
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(processed_at__isnull=True),
                name="notif_outbox_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Outbox {self.pk} ({len(self.event_ids)} events)"


class CustomerEmail(models.Model):
    """One email to a customer about one event (a public comment, the resolution).
    (event, customer) is unique, so an outbox processed twice mails once; the sender
    claims the row (claimed_at) before sending, so a retried task never mails twice."""

    event = models.ForeignKey(
        "issues.IssueEvent", on_delete=models.CASCADE, related_name="customer_emails"
    )
    customer = models.ForeignKey("issues.Customer", on_delete=models.CASCADE, related_name="emails")
    to = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "customer"], name="notifications_customeremail_unique_delivery"
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="notif_custemail_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Email to {self.to} about event {self.event_id}"


# --- webhooks -----------------------------------------------------------------------


class Webhook(models.Model):
    """A URL of the team's own integration that gets a signed JSON POST per event.

    `secret` signs every body (HMAC-SHA256) and is shown to the team's admins so the
    receiver can verify it. `events` lists the names wanted; empty means all of them,
    including names added later. `consecutive_failures` counts deliveries in a row that
    gave up; at WEBHOOK_FAILURE_THRESHOLD the webhook is disabled (is_active False,
    with disabled_at and disabled_reason) until an admin enables it again.
    """

    class Event(models.TextChoices):
        ISSUE_CREATED = "issue.created", "Issue created"
        ISSUE_UPDATED = "issue.updated", "Issue updated (any field)"
        ISSUE_STATUS_CHANGED = "issue.status_changed", "Status changed"
        ISSUE_ASSIGNED = "issue.assigned", "Someone assigned"
        COMMENT_CREATED = "comment.created", "Comment added"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000, validators=[URLValidator(schemes=["http", "https"])])
    secret = models.CharField(max_length=100)
    events = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # When the admins were mailed about the disabling (claimed before sending: once).
    admins_notified_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhooks_created",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["team", "is_active"], name="notif_webhook_team_idx")]

    def __str__(self) -> str:
        return f"Webhook {self.pk} of team {self.team_id} → {self.url}"

    def wants(self, name: str) -> bool:
        return not self.events or name in self.events


class WebhookDelivery(models.Model):
    """One event (or test ping) sent to one webhook, with its attempts.

    (webhook, event) is unique, so an outbox processed twice creates one delivery.
    `uuid` is the id receivers see (payload "id", X-Tracker-Delivery) and stays the
    same across retries. A sender claims an attempt (claimed_at, attempts + 1) with a
    conditional update before it POSTs, so two workers never send the same attempt.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        FAILED = "failed", "Failed, will retry"
        SUCCEEDED = "succeeded", "Succeeded"
        GAVE_UP = "gave_up", "Gave up"

    UNFINISHED = (Status.PENDING, Status.FAILED)
    PING = "ping"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    # None for test pings.
    event = models.ForeignKey(
        IssueEvent,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_deliveries",
    )
    event_name = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "event"], name="notifications_webhookdelivery_unique_event"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "failed", "succeeded", "gave_up"]),
                name="notifications_webhookdelivery_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["webhook", "-created_at"], name="notif_whdelivery_recent_idx"),
            # The periodic requeue looks only at unfinished deliveries that are due.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "failed"]),
                name="notif_whdelivery_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} to webhook {self.webhook_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status not in self.UNFINISHED
