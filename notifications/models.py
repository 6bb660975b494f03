from django.conf import settings
from django.db import models
from django.utils import timezone

from issues.models import Issue, IssueEvent


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

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="notifications")
    event = models.ForeignKey(IssueEvent, on_delete=models.CASCADE, related_name="notifications")
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
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_idx"),
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
