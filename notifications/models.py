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
