"""Every change to an issue goes through this module.

Each public function runs in one transaction and, in order:

1. locks what it reads-then-writes (the issue row; the team row for create_issue,
   which is what keeps keys such as ENG-42 unique and gap-free),
2. checks the actor with accounts.permissions.require,
3. validates, raising DomainError (with the field) so nothing is half-saved,
4. changes the rows, then bumps the issue's `version` and `last_activity_at`,
5. appends one IssueEvent per fact that changed (`_record` alone creates them),
   and, for the status, closes the current StatusPeriod and opens the next one
   (`_enter_status` alone writes periods; `rebuild_status_periods` recomputes them),
6. hands the new events to notifications after commit (`_publish`).

A change that changes nothing writes nothing and returns None or an empty list, so
double clicks and retries are harmless. `actor=None` means the system.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
import time
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Min, OuterRef, QuerySet, Subquery
from django.utils import timezone

from accounts import permissions
from accounts.models import Membership, Team

from . import attachments, markdown, pickers, search
from .models import (
    STALE_SWEEP_Q,
    Assignment,
    Attachment,
    Comment,
    Customer,
    Issue,
    IssueCustomer,
    IssueEvent,
    Label,
    Status,
    StatusPeriod,
)

User = get_user_model()

TITLE_MAX = 300
TEXT_MAX = 100_000

Kind = IssueEvent.Kind
_IN_PROGRESS = Status.Category.IN_PROGRESS

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A change the rules refuse; `field` names the input at fault, if any."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class StaleVersion(DomainError):
    """The issue changed since the caller loaded it (optimistic concurrency)."""

    def __init__(self, issue: Issue, expected: int):
        super().__init__(
            f"{issue.key} was changed by someone else (version {issue.version}, "
            f"you had {expected}). Reload to see their change.",
            field="version",
        )
        self.current_version = issue.version


# --- notifications hand-off -------------------------------------------------------

_publishing = contextvars.ContextVar("issue_events_published", default=True)


@contextlib.contextmanager
def events_unpublished() -> Iterator[None]:
    """Write events without notifying anyone: for importing history (seed_demo)."""
    token = _publishing.set(False)
    try:
        yield
    finally:
        _publishing.reset(token)


def _publish(events: list[IssueEvent]) -> None:
    """Hand the events to notifications: an outbox row in this transaction, and after
    commit a task to process it, unless one is already due (`claim_wakeup`). If the
    broker is down the row waits for the periodic drain, and the error is logged, never
    raised for a change that has already been saved."""
    if not events or not _publishing.get():
        return
    from notifications.models import Outbox

    Outbox.objects.create(event_ids=[e.pk for e in events])
    transaction.on_commit(_queue_delivery, robust=True)


# After a failed publish, requests stop trying the broker for this long (each try costs
# up to a second while it is down); the outbox drain delivers what they saved meanwhile.
BROKER_RETRY_SECONDS = 10.0
_broker_down_until = 0.0


def _queue_delivery() -> None:
    global _broker_down_until  # one circuit breaker per process
    from notifications import services as notify
    from notifications.tasks import process_outbox

    if not process_outbox.app.conf.task_always_eager and time.monotonic() < _broker_down_until:
        return
    due = notify.claim_wakeup()
    if due is False:
        return  # a task is due that has not read the outbox yet: it will see this change
    if due is None and settings.CELERY_BROKER_URL == settings.REDIS_URL:
        # The cache's Redis is the broker: down too. Do not wait on it a second time.
        _broker_down_until = time.monotonic() + BROKER_RETRY_SECONDS
        log.warning("broker unreachable (Redis is down); the outbox drain will deliver")
        return
    try:
        process_outbox.delay()
    except Exception:
        notify.release_wakeup()  # so the next change tries the broker again
        _broker_down_until = time.monotonic() + BROKER_RETRY_SECONDS
        raise


# --- helpers ----------------------------------------------------------------------


def _lock(issue: Issue) -> Issue:
    return Issue.objects.select_for_update().select_related("team", "status").get(pk=issue.pk)


def _check_version(issue: Issue, expected_version: int | None) -> None:
    if expected_version is not None and issue.version != expected_version:
        raise StaleVersion(issue, expected_version)


def _event(
    issue: Issue, actor: User | None, kind: str, now: dt.datetime, **fields: Any
) -> IssueEvent:
    """An unsaved timeline event: `_record` saves one, sweeps save many in bulk."""
    return IssueEvent(issue=issue, actor=actor, kind=kind, created_at=now, **fields)


def _record(
    issue: Issue, actor: User | None, kind: str, now: dt.datetime, **fields: Any
) -> IssueEvent:
    event = _event(issue, actor, kind, now, **fields)
    event.save(force_insert=True)
    return event


def _enter_status(
    issue: Issue, event: IssueEvent, now: dt.datetime, *, first: bool = False
) -> None:
    """Close the issue's open period and open one for `event.to_status`.

    Periods follow the order of the events (their ids). A `now` earlier than the open
    period's start (a replay with out-of-order times) is clamped to that start, which
    is exactly what the rebuild's running maximum computes.
    """
    entered_at = now
    current = (
        None if first else StatusPeriod.objects.filter(issue=issue, left_at__isnull=True).first()
    )
    if current is not None:
        entered_at = max(now, current.entered_at)
        current.left_at = entered_at
        current.save(update_fields=["left_at"])
    StatusPeriod.objects.create(
        issue=issue,
        team_id=issue.team_id,
        status_id=event.to_status_id,
        entered_at=entered_at,
        entered_by_id=event.actor_id,
        entered_event=event,
    )
    if issue.started_at is None and event.to_status.category == _IN_PROGRESS:
        issue.started_at = entered_at  # saved with the status (_STATUS_FIELDS)


def _touch(issue: Issue, events: list[IssueEvent], now: dt.datetime, *fields: str) -> None:
    """Save `fields` plus the version and activity clock, once per call that changed something."""
    if not events:
        return
    issue.version += 1
    issue.last_activity_at = max(issue.last_activity_at, now)
    issue.save(update_fields=[*fields, "version", "last_activity_at"])
    _publish(events)


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise DomainError("A title is required.", field="title")
    if len(title) > TITLE_MAX:
        raise DomainError(f"The title is longer than {TITLE_MAX} characters.", field="title")
    return title


def _clean_text(text: str, field: str, *, required: bool = False) -> str:
    text = (text or "").strip()
    if required and not text:
        raise DomainError("This cannot be empty.", field=field)
    if len(text) > TEXT_MAX:
        raise DomainError(f"This is longer than {TEXT_MAX:,} characters.", field=field)
    return text


def _choice(value: Any, choices: type, field: str) -> Any:
    try:
        return choices(value)
    except ValueError:
        allowed = ", ".join(str(c) for c in choices.values)
        raise DomainError(f"{value!r} is not one of: {allowed}.", field=field) from None


def _check_status(team: Team, status: Status) -> None:
    if status.team_id != team.pk:
        raise DomainError(f"The status {status.name!r} belongs to another team.", field="status")


def _check_label(team: Team, label: Label) -> None:
    if label.team_id != team.pk:
        raise DomainError(f"The label {label.name!r} belongs to another team.", field="labels")


def _check_assignable(team: Team, *users: User) -> None:
    """Every one of `users` is an active member of `team` who may be assigned.

    Checked against the team's pickers (its assignable members at the `pickers_version`
    of the `team` row, which callers read inside their transaction: the create's number
    UPDATE, an update's issue lock); only someone not among them costs a query, which
    says why (not a member, inactive, a viewer)."""
    if not users:
        return
    assignable = {member.pk for member in pickers.team_pickers(team)["members"]}
    if all(user.pk in assignable for user in users):
        return
    roles = dict(
        Membership.objects.filter(team=team, user__in=[u.pk for u in users]).values_list(
            "user_id", "role"
        )
    )
    for user in users:
        role = roles.get(user.pk)
        if role is None or not user.is_active:
            raise DomainError(f"{user.username} is not a member of {team.key}.", field="assignees")
        if role == Membership.Role.VIEWER:
            raise DomainError(
                f"{user.username} is a viewer in {team.key} and cannot be assigned.",
                field="assignees",
            )


def _take_number(team: Team) -> int:
    """Take the team's next issue number.

    The UPDATE locks the team row until commit, so concurrent creators wait here and each
    reads the number the previous one left: keys stay unique, and a rollback gives the
    number back, so they stay gap-free. One statement instead of SELECT ... FOR UPDATE
    followed by an UPDATE.

    Also reads the locked row's `pickers_version` into `team`: what the create then
    checks against the team's pickers (statuses, assignable members) is what is
    committed, and no change to them can commit before this transaction does.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Team._meta.db_table} SET next_number = next_number + 1 "  # noqa: S608  # nosec B608
            "WHERE id = %s RETURNING next_number, pickers_version",
            [team.pk],
        )
        next_number, version = cursor.fetchone()
    team.next_number = next_number
    team.pickers_version = Team._meta.get_field("pickers_version").to_python(version)
    return next_number - 1


def default_status(team: Team) -> Status:
    """Where new issues start: the team's first triage status, else its first status
    (from the team's pickers, at the version of the `team` row)."""
    statuses = pickers.team_pickers(team)["statuses"]
    if not statuses:
        raise DomainError(f"Team {team.key} has no statuses.", field="status")
    return next((s for s in statuses if s.category == Status.Category.TRIAGE), statuses[0])


def _resolved_at(issue: Issue, to: Status, now: dt.datetime) -> dt.datetime | None:
    """Set when an issue enters a done/cancelled status, cleared when it leaves them."""
    if not to.is_closed:
        return None
    return issue.resolved_at or now


def _mention_ids(team: Team, text: str) -> list[int]:
    handles = markdown.mentioned_handles(text)
    if not handles:
        return []
    return list(
        Membership.objects.filter(team=team, user__username__in=handles, user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def _add_watchers(issue: Issue, users: Iterable[User]) -> None:
    issue.watchers.add(*users)


# --- teams ------------------------------------------------------------------------


@transaction.atomic
def create_team(*, key: str, name: str, actor: User | None, now: dt.datetime | None = None) -> Team:
    """Create a team with the default workflow; the actor (if any) becomes its admin."""
    from .models import DEFAULT_WORKFLOW

    key = (key or "").strip().upper()
    if actor is not None and not actor.is_superuser:
        raise permissions.PermissionDenied("Only site administrators create teams.")
    if Team.objects.filter(key=key).exists():
        raise DomainError(f"A team with key {key} already exists.", field="key")
    team = Team(key=key, name=(name or "").strip(), created_at=now or timezone.now())
    try:
        team.full_clean(exclude=["next_number"])
    except Exception as error:  # ValidationError: report the first message with its field
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(messages[0], field=field) from None
    team.save()
    Status.objects.bulk_create(
        Status(
            team=team,
            name=name,
            category=category,
            position=position,
            stale_after=dt.timedelta(days=days) if days else None,
        )
        for position, (name, category, days) in enumerate(DEFAULT_WORKFLOW)
    )
    if actor is not None:
        Membership.objects.create(
            team=team, user=actor, role=Membership.Role.ADMIN, created_at=team.created_at
        )
    return team


# --- creating ---------------------------------------------------------------------


@transaction.atomic
def create_issue(
    team: Team,
    *,
    actor: User | None,
    title: str,
    description: str = "",
    kind: str = Issue.Kind.BUG,
    priority: int = Issue.Priority.NONE,
    status: Status | None = None,
    assignees: Iterable[User] = (),
    labels: Iterable[Label] = (),
    customer: Customer | None = None,
    customers: Iterable[Customer] = (),
    channel: str = Issue.Channel.WEB,
    due_date: dt.date | None = None,
    reporter: User | None = None,
    follow_up_of: Issue | None = None,
    now: dt.datetime | None = None,
) -> Issue:
    """File a new issue in `team` and return it.

    Takes the team's next number under a row lock (gap-free keys under concurrency).
    Writes `created`, then one `assigned` per assignee; the reporter and assignees
    watch the issue. `customer` (one, what email intake passes) and `customers` are the
    affected customers; they are part of the `created` event, not events of their own.
    `follow_up_of` names an earlier issue this one continues (email intake: a reply to
    a closed issue, or from someone not on it); the `created` event records its key.
    Raises DomainError for invalid input, PermissionDenied for a role that may not
    create (or triage, when assignees or labels are given).
    """
    now = now or timezone.now()
    permissions.require(actor, "create", team)
    assignees, labels = list(dict.fromkeys(assignees)), list(dict.fromkeys(labels))
    if assignees or labels:
        permissions.require(actor, "triage", team)
    title = _clean_title(title)
    description = _clean_text(description, "description")
    kind = _choice(kind, Issue.Kind, "kind")
    priority = _choice(priority, Issue.Priority, "priority")
    channel = _choice(channel, Issue.Channel, "channel")
    # The number first: its UPDATE locks the team row and reads its pickers version,
    # which the checks below use (a failed check rolls the number back).
    number = _take_number(team)
    if status is None:
        status = default_status(team)
    _check_status(team, status)
    for label in labels:
        _check_label(team, label)
    _check_assignable(team, *assignees)
    reporter = reporter if reporter is not None else actor
    affected = list(dict.fromkeys([*([customer] if customer else []), *customers]))

    issue = Issue.objects.create(
        team=team,
        number=number,
        title=title,
        description=description,
        description_html=markdown.render(description),
        kind=kind,
        priority=priority,
        status=status,
        reporter=reporter,
        customer_count=len(affected),
        channel=channel,
        due_date=due_date,
        created_at=now,
        last_activity_at=now,
        resolved_at=now if status.is_closed else None,
        started_at=now if status.category == _IN_PROGRESS else None,
        # Written by the INSERT: a new issue has no comments yet, so this is what
        # search.reindex would compute, without a second statement.
        search_vector=search.new_document(title, description),
    )
    issue.labels.add(*labels)
    IssueCustomer.objects.bulk_create(
        IssueCustomer(issue=issue, customer=c, added_by=actor, added_at=now) for c in affected
    )
    created = _event(
        issue,
        actor,
        Kind.CREATED,
        now,
        to_status=status,
        data={
            "title": title,
            "status": status.name,
            "priority": int(priority),
            "kind": str(kind),
            "channel": str(channel),
            "labels": [label.name for label in labels],
            "customer_ids": [c.pk for c in affected],
            **({"follow_up_of": follow_up_of.key} if follow_up_of else {}),
            "mentions": _mention_ids(team, description),
        },
    )
    # One INSERT for the events and one for the assignments, whatever their number; the
    # events keep their order (ids ascending), `created` first.
    events = IssueEvent.objects.bulk_create(
        [
            created,
            *(
                _event(issue, actor, Kind.ASSIGNED, now, subject_user=u, data={"user": u.username})
                for u in assignees
            ),
        ]
    )
    _enter_status(issue, created, now, first=True)
    Assignment.objects.bulk_create(
        Assignment(issue=issue, user=user, assigned_by=actor, assigned_at=now) for user in assignees
    )
    _add_watchers(issue, [u for u in [reporter, *assignees] if u is not None])
    _publish(events)
    return issue


# --- single facts -----------------------------------------------------------------


def _apply_status(
    issue: Issue,
    to: Status,
    actor: User | None,
    now: dt.datetime,
    data: dict[str, Any] | None = None,
) -> IssueEvent | None:
    _check_status(issue.team, to)
    if to.pk == issue.status_id:
        return None
    previous = issue.status
    data = {"from": previous.name, "to": to.name, **(data or {})}
    if previous.is_closed and not to.is_closed:
        data["reopened"] = True
    event = _record(
        issue, actor, Kind.STATUS_CHANGED, now, from_status=previous, to_status=to, data=data
    )
    _enter_status(issue, event, now)
    issue.status = to
    issue.resolved_at = _resolved_at(issue, to, now)
    _move_waiting_clock(issue, previous, to, actor, now)
    return event


_WAITING = Status.Category.WAITING
# What a status change may write besides the status: resolution, the start of the cycle
# and the waiting clock.
_STATUS_FIELDS = (
    "status",
    "resolved_at",
    "started_at",
    "waiting_since",
    "waiting_set_by",
    "resume_status",
)


def _move_waiting_clock(
    issue: Issue, previous: Status, to: Status, actor: User | None, now: dt.datetime
) -> None:
    """Entering a waiting status starts the follow-up clock and remembers the active
    status to go back to; leaving one stops it. Waiting to waiting keeps the clock."""
    if to.category == _WAITING and previous.category != _WAITING:
        issue.waiting_since, issue.waiting_set_by = now, actor
        issue.resume_status = None if previous.is_closed else previous
    elif to.category != _WAITING:
        issue.waiting_since = issue.waiting_set_by = issue.resume_status = None


def _resume_after_customer_reply(
    issue: Issue, actor: User | None, now: dt.datetime
) -> IssueEvent | None:
    """A customer replied: an issue waiting on them goes back to where it was (or the
    team's first in-progress status, if that one is gone)."""
    if issue.status.category != _WAITING:
        return None
    target = issue.resume_status or (
        Status.objects.filter(team=issue.team, category=Status.Category.IN_PROGRESS)
        .order_by("position", "pk")
        .first()
    )
    if target is None:
        return None
    return _apply_status(issue, target, actor, now, data={"customer_replied": True})


@transaction.atomic
def change_status(
    issue: Issue,
    *,
    to: Status,
    actor: User | None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> IssueEvent | None:
    """Move `issue` to `to`; sets resolved_at entering done/cancelled, clears it leaving.

    Returns None if the issue is already there.
    """
    now = now or timezone.now()
    issue_ = _lock(issue)
    permissions.require(actor, "change_status", issue_.team)
    _check_version(issue_, expected_version)
    event = _apply_status(issue_, to, actor, now)
    events = [event] if event else []
    _touch(issue_, events, now, *_STATUS_FIELDS)
    _refresh(issue, issue_)
    return event


def _apply_assign(
    issue: Issue, user: User, actor: User | None, now: dt.datetime
) -> IssueEvent | None:
    if Assignment.objects.filter(issue=issue, user=user).exists():
        return None
    _check_assignable(issue.team, user)
    Assignment.objects.create(issue=issue, user=user, assigned_by=actor, assigned_at=now)
    issue.watchers.add(user)
    return _record(
        issue, actor, Kind.ASSIGNED, now, subject_user=user, data={"user": user.username}
    )


def _apply_unassign(
    issue: Issue, user: User, actor: User | None, now: dt.datetime
) -> IssueEvent | None:
    deleted, _ = Assignment.objects.filter(issue=issue, user=user).delete()
    if not deleted:
        return None
    return _record(
        issue, actor, Kind.UNASSIGNED, now, subject_user=user, data={"user": user.username}
    )


@transaction.atomic
def assign(
    issue: Issue, *, assignee: User, actor: User | None, now: dt.datetime | None = None
) -> IssueEvent | None:
    """Add `assignee` to the issue's assignees (they start watching it).

    Returns None if they already are assigned. Only team members who are not viewers
    can be assigned; members may assign themselves only with the triage right.
    """
    now = now or timezone.now()
    issue_ = _lock(issue)
    permissions.require(actor, "triage", issue_.team)
    event = _apply_assign(issue_, assignee, actor, now)
    _touch(issue_, [event] if event else [], now)
    _refresh(issue, issue_)
    return event


@transaction.atomic
def unassign(
    issue: Issue, *, assignee: User, actor: User | None, now: dt.datetime | None = None
) -> IssueEvent | None:
    """Remove `assignee`; returns None if they were not assigned."""
    now = now or timezone.now()
    issue_ = _lock(issue)
    permissions.require(actor, "triage", issue_.team)
    event = _apply_unassign(issue_, assignee, actor, now)
    _touch(issue_, [event] if event else [], now)
    _refresh(issue, issue_)
    return event


def _apply_assignees(
    issue: Issue, users: Iterable[User], actor: User | None, now: dt.datetime
) -> list[IssueEvent]:
    wanted = {u.pk: u for u in users}
    current = {
        a.user_id: a.user for a in Assignment.objects.filter(issue=issue).select_related("user")
    }
    events = []
    for user_id, user in current.items():
        if user_id not in wanted:
            events.append(_apply_unassign(issue, user, actor, now))
    for user_id, user in wanted.items():
        if user_id not in current:
            events.append(_apply_assign(issue, user, actor, now))
    return [e for e in events if e]


@transaction.atomic
def set_assignees(
    issue: Issue, *, assignees: Iterable[User], actor: User | None, now: dt.datetime | None = None
) -> list[IssueEvent]:
    """Make the assignees exactly `assignees`: one event per person added or removed."""
    now = now or timezone.now()
    issue_ = _lock(issue)
    permissions.require(actor, "triage", issue_.team)
    events = _apply_assignees(issue_, assignees, actor, now)
    _touch(issue_, events, now)
    _refresh(issue, issue_)
    return events


def _apply_labels(
    issue: Issue, labels: Iterable[Label], actor: User | None, now: dt.datetime, *, mode: str
) -> list[IssueEvent]:
    labels = list(dict.fromkeys(labels))
    for label in labels:
        _check_label(issue.team, label)
    current = {label.pk: label for label in issue.labels.all()}
    wanted = {label.pk: label for label in labels}
    to_add = [lb for pk, lb in wanted.items() if pk not in current] if mode != "remove" else []
    if mode == "set":
        to_remove = [lb for pk, lb in current.items() if pk not in wanted]
    elif mode == "remove":
        to_remove = [lb for pk, lb in wanted.items() if pk in current]
    else:
        to_remove = []
    issue.labels.remove(*to_remove)
    issue.labels.add(*to_add)
    return [
        _record(issue, actor, Kind.UNLABELED, now, data={"label": lb.name, "label_id": lb.pk})
        for lb in to_remove
    ] + [
        _record(issue, actor, Kind.LABELED, now, data={"label": lb.name, "label_id": lb.pk})
        for lb in to_add
    ]


@transaction.atomic
def set_labels(
    issue: Issue,
    *,
    labels: Iterable[Label],
    actor: User | None,
    mode: str = "set",
    now: dt.datetime | None = None,
) -> list[IssueEvent]:
    """Change the issue's labels. mode "set" makes them exactly `labels`; "add" and
    "remove" change only those given (what bulk triage needs). One event per label."""
    if mode not in {"set", "add", "remove"}:
        raise ValueError(mode)
    now = now or timezone.now()
    issue_ = _lock(issue)
    permissions.require(actor, "triage", issue_.team)
    events = _apply_labels(issue_, labels, actor, now, mode=mode)
    _touch(issue_, events, now)
    _refresh(issue, issue_)
    return events


def _apply_add_customer(
    issue: Issue, customer: Customer, actor: User | None, now: dt.datetime
) -> IssueEvent | None:
    _, created = IssueCustomer.objects.get_or_create(
        issue=issue, customer=customer, defaults={"added_by": actor, "added_at": now}
    )
    if not created:
        return None
    issue.customer_count += 1
    return _record(
        issue,
        actor,
        Kind.CUSTOMER_LINKED,
        now,
        data={"customer_id": customer.pk, "name": customer.name},
    )


def _apply_remove_customer(
    issue: Issue, customer: Customer, actor: User | None, now: dt.datetime
) -> IssueEvent | None:
    deleted, _ = IssueCustomer.objects.filter(issue=issue, customer=customer).delete()
    if not deleted:
        return None
    issue.customer_count = max(issue.customer_count - 1, 0)
    return _record(
        issue,
        actor,
        Kind.CUSTOMER_UNLINKED,
        now,
        data={"customer_id": customer.pk, "name": customer.name},
    )


def _apply_customers(
    issue: Issue, customers: Iterable[Customer], actor: User | None, now: dt.datetime
) -> list[IssueEvent]:
    """Make the affected customers exactly `customers`: one event per change."""
    wanted = {c.pk: c for c in customers}
    current = {
        link.customer_id: link.customer
        for link in IssueCustomer.objects.filter(issue=issue).select_related("customer")
    }
    events = [
        _apply_remove_customer(issue, c, actor, now)
        for pk, c in current.items()
        if pk not in wanted
    ]
    events += [
        _apply_add_customer(issue, c, actor, now) for pk, c in wanted.items() if pk not in current
    ]
    return [e for e in events if e]


@transaction.atomic
def add_customer(
    issue: Issue, *, customer: Customer, actor: User | None, now: dt.datetime | None = None
) -> IssueEvent | None:
    """Record that `customer` is affected by the issue ("+1, affects this customer too").

    Writes `customer_linked` and bumps `customer_count`; returns None if they already
    were linked. Needs the `edit` right (support has it), so support can attach a caller
    to an existing issue instead of filing a duplicate.
    """
    now = now or timezone.now()
    issue_ = _lock(issue)
    permissions.require(actor, "edit", issue_.team)
    event = _apply_add_customer(issue_, customer, actor, now)
    _touch(issue_, [event] if event else [], now, "customer_count")
    _refresh(issue, issue_)
    return event


@transaction.atomic
def remove_customer(
    issue: Issue, *, customer: Customer, actor: User | None, now: dt.datetime | None = None
) -> IssueEvent | None:
    """The issue no longer affects `customer`: writes `customer_unlinked`, or returns None
    if they were not linked."""
    now = now or timezone.now()
    issue_ = _lock(issue)
    permissions.require(actor, "edit", issue_.team)
    event = _apply_remove_customer(issue_, customer, actor, now)
    _touch(issue_, [event] if event else [], now, "customer_count")
    _refresh(issue, issue_)
    return event


# --- the customer status link ---------------------------------------------------------


@transaction.atomic
def create_status_link(
    issue: Issue, *, actor: User | None, now: dt.datetime | None = None
) -> IssueEvent | None:
    """Give the issue a customer status link (issues.customer_links builds its URL).

    Only an issue with an affected customer gets one. Returns None if it already has an
    active link (the same URL stays valid). Needs the edit right (support has it).
    """
    from . import customer_links

    now = now or timezone.now()
    issue_ = _lock(issue)
    permissions.require(actor, "edit", issue_.team)
    if issue_.status_link_nonce:
        return None
    if not issue_.customer_count:
        raise DomainError(
            "Add the affected customer first: a status link is for a customer.",
            field="status_link",
        )
    issue_.status_link_nonce = customer_links.new_nonce()
    issue_.status_link_created_at = now
    event = _record(issue_, actor, Kind.STATUS_LINK_CREATED, now)
    _touch(issue_, [event], now, "status_link_nonce", "status_link_created_at")
    _refresh(issue, issue_)
    return event


@transaction.atomic
def revoke_status_link(
    issue: Issue, *, actor: User | None, now: dt.datetime | None = None
) -> IssueEvent | None:
    """Revoke the issue's status link: its URL answers 404 from now on, and a link made
    later is a different URL. Returns None if there was no active link."""
    now = now or timezone.now()
    issue_ = _lock(issue)
    permissions.require(actor, "edit", issue_.team)
    if not issue_.status_link_nonce:
        return None
    created_at = issue_.status_link_created_at
    issue_.status_link_nonce, issue_.status_link_created_at = "", None
    event = _record(
        issue_,
        actor,
        Kind.STATUS_LINK_REVOKED,
        now,
        data={"created_at": created_at.isoformat() if created_at else None},
    )
    _touch(issue_, [event], now, "status_link_nonce", "status_link_created_at")
    _refresh(issue, issue_)
    return event


@transaction.atomic
def set_customer_emails(
    issue: Issue,
    *,
    customer: Customer,
    enabled: bool,
    actor: User | None,
    now: dt.datetime | None = None,
) -> IssueEvent | None:
    """Turn emails about this issue on or off for one of its customers. Writes
    `customer_emails_changed`; returns None if nothing changed. Needs `edit`."""
    now = now or timezone.now()
    issue_ = _lock(issue)
    permissions.require(actor, "edit", issue_.team)
    link = IssueCustomer.objects.filter(issue=issue_, customer=customer).first()
    if link is None:
        raise DomainError(f"{customer.name} is not a customer of {issue_.key}.", field="customer")
    if link.is_notified == bool(enabled):
        return None
    link.is_notified = bool(enabled)
    link.save(update_fields=["is_notified"])
    event = _record(
        issue_,
        actor,
        Kind.CUSTOMER_EMAILS_CHANGED,
        now,
        data={"customer_id": customer.pk, "name": customer.name, "enabled": bool(enabled)},
    )
    _touch(issue_, [event], now)
    _refresh(issue, issue_)
    return event


def _duplicate_target(issue: Issue, of: Issue) -> Issue:
    if of.pk == issue.pk:
        raise DomainError("An issue cannot be a duplicate of itself.", field="duplicate_of")
    if of.team_id != issue.team_id:
        raise DomainError("Duplicates must be in the same team.", field="duplicate_of")
    seen = {issue.pk}
    target = of
    # Point at the original: if `of` is itself a duplicate, follow the chain.
    while target.duplicate_of_id is not None:
        if target.pk in seen or len(seen) > 50:
            break
        seen.add(target.pk)
        target = Issue.objects.select_related("team").get(pk=target.duplicate_of_id)
    if target.pk == issue.pk:
        raise DomainError(f"{of.key} is already a duplicate of this issue.", field="duplicate_of")
    return target


def _apply_duplicate(
    issue: Issue, of: Issue | None, actor: User | None, now: dt.datetime
) -> list[IssueEvent]:
    if of is None:
        if issue.duplicate_of_id is None:
            return []
        previous = issue.duplicate_of
        issue.duplicate_of = None
        return [_record(issue, actor, Kind.UNMARKED_DUPLICATE, now, data={"from": previous.key})]
    target = _duplicate_target(issue, of)
    if target.pk == issue.duplicate_of_id:
        return []
    issue.duplicate_of = target
    events = [
        _record(
            issue,
            actor,
            Kind.MARKED_DUPLICATE,
            now,
            data={"duplicate_of": target.key, "duplicate_of_id": target.pk},
        )
    ]
    # Closing a duplicate is what everyone does next; do it in the same step.
    if not issue.status.is_closed:
        closing = (
            Status.objects.filter(team=issue.team, category=Status.Category.CANCELLED)
            .order_by("position", "pk")
            .first()
        )
        if closing is not None:
            events.append(_apply_status(issue, closing, actor, now))
    return events


@transaction.atomic
def mark_duplicate(
    issue: Issue, *, of: Issue | None, actor: User | None, now: dt.datetime | None = None
) -> list[IssueEvent]:
    """Mark `issue` as a duplicate of `of` (its original, if `of` is a duplicate too) and
    close it in the team's first cancelled status. `of=None` removes the mark."""
    now = now or timezone.now()
    issue_ = _lock(issue)
    permissions.require(actor, "edit", issue_.team)
    events = _apply_duplicate(issue_, of, actor, now)
    _touch(issue_, events, now, "duplicate_of", *_STATUS_FIELDS)
    _refresh(issue, issue_)
    return events


# --- scalar fields ----------------------------------------------------------------

_SCALARS = {
    "title": Kind.TITLE_CHANGED,
    "description": Kind.DESCRIPTION_CHANGED,
    "kind": Kind.KIND_CHANGED,
    "priority": Kind.PRIORITY_CHANGED,
    "channel": Kind.CHANNEL_CHANGED,
    "due_date": Kind.DUE_DATE_CHANGED,
}
EDITABLE_FIELDS = frozenset(
    {*_SCALARS, "status", "assignees", "labels", "customers", "duplicate_of"}
)


def _clean_scalar(field: str, value: Any) -> Any:
    if field == "title":
        return _clean_title(value)
    if field == "description":
        return _clean_text(value, "description")
    if field == "kind":
        return _choice(value, Issue.Kind, "kind")
    if field == "priority":
        return _choice(value, Issue.Priority, "priority")
    if field == "channel":
        return _choice(value, Issue.Channel, "channel")
    if field == "due_date":
        if value is not None and not isinstance(value, dt.date):
            raise DomainError("Enter a valid date.", field="due_date")
        return value
    raise AssertionError(field)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _apply_scalar(issue: Issue, field: str, value: Any, actor: User | None, now: dt.datetime):
    value = _clean_scalar(field, value)
    old = getattr(issue, field)
    if old == value:
        return None
    setattr(issue, field, value)
    data: dict[str, Any] = {"from": _jsonable(old), "to": _jsonable(value)}
    if field == "description":
        issue.description_html = markdown.render(value)
        data["mentions"] = _mention_ids(issue.team, value)
        previous = set(_mention_ids(issue.team, old))
        data["mentions"] = [pk for pk in data["mentions"] if pk not in previous]
    return _record(issue, actor, _SCALARS[field], now, data=data)


@transaction.atomic
def update_issue(
    issue: Issue,
    *,
    actor: User | None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    **changes: Any,
) -> list[IssueEvent]:
    """Apply several field changes at once, as one edit (one version bump).

    `changes` may hold title, description, kind, priority, channel, due_date, status,
    assignees (a list of users), labels (a list of labels), customers (a list: the
    affected customers become exactly these) and duplicate_of.
    Writes exactly the events the single-field functions would; unchanged fields
    write nothing. With `expected_version`, raises StaleVersion if the issue changed.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise DomainError(f"{sorted(unknown)[0]} cannot be changed.", field=sorted(unknown)[0])
    now = now or timezone.now()
    issue_ = _lock(issue)
    team = issue_.team
    needed = {"edit"}
    if "status" in changes:
        needed.add("change_status")
    if "assignees" in changes or "labels" in changes:
        needed.add("triage")
    for action in sorted(needed):
        permissions.require(actor, action, team)
    _check_version(issue_, expected_version)

    events: list[IssueEvent | None] = []
    for field in _SCALARS:
        if field in changes:
            events.append(_apply_scalar(issue_, field, changes[field], actor, now))
    if "status" in changes:
        events.append(_apply_status(issue_, changes["status"], actor, now))
    if "customers" in changes:
        events.extend(_apply_customers(issue_, changes["customers"], actor, now))
    if "assignees" in changes:
        events.extend(_apply_assignees(issue_, changes["assignees"], actor, now))
    if "labels" in changes:
        events.extend(_apply_labels(issue_, changes["labels"], actor, now, mode="set"))
    if "duplicate_of" in changes:
        events.extend(_apply_duplicate(issue_, changes["duplicate_of"], actor, now))
    done = [e for e in events if e]
    _touch(
        issue_,
        done,
        now,
        *_SCALARS,
        "description_html",
        *_STATUS_FIELDS,
        "customer_count",
        "duplicate_of",
    )
    if done and {"title", "description"} & set(changes):
        search.reindex([issue_.pk])  # after the save: the document is built from the row
    _refresh(issue, issue_)
    return done


# --- comments ---------------------------------------------------------------------


@transaction.atomic
def add_comment(
    issue: Issue,
    *,
    body: str,
    actor: User | None,
    public: bool = False,
    customer: Customer | None = None,
    now: dt.datetime | None = None,
) -> Comment:
    """Comment on the issue. Internal unless `public` (public comments reach the customer).

    `customer` says the customer wrote it (an email reply; support typing in what they
    said): it must be one of the issue's customers, the comment is public, and an issue
    waiting on the customer moves back to the status it waited from. The
    author starts watching the issue; @mentions of team members are recorded on the
    `commented` event for notifications.
    """
    now = now or timezone.now()
    issue_ = _lock(issue)
    permissions.require(actor, "comment", issue_.team)
    body = _clean_text(body, "body", required=True)
    if customer is not None:
        if not IssueCustomer.objects.filter(issue=issue_, customer=customer).exists():
            raise DomainError(
                f"{customer.name} is not a customer of {issue_.key}.", field="customer"
            )
        public = True
    comment = Comment.objects.create(
        issue=issue_,
        customer=customer,
        author=actor,
        body=body,
        body_html=markdown.render(body),
        is_public=bool(public),
        created_at=now,
    )
    event = _record(
        issue_,
        actor,
        Kind.COMMENTED,
        now,
        comment=comment,
        data={
            "public": bool(public),
            "mentions": _mention_ids(issue_.team, body),
            **({"customer": customer.name, "customer_id": customer.pk} if customer else {}),
        },
    )
    if actor is not None:
        issue_.watchers.add(actor)
    events = [event]
    if customer is not None:
        events.append(_resume_after_customer_reply(issue_, actor, now))
    search.reindex([issue_.pk])
    _touch(issue_, [e for e in events if e], now, *_STATUS_FIELDS)
    _refresh(issue, issue_)
    return comment


@transaction.atomic
def edit_comment(
    comment: Comment, *, body: str, actor: User | None, now: dt.datetime | None = None
) -> IssueEvent | None:
    """Change a comment's text; only its author (or a team admin) may. Sets edited_at."""
    now = now or timezone.now()
    issue_ = _lock(comment.issue)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    permissions.require(actor, "comment", issue_.team)
    if actor is not None and comment.author_id != actor.pk:
        permissions.require(actor, "admin", issue_.team)
    body = _clean_text(body, "body", required=True)
    if body == comment.body:
        return None
    previous_mentions = set(_mention_ids(issue_.team, comment.body))
    comment.body, comment.body_html, comment.edited_at = body, markdown.render(body), now
    comment.save(update_fields=["body", "body_html", "edited_at"])
    mentions = [pk for pk in _mention_ids(issue_.team, body) if pk not in previous_mentions]
    event = _record(
        issue_, actor, Kind.COMMENT_EDITED, now, comment=comment, data={"mentions": mentions}
    )
    search.reindex([issue_.pk])
    _touch(issue_, [event], now)
    return event


# --- attachments ------------------------------------------------------------------


class AttachmentTooLarge(DomainError):
    """The file is over ATTACHMENT_MAX_BYTES (the API answers 413)."""


_written_files: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "attachment_files_written", default=None
)


@contextlib.contextmanager
def files_removed_on_rollback() -> Iterator[None]:
    """Around a transaction that may attach files (email intake): if it fails, delete the
    files add_attachment wrote, so a rolled-back message leaves nothing on disk."""
    from django.core.files.storage import default_storage

    written: list[str] = []
    token = _written_files.set(written)
    try:
        yield
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    finally:
        _written_files.reset(token)


@transaction.atomic
def add_attachment(
    issue: Issue,
    *,
    file: Any,
    actor: User | None,
    comment: Comment | None = None,
    filename: str | None = None,
    now: dt.datetime | None = None,
) -> Attachment:
    """Attach `file` (a file object; `filename` overrides its name) to the issue, or to
    one of its comments. The type is sniffed from the bytes and must be in
    ATTACHMENT_CONTENT_TYPES; the size must be within ATTACHMENT_MAX_BYTES
    (AttachmentTooLarge). Writes `attachment_added`. Needs the `comment` right.
    The file is deleted again if this transaction rolls back.
    """
    from django.core.files.base import ContentFile

    now = now or timezone.now()
    issue_ = _lock(issue)
    permissions.require(actor, "comment", issue_.team)
    if comment is not None and comment.issue_id != issue_.pk:
        raise DomainError("That comment belongs to another issue.", field="comment")
    try:
        upload = attachments.read_upload(file, filename)
    except attachments.UploadRefused as refused:
        error = AttachmentTooLarge if refused.too_large else DomainError
        raise error(refused.message, field="file") from None
    attachment = Attachment(
        issue=issue_,
        comment=comment,
        uploaded_by=actor,
        filename=upload.filename,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        created_at=now,
    )
    attachment.file.save(upload.filename, ContentFile(upload.data), save=False)
    written = _written_files.get()
    if written is not None:
        written.append(attachment.file.name)
    try:
        attachment.save()
        event = _record(
            issue_,
            actor,
            Kind.ATTACHMENT_ADDED,
            now,
            comment=comment,
            data={
                "attachment_id": attachment.pk,
                "filename": upload.filename,
                "size": upload.size,
                "content_type": upload.content_type,
            },
        )
        _touch(issue_, [event], now)
    except BaseException:
        if written is None:
            attachment.file.storage.delete(attachment.file.name)
        raise
    _refresh(issue, issue_)
    return attachment


@transaction.atomic
def remove_attachment(
    attachment: Attachment, *, actor: User | None, now: dt.datetime | None = None
) -> IssueEvent:
    """Delete an attachment: its uploader (who may still comment) or a team admin may.
    Writes `attachment_removed`; the file leaves the disk once the transaction commits."""
    now = now or timezone.now()
    issue_ = _lock(attachment.issue)
    permissions.require(actor, "comment", issue_.team)
    if actor is not None and attachment.uploaded_by_id != actor.pk:
        permissions.require(actor, "admin", issue_.team)
    name, storage = attachment.file.name, attachment.file.storage
    deleted, _ = Attachment.objects.filter(pk=attachment.pk).delete()
    if not deleted:
        raise DomainError("That attachment was already removed.", field="attachment")
    event = _record(
        issue_,
        actor,
        Kind.ATTACHMENT_REMOVED,
        now,
        data={"attachment_id": attachment.pk, "filename": attachment.filename},
    )
    _touch(issue_, [event], now)
    transaction.on_commit(partial(storage.delete, name))
    return event


# --- watching (not a change to the issue: no event, no version bump) ---------------


@transaction.atomic
def watch(issue: Issue, *, user: User, actor: User) -> bool:
    """`user` follows the issue. People may (un)watch themselves; triagers anyone in
    the team. Returns False if nothing changed."""
    permissions.require(actor, "watch", issue.team)
    if user.pk != actor.pk:
        permissions.require(actor, "triage", issue.team)
    if not Membership.objects.filter(team=issue.team, user=user).exists() and not user.is_superuser:
        raise DomainError(f"{user.username} is not a member of {issue.team.key}.", field="watchers")
    if issue.watchers.filter(pk=user.pk).exists():
        return False
    issue.watchers.add(user)
    return True


@transaction.atomic
def unwatch(issue: Issue, *, user: User, actor: User) -> bool:
    permissions.require(actor, "watch", issue.team)
    if user.pk != actor.pk:
        permissions.require(actor, "triage", issue.team)
    if not issue.watchers.filter(pk=user.pk).exists():
        return False
    issue.watchers.remove(user)
    return True


# The periods as the timeline defines them: one per `created`/`status_changed` event in
# event-id order, starting at the running maximum of the events' times (see
# _enter_status) and ending where the next one starts. Plain SQL window functions, the
# same on SQLite and PostgreSQL; used by the data migration and rebuild_status_periods.
REBUILD_PERIODS_SQL = """
INSERT INTO issues_statusperiod
    (issue_id, team_id, status_id, entered_at, left_at, entered_by_id, entered_event_id)
SELECT issue_id, team_id, to_status_id, entered_at,
       LEAD(entered_at) OVER (PARTITION BY issue_id ORDER BY id), actor_id, id
FROM (
    SELECT e.id, e.issue_id, i.team_id, e.to_status_id, e.actor_id,
           MAX(e.created_at) OVER (
               PARTITION BY e.issue_id ORDER BY e.id
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS entered_at
    FROM issues_issueevent e
    JOIN issues_issue i ON i.id = e.issue_id
    WHERE e.kind IN ('created', 'status_changed') AND e.to_status_id IS NOT NULL {where}
) AS moves
"""


def rebuild_status_periods(*, team: Team | None = None, using: str = "default") -> int:
    """Recompute every StatusPeriod (of `team`, or all) from the timeline, in SQL.

    For databases that had issues before periods existed, or to repair them; writes
    exactly what the services would have written. Returns the number of periods.
    """
    from django.db import connections

    periods = StatusPeriod.objects.using(using)
    where, params = "", []
    if team is not None:
        periods = periods.filter(team=team)
        where, params = "AND i.team_id = %s", [team.pk]
    issues = Issue.objects.using(using)
    if team is not None:
        issues = issues.filter(team=team)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        periods._raw_delete(using)
        cursor.execute(REBUILD_PERIODS_SQL.format(where=where), params)
        count = cursor.rowcount
        derive_started_at(issues)
        return count


def derive_started_at(issues: QuerySet[Issue]) -> int:
    """Set `started_at` of `issues` from their periods: the earliest entry into a status
    now in the in-progress category, or NULL. What _enter_status keeps, recomputed
    where the periods or the categories changed under it. One UPDATE; returns the
    number of issues written."""
    first = (
        StatusPeriod.objects.filter(issue=OuterRef("pk"), status__category=_IN_PROGRESS)
        .order_by()
        .values("issue")
        .annotate(first=Min("entered_at"))
        .values("first")
    )
    return issues.update(started_at=Subquery(first))


def _refresh(target: Issue, source: Issue) -> None:
    """Copy the locked, updated row back onto the caller's instance."""
    if target is source:
        return
    for field in Issue._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    for cached in ("status", "duplicate_of"):
        if Issue._meta.get_field(cached).is_cached(source):
            setattr(target, cached, getattr(source, cached))
    target._prefetched_objects_cache = {}


# --- the stale sweep ----------------------------------------------------------------


# Issues reported per transaction by a stale sweep.
STALE_SWEEP_BATCH = 2000
_SWEEP_COLUMNS = (
    "team_id",
    "number",
    "last_activity_at",
    "stale_reported_for",
    "stale_escalated_for",
    "status__name",
    "status__category",
    "status__stale_after",
)


def stale_event_data(status: Status, last_activity_at: dt.datetime, now: dt.datetime) -> dict:
    """What a `became_stale` or `stale_escalated` event written at `now` says of an issue
    quiet since `last_activity_at` in `status` (seed_demo writes the seeded past's)."""
    return {
        "status": status.name,
        "category": status.category,
        "quiet_days": (now - last_activity_at).days,
        "stale_after_days": status.stale_after.days,
        "last_activity_at": last_activity_at.isoformat(),
    }


def follow_up_event_data(
    status: Status, waiting_since: dt.datetime, follower_id: int | None, now: dt.datetime
) -> dict:
    """What a `follow_up_due` event written at `now` says of an issue waiting on the
    customer in `status` since `waiting_since`, for `follower_id` to follow up."""
    return {
        "status": status.name,
        "waiting_since": waiting_since.isoformat(),
        "quiet_days": (now - waiting_since).days,
        "notify": [follower_id] if follower_id else [],
    }


def sweep_stale(*, now: dt.datetime | None = None) -> int:
    """Record issues that went quiet, once per quiet spell; escalate at twice the time.

    An open issue is stale when its status has a stale-after and its last activity is
    older than that. One detection query per sweep (per STALE_SWEEP_BATCH issues, for a
    backlog) finds the issues not yet reported for their current spell
    (stale_reported_for != last_activity_at) and locks them (SKIP LOCKED, so concurrent
    sweeps split the work instead of doubling it). Each gets
    a `became_stale` event (and `stale_escalated` past twice the duration), which the
    notifications turn into messages. The events do not count as activity: the clock
    keeps running until a person acts. Returns the number of events written.
    """
    from django.db.models import DateTimeField, ExpressionWrapper, F, Q, Value

    now = now or timezone.now()
    # "Quiet since before now - stale_after", not "last activity + stale_after < now":
    # the same rows, but said so that an index on (status, last_activity_at) reads only
    # the quiet ones of each status.
    quiet_before = ExpressionWrapper(
        Value(now) - F("status__stale_after"), output_field=DateTimeField()
    )
    escalate_before = ExpressionWrapper(
        Value(now) - F("status__stale_after") - F("status__stale_after"),
        output_field=DateTimeField(),
    )
    detect = (
        Issue.objects.filter(STALE_SWEEP_Q, status__stale_after__isnull=False)
        # Waiting on the customer is not the team going quiet: sweep_follow_ups reminds
        # support instead.
        .exclude(status__category=Status.Category.WAITING)
        .filter(last_activity_at__lt=quiet_before)
        .filter(
            Q(stale_reported_for__isnull=True)
            | ~Q(stale_reported_for=F("last_activity_at"))
            | Q(last_activity_at__lt=escalate_before)
        )
        .select_related("status")
        # What the events and the flags need: not the text, nor the search document.
        .only(*_SWEEP_COLUMNS)
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")
    )
    written = 0
    while True:
        # A batch per transaction: a backlog (the first sweep after an import of a
        # million issues finds some 90,000) never holds its row locks, which a person's
        # edit of one of those issues would wait for, longer than one batch takes.
        with transaction.atomic():
            due = list(detect[:STALE_SWEEP_BATCH])
            events: list[IssueEvent] = []
            reported: list[int] = []
            escalated: list[int] = []
            for issue in due:
                data = stale_event_data(issue.status, issue.last_activity_at, now)
                if issue.stale_reported_for != issue.last_activity_at:
                    events.append(_event(issue, None, Kind.BECAME_STALE, now, data=data))
                    reported.append(issue.pk)
                escalate = issue.last_activity_at + 2 * issue.status.stale_after < now
                if escalate and issue.stale_escalated_for != issue.last_activity_at:
                    events.append(_event(issue, None, Kind.STALE_ESCALATED, now, data=data))
                    escalated.append(issue.pk)
            # In bulk. The rows are locked, so last_activity_at is the value read above.
            IssueEvent.objects.bulk_create(events)
            for ids, field in (
                (reported, "stale_reported_for"),
                (escalated, "stale_escalated_for"),
            ):
                if ids:
                    Issue.objects.filter(pk__in=ids).update(**{field: F("last_activity_at")})
            _publish(events)
        written += len(events)
        # A short batch was the last one (rows another sweep holds are skipped, and that
        # sweep reports them); a batch that changed nothing could only repeat itself.
        if len(due) < STALE_SWEEP_BATCH or not events:
            return written


def sweep_follow_ups(*, now: dt.datetime | None = None) -> int:
    """Remind support to follow up on issues waiting on the customer, once per waiting
    spell: when an issue has been in a waiting status for longer than that status's
    stale-after, it gets a `follow_up_due` event naming who should follow up (the
    person who moved it to waiting, else the reporter), which notifications deliver.

    Like sweep_stale: one detection query that skips rows another sweep has locked,
    and follow_up_reported_for (= the spell's waiting_since) remembers the report, so
    concurrent or repeated sweeps write one event per spell. Returns the events written.
    """
    from django.db.models import DateTimeField, ExpressionWrapper, F, Q

    now = now or timezone.now()
    due_at = ExpressionWrapper(
        F("waiting_since") + F("status__stale_after"), output_field=DateTimeField()
    )
    with transaction.atomic():
        due = list(
            Issue.objects.filter(
                resolved_at__isnull=True,
                waiting_since__isnull=False,
                status__category=Status.Category.WAITING,
                status__stale_after__isnull=False,
            )
            .alias(due_at=due_at)
            .filter(due_at__lt=now)
            .filter(
                Q(follow_up_reported_for__isnull=True)
                | ~Q(follow_up_reported_for=F("waiting_since"))
            )
            .select_related("status", "team")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
        )
        events = []
        for issue in due:
            follower = issue.waiting_set_by_id or issue.reporter_id
            data = follow_up_event_data(issue.status, issue.waiting_since, follower, now)
            events.append(_record(issue, None, Kind.FOLLOW_UP_DUE, now, data=data))
            issue.follow_up_reported_for = issue.waiting_since
            issue.save(update_fields=["follow_up_reported_for"])
        _publish(events)
    return len(events)
