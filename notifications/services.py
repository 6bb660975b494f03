"""Who hears about what: turns IssueEvents into Notifications, once per recipient."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from issues.models import IssueEvent

from .models import Notification

Kind = IssueEvent.Kind


def recipients_for(event: IssueEvent) -> dict[int, str]:
    """{user id: notification kind} for one event. The actor never hears of their own act."""
    found: dict[int, str] = {}
    issue = event.issue
    if event.kind == Kind.ASSIGNED and event.subject_user_id:
        found[event.subject_user_id] = Notification.Kind.ASSIGNED
    for user_id in event.data.get("mentions", []) if isinstance(event.data, dict) else []:
        found.setdefault(user_id, Notification.Kind.MENTIONED)
    if event.kind in {Kind.COMMENTED, Kind.STATUS_CHANGED}:
        kind = (
            Notification.Kind.COMMENTED
            if event.kind == Kind.COMMENTED
            else Notification.Kind.STATUS_CHANGED
        )
        for user_id in issue.watchers.values_list("pk", flat=True):
            found.setdefault(user_id, kind)
    found.pop(event.actor_id, None)
    return found


def notify(event_ids: Iterable[int]) -> list[Notification]:
    """Create the in-app notifications for these events; safe to run twice."""
    created = []
    events = IssueEvent.objects.filter(pk__in=list(event_ids)).select_related("issue")
    for event in events:
        for user_id, kind in recipients_for(event).items():
            try:
                with transaction.atomic():
                    note, was_new = Notification.objects.get_or_create(
                        event=event,
                        recipient_id=user_id,
                        defaults={
                            "kind": kind,
                            "issue": event.issue,
                            "created_at": event.created_at,
                        },
                    )
            except IntegrityError:  # a concurrent run created it first
                continue
            if was_new:
                created.append(note)
    return created
