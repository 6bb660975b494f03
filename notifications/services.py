"""Who hears about what, and how: IssueEvents become Notifications (in-app) once per
recipient, and emails (right away or in a daily digest) once per notification.

Every step is safe to run twice: notifications are unique per (event, recipient),
outbox rows and emails are claimed with conditional updates before work is done.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Collection, Iterable
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, prefetch_related_objects
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Membership
from issues.models import IssueEvent

from . import customer_emails, webhooks
from .models import UNREAD, Notification, Outbox, Preference

log = logging.getLogger(__name__)
Kind = IssueEvent.Kind
NKind = Notification.Kind

# Emails older than this are not queued again by requeue_unsent_emails (give up).
REQUEUE_WINDOW = dt.timedelta(days=2)


def claim_timeout() -> dt.timedelta:
    """A claimed email not marked sent after this long belongs to a crashed worker."""
    return dt.timedelta(seconds=settings.EMAIL_CLAIM_TIMEOUT_SECONDS)


# Outbox rows younger than this are left to the task queued after commit.
OUTBOX_GRACE = dt.timedelta(seconds=30)


# --- recipients -------------------------------------------------------------------


def _members(team_id: int, roles: Iterable[str]) -> list[int]:
    return list(
        Membership.objects.filter(team_id=team_id, role__in=list(roles), user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def recipients_for(event: IssueEvent) -> dict[int, str]:
    """{user id: notification kind} for one event. The actor never hears of their own act.

    - assigned: the assignee;
    - mentions (comments, descriptions): the people mentioned;
    - commented, status_changed: the issue's watchers (reporters, assignees and
      commenters watch by default);
    - became_stale: the assignees, or the team's admins when unassigned (issues waiting
      on the customer are not swept as stale);
    - follow_up_due: who moved the issue to waiting (else its reporter, else the team's
      support people);
    - stale_escalated: the team's admins.
    """
    found: dict[int, str] = {}
    issue = event.issue
    data = event.data if isinstance(event.data, dict) else {}
    if event.kind == Kind.ASSIGNED and event.subject_user_id:
        found[event.subject_user_id] = NKind.ASSIGNED
    for user_id in data.get("mentions", []):
        found.setdefault(user_id, NKind.MENTIONED)
    if event.kind in {Kind.COMMENTED, Kind.STATUS_CHANGED}:
        kind = NKind.COMMENTED if event.kind == Kind.COMMENTED else NKind.STATUS_CHANGED
        for user_id in issue.watchers.values_list("pk", flat=True):
            found.setdefault(user_id, kind)
    if event.kind == Kind.BECAME_STALE:
        targets = list(issue.assignments.values_list("user_id", flat=True))
        targets = targets or _members(issue.team_id, [Membership.Role.ADMIN])
        for user_id in targets:
            found.setdefault(user_id, NKind.STALE)
    if event.kind == Kind.FOLLOW_UP_DUE:
        targets = [pk for pk in data.get("notify", []) if pk]
        targets = targets or _members(issue.team_id, [Membership.Role.SUPPORT])
        for user_id in targets:
            found.setdefault(user_id, NKind.FOLLOW_UP)
    if event.kind == Kind.STALE_ESCALATED:
        for user_id in _members(issue.team_id, [Membership.Role.ADMIN]):
            found.setdefault(user_id, NKind.ESCALATED)
    found.pop(event.actor_id, None)
    return found


def preference_for(user_id: int) -> Preference:
    return Preference.objects.filter(user_id=user_id).first() or Preference(user_id=user_id)


# --- in-app -----------------------------------------------------------------------


def load_events(event_ids: Iterable[int]) -> list[IssueEvent]:
    """The events of one change in order, with their issue and team: one query for
    `notify`, the webhooks and the customer emails. What only some events need (their
    comment, status or actor) those read for the events that need it: a join of all
    six tables took PostgreSQL longer to plan than to run."""
    return list(
        IssueEvent.objects.filter(pk__in=list(event_ids))
        .select_related("issue__team")
        .order_by("created_at", "id")
    )


def notify(events: list[IssueEvent]) -> list[Notification]:
    """Create the notifications for these events (from `load_events`); the "email right
    away" ones are sent after commit by `send_now`, in this process. Safe to run twice:
    returns only the ones it created.

    One read finds the recipients (with their preferences, and the events' actors whom
    the emails name) and one INSERT adds the notifications, whatever the number of
    events and people. An INSERT that hits ones created before (the unique (event,
    recipient) constraint: a second run, or a concurrent one) creates them one at a
    time, skipping the taken ones."""
    wanted = [(event, recipients_for(event)) for event in events]
    wanted = [(event, recipients) for event, recipients in wanted if recipients]
    if not wanted:
        return []
    actor_ids = {event.actor_id for event, _ in wanted if event.actor_id}
    recipient_ids = {user_id for _, recipients in wanted for user_id in recipients}
    people = {
        user.pk: user
        for user in get_user_model()
        .objects.filter(pk__in=recipient_ids | actor_ids)
        .select_related("notification_preference")
    }
    new = []
    for event, recipients in wanted:
        if event.actor_id in people:
            event.actor = people[event.actor_id]
        for user_id, kind in recipients.items():
            if user_id not in people:
                continue  # deleted since the event
            preference = _preference(people[user_id]) or Preference(user_id=user_id)
            new.append(
                Notification(
                    event=event,
                    recipient=people[user_id],
                    kind=kind,
                    issue=event.issue,
                    created_at=event.created_at,
                    email_mode={"email": "email", "digest": "digest"}.get(
                        preference.channel_for(kind), ""
                    ),
                )
            )
    if not new:
        return []
    try:
        with transaction.atomic():
            created = Notification.objects.bulk_create(new)
    except IntegrityError:  # some exist already (a second run, or a concurrent one)
        created = [note for note in new if _insert_new(note)]
    emails = [note for note in created if note.email_mode == "email"]
    if emails:
        transaction.on_commit(partial(send_now, emails), robust=True)
    return created


def _preference(user) -> Preference | None:
    try:
        return user.notification_preference
    except Preference.DoesNotExist:
        return None


def _insert_new(note: Notification) -> bool:
    try:
        with transaction.atomic():
            note.save(force_insert=True)
    except IntegrityError:
        return False
    return True


def process_outbox(outbox_id: int, *, now: dt.datetime | None = None) -> int:
    """Turn one outbox row into notifications, once. Returns how many were created."""
    now = now or timezone.now()
    with transaction.atomic():
        event_ids = _claim_outbox(outbox_id, now)
        if event_ids is None:  # done already, or another worker has it right now
            return 0
        return _deliver(load_events(event_ids))


def _deliver(events: list[IssueEvent]) -> int:
    """Notifications, webhook deliveries and customer emails for these events, inside
    the transaction that claimed their outbox rows; what is sent is sent after commit."""
    created = notify(events)
    webhooks.create_deliveries(events)  # queued on commit, like the emails
    customer_emails.create_deliveries(events)
    return len(created)


def _claim_outbox(outbox_id: int, now: dt.datetime) -> list[int] | None:
    """Mark the row processed and return its events, or None if it was processed or is
    locked by another worker (skipped, not waited for)."""
    rows = _claim_rows(now, 1, outbox_id=outbox_id)
    return rows[0][1] if rows else None


def _claim_rows(
    now: dt.datetime, limit: int, *, skip: Collection[int] = (), outbox_id: int | None = None
) -> list[tuple[int, list[int]]]:
    """Mark up to `limit` pending rows processed (oldest first, or only `outbox_id`, and
    none in `skip`) and return (id, event ids) of each, by id. One statement instead of
    a locking read and a save at the end: the mark is undone with the transaction if the
    work fails, and the rows stay locked until it commits. On PostgreSQL rows another
    worker holds are skipped, not waited for; SQLite runs one writer at a time."""
    table = connection.ops.quote_name(Outbox._meta.db_table)
    only = " AND id = %s" if outbox_id is not None else ""
    excluded = f" AND id NOT IN ({', '.join(['%s'] * len(skip))})" if skip else ""
    skip_locked = connection.features.has_select_for_update_skip_locked
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
    with connection.cursor() as cursor:
        cursor.execute(
            # The model's table and fixed conditions; the values are parameters.
            f"UPDATE {table} SET processed_at = %s, attempts = attempts + 1 "  # noqa: S608  # nosec B608
            f"WHERE processed_at IS NULL AND id IN (SELECT id FROM {table} "
            f"WHERE processed_at IS NULL{only}{excluded} ORDER BY created_at, id LIMIT %s{lock}) "
            "RETURNING id, event_ids",
            [
                connection.ops.adapt_datetimefield_value(now),
                *([outbox_id] if outbox_id is not None else []),
                *sorted(skip),
                limit,
            ],
        )
        rows = cursor.fetchall()
    field = Outbox._meta.get_field("event_ids")
    return sorted((pk, field.from_db_value(ids, None, connection)) for pk, ids in rows)


# --- the outbox, in batches ---------------------------------------------------------

# Rows one transaction of `process_pending` claims, and batches one task runs before it
# hands what is left to a fresh task.
OUTBOX_BATCH = 50
OUTBOX_BATCHES = 20
# Seconds the worker's task waits after a batch that found changes, for the next ones.
OUTBOX_LINGER = 0.1


def wakeup_key() -> str:
    """The cache key that says "a task will look at the outbox": one per database."""
    return f"notifications:outbox-wakeup:{connection.settings_dict['NAME']}"


def claim_wakeup() -> bool | None:
    """Whether a change just committed must queue a `process_outbox` task: False when
    one is queued or running and has not yet looked at the outbox since (it will see
    this change); None when the cache is unreachable. Needs a cache every process
    shares (Redis: NOTIFY_SHARED_WAKEUP); without one every change queues its task."""
    if not settings.NOTIFY_SHARED_WAKEUP:
        return True
    if cache.add(wakeup_key(), 1, timeout=OUTBOX_GRACE.total_seconds()):
        return True
    reachable = getattr(cache, "reachable", None)  # FailOpenRedisCache's
    return False if reachable is None or reachable() else None


def release_wakeup() -> None:
    if settings.NOTIFY_SHARED_WAKEUP:
        cache.delete(wakeup_key())


def process_pending(
    *,
    now: dt.datetime | None = None,
    linger: float = 0.0,
    batch_size: int = OUTBOX_BATCH,
    max_batches: int = OUTBOX_BATCHES,
) -> int:
    """Process every pending outbox row, `batch_size` rows per transaction: what a
    wake-up task does. Returns how many notifications were created.

    One task takes the changes of many requests: one read of their events, one INSERT
    of their notifications and one mail connection per batch, where a task per change
    paid all of it, and Celery's own cost, every time.

    With `linger` (the worker's task), after a batch that found changes the task waits
    that many seconds and looks again, the wake-up still held: changes come in runs (a
    busy hour, a bulk edit, an import), and those of the next moment join the next
    batch instead of each queuing a task. The first change after a quiet spell does not
    wait; one that comes during a run waits at most `linger`.

    The wake-up (`claim_wakeup`) is released when a batch finds nothing, then the
    outbox is read once more: a change that committed before the release found the
    wake-up taken and queued nothing, so this last pass is what delivers it; one that
    commits after queues its own task. After `max_batches` a fresh task takes the rest,
    so one task does not run without end under a steady stream of changes."""
    failed: set[int] = set()
    created, released = 0, False
    try:
        for _ in range(max_batches):
            count, claimed = _process_batch(batch_size, failed, now)
            created += count
            if claimed == batch_size:
                continue  # more are waiting
            if released:
                return created
            if claimed and linger:
                time.sleep(linger)
                continue
            release_wakeup()
            released = True
    except Exception:
        release_wakeup()  # the next change queues a task again, not only the drain
        raise
    from .tasks import process_outbox

    process_outbox.delay()
    return created


def _process_batch(limit: int, failed: set[int], now: dt.datetime | None) -> tuple[int, int]:
    """Claim up to `limit` pending rows (not those in `failed`) and deliver their events
    in one transaction. Returns (notifications created, rows claimed).

    If delivering the batch fails, it is undone and each row is delivered on its own,
    so one bad row does not hold back the others; a row that fails alone is logged,
    added to `failed` and left pending for the periodic drain."""
    claimed: list[int] = []
    try:
        with transaction.atomic():
            rows = _claim_rows(now or timezone.now(), limit, skip=failed)
            claimed = [pk for pk, _ in rows]
            if not rows:
                return 0, 0
            return _deliver(load_events(pk for _, ids in rows for pk in ids)), len(rows)
    except Exception:
        if not claimed:
            raise
        log.exception("outbox rows %s failed together; delivering them one at a time", claimed)
    created = 0
    for pk in claimed:
        try:
            created += process_outbox(pk, now=now)
        except Exception:
            log.exception("outbox row %s could not be delivered; the drain will retry it", pk)
            failed.add(pk)
    return created, len(claimed)


def drain_outbox(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Process outbox rows whose queued task never ran (broker down, worker lost)."""
    now = now or timezone.now()
    pending = list(
        Outbox.objects.filter(processed_at__isnull=True, created_at__lt=now - OUTBOX_GRACE)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(process_outbox(pk, now=now) for pk in pending)


# --- email ------------------------------------------------------------------------


def unsent_emails(*, now: dt.datetime | None = None, limit: int = 1000) -> list[int]:
    """Notifications to email right away that are still unsent past the outbox grace,
    and not claimed by a live worker: their task was lost (a worker killed with its
    unacknowledged message, the broker down) or ran out of retries."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(
            email_mode="email",
            emailed_at__isnull=True,
            created_at__lt=now - OUTBOX_GRACE,
            created_at__gte=now - REQUEUE_WINDOW,
        )
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - claim_timeout()))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def describe(note: Notification) -> dict[str, str]:
    """Subject and one-line summary of a notification, as plain (unescaped) text."""
    event, issue = note.event, note.issue
    actor = event.actor.name if event.actor else "The tracker"
    data = event.data if isinstance(event.data, dict) else {}
    key = issue.key
    if note.kind == NKind.ASSIGNED:
        line = (
            f"{actor} assigned you {key}: {issue.title} (priority {issue.get_priority_display()})."
        )
        subject = f"[{key}] Assigned to you: {issue.title}"
    elif note.kind == NKind.MENTIONED:
        line = f"{actor} mentioned you on {key}: {issue.title}."
        subject = f"[{key}] {actor} mentioned you"
    elif note.kind == NKind.COMMENTED:
        line = f"{actor} commented on {key}: {issue.title}."
        subject = f"[{key}] New comment from {actor}"
    elif note.kind == NKind.STATUS_CHANGED:
        line = f"{actor} moved {key} from {data.get('from')} to {data.get('to')}."
        subject = f"[{key}] {data.get('from')} → {data.get('to')}: {issue.title}"
    elif note.kind == NKind.STALE:
        quiet = data.get("quiet_days")
        line = f"{key} has had no activity for {quiet} days in {data.get('status')}."
        subject = f"[{key}] Gone quiet: {issue.title}"
    elif note.kind == NKind.FOLLOW_UP:
        line = (
            f"{key} has been waiting on the customer for {data.get('quiet_days')} days. "
            "Please follow up with them."
        )
        subject = f"[{key}] Follow up with the customer: {issue.title}"
    else:
        line = f"{key} has had no activity for {data.get('quiet_days')} days and is escalated."
        subject = f"[{key}] Escalated: {issue.title}"
    return {"subject": subject, "line": line}


def _comment_text(note: Notification) -> str:
    comment = note.event.comment
    return comment.body if comment is not None else ""


def _send(to: str, subject: str, template: str, context: dict, mailer=None) -> None:
    """Render and send one email: through `mailer` (an open backend, to send several
    over one connection), else the default mailer."""
    text = render_to_string(f"notifications/email/{template}.txt", context)
    html = render_to_string(f"notifications/email/{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    if mailer is None:
        message.send()
    else:
        mailer.send_messages([message])


def _send_note(note: Notification, mailer=None) -> None:
    """Email one notification (its recipient, issue with team, event with actor and
    comment loaded)."""
    info = describe(note)
    context = {
        "note": note,
        "issue": note.issue,
        "line": info["line"],
        "comment": _comment_text(note),
        "url": settings.SITE_URL + note.issue.get_absolute_url(),
        "inbox_url": settings.SITE_URL + "/inbox/",
        "preferences_url": settings.SITE_URL + "/inbox/preferences/",
    }
    _send(note.recipient.email, info["subject"], "notification", context, mailer)


def _claim(notes, now: dt.datetime) -> int:
    stale_claim = now - claim_timeout()
    return (
        notes.filter(emailed_at__isnull=True)
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=stale_claim))
        .update(email_claimed_at=now)
    )


def _mailable(note: Notification) -> bool:
    return bool(note.recipient.email and note.recipient.is_active)


def send_email(notification_id: int, *, now: dt.datetime | None = None) -> bool:
    """Email one notification unless it was already (being) sent. Returns True if sent.

    A failure to send releases the claim and re-raises, so the task's retry sends it."""
    now = now or timezone.now()
    claimed = _claim(Notification.objects.filter(pk=notification_id), now)
    if not claimed:
        return False
    note = Notification.objects.select_related(
        "recipient", "issue__team", "event__actor", "event__comment"
    ).get(pk=notification_id)
    if not _mailable(note):
        Notification.objects.filter(pk=note.pk).update(emailed_at=now)
        return False
    try:
        _send_note(note)
    except Exception:
        Notification.objects.filter(pk=note.pk, email_claimed_at=now).update(email_claimed_at=None)
        raise
    Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())
    return True


def send_now(notes: list[Notification]) -> int:
    """Email the "email right away" notifications `notify` has just created, after
    its commit and in its process (the worker's outbox task): no task and no read of
    their own. Returns how many were sent.

    They are claimed first, as `send_email` claims one, and sent over one connection.
    At the first failure the ones not sent yet are released and each queued to
    `send_notification_email`, whose retries back off; if even that fails (the broker
    is down), `requeue_unsent_emails` finds them. A worker that dies before claiming
    leaves them to that requeue too, and one that dies after, once the claim expires.
    """
    from .tasks import send_notification_email

    now = timezone.now()
    ids = [note.pk for note in notes]
    if _claim(Notification.objects.filter(pk__in=ids), now) != len(ids):
        mine = set(
            Notification.objects.filter(pk__in=ids, email_claimed_at=now).values_list(
                "pk", flat=True
            )
        )
        notes = [note for note in notes if note.pk in mine]
    prefetch_related_objects([note.event for note in notes if note.event.comment_id], "comment")
    to_send = [note for note in notes if _mailable(note)]
    done = [note.pk for note in notes if not _mailable(note)]  # nobody to mail: settled
    sent, failure = 0, None
    try:
        if to_send:
            with mailers.default as mailer:
                for note in to_send:
                    _send_note(note, mailer)
                    done.append(note.pk)
                    sent += 1
    except Exception as error:
        failure = error
    if done:
        Notification.objects.filter(pk__in=done).update(emailed_at=timezone.now())
    if failure is not None:
        log.warning("notification emails not sent yet (%s); their tasks will retry", failure)
        rest = [note.pk for note in to_send[sent:]]
        Notification.objects.filter(pk__in=rest, email_claimed_at=now).update(email_claimed_at=None)
        for pk in rest:
            send_notification_email.delay(pk)
    return sent


def send_digest(user_id: int, *, now: dt.datetime | None = None) -> int:
    """One email with every digest notification of `user_id` not yet mailed."""
    now = now or timezone.now()
    pending = Notification.objects.filter(recipient_id=user_id, email_mode="digest")
    with transaction.atomic():
        ids = list(
            pending.filter(emailed_at__isnull=True)
            .filter(
                Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - claim_timeout())
            )
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        claimed = _claim(Notification.objects.filter(pk__in=ids), now)
        if not claimed:
            return 0
    notes = list(
        Notification.objects.filter(pk__in=ids, email_claimed_at=now)
        .select_related("recipient", "issue__team", "event__actor", "event__comment")
        .order_by("created_at")
    )
    if not notes:
        return 0
    user = notes[0].recipient
    items = [
        {"line": describe(n)["line"], "url": settings.SITE_URL + n.issue.get_absolute_url()}
        for n in notes
    ]
    context = {
        "user": user,
        "items": items,
        "inbox_url": settings.SITE_URL + "/inbox/",
        "preferences_url": settings.SITE_URL + "/inbox/preferences/",
    }
    subject = f"Your tracker digest: {len(items)} update{'s' if len(items) != 1 else ''}"
    try:
        if user.email and user.is_active:
            _send(user.email, subject, "digest", context)
    except Exception:
        Notification.objects.filter(pk__in=[n.pk for n in notes], email_claimed_at=now).update(
            email_claimed_at=None
        )
        raise
    Notification.objects.filter(pk__in=[n.pk for n in notes]).update(emailed_at=timezone.now())
    Preference.objects.update_or_create(user_id=user_id, defaults={"last_digest_at": now})
    return len(notes)


def digest_recipients() -> list[int]:
    return list(
        Notification.objects.filter(email_mode="digest", emailed_at__isnull=True)
        .values_list("recipient_id", flat=True)
        .distinct()
    )


# --- inbox --------------------------------------------------------------------------


def mark_read(user, notification_ids: Iterable[int] | None = None, *, now=None) -> int:
    """Mark the user's notifications read (all unread ones when ids is None)."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=now or timezone.now())


def set_preferences(user, channels: dict[str, str]) -> Preference:
    clean = {
        kind: channel
        for kind, channel in channels.items()
        if kind in NKind.values and channel in Preference.Channel.values
    }
    pref, _ = Preference.objects.update_or_create(user=user, defaults={"channels": clean})
    return pref


def inbox(user):
    """The user's notifications, unread first, then newest first (notif_inbox_idx)."""
    return (
        Notification.objects.filter(recipient=user)
        .select_related("issue__team", "event__actor")
        .order_by(UNREAD.desc(), "-created_at", "-id")
    )
