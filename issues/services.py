"""Every change to an issue goes through this module.

Each public function runs in one transaction and, in order:

1. locks what it reads-then-writes (the issue row; the team row for create_issue,
   which is what keeps keys such as ENG-42 unique and gap-free),
2. checks the actor with accounts.permissions.require,
3. validates, raising DomainError (with the field) so nothing is half-saved,
4. changes the rows, then bumps the issue's `version` and `last_activity_at`,
5. appends one IssueEvent per fact that changed (`_record` alone creates them),
6. hands the new events to notifications after commit (`_publish`).

A change that changes nothing writes nothing and returns None or an empty list, so
double clicks and retries are harmless. `actor=None` means the system.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import time
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts import permissions
from accounts.models import Membership, Team

from . import markdown, search
from .models import (
    Assignment,
    Comment,
    Customer,
    Issue,
    IssueEvent,
    Label,
    Status,
)

User = get_user_model()

TITLE_MAX = 300
TEXT_MAX = 100_000

Kind = IssueEvent.Kind


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
    """Hand the events to notifications: an outbox row in this transaction, and a task
    queued after commit. If the broker is down the row waits for the periodic drain, and
    the error is logged, never raised for a change that has already been saved."""
    if not events or not _publishing.get():
        return
    from notifications.models import Outbox

    row = Outbox.objects.create(event_ids=[e.pk for e in events])
    transaction.on_commit(partial(_queue_delivery, row.pk), robust=True)


# After a failed publish, requests stop trying the broker for this long (each try costs
# up to a second while it is down); the outbox drain delivers what they saved meanwhile.
BROKER_RETRY_SECONDS = 10.0
_broker_down_until = 0.0


def _queue_delivery(outbox_id: int) -> None:
    global _broker_down_until  # one circuit breaker per process
    from notifications.tasks import process_outbox

    if not process_outbox.app.conf.task_always_eager and time.monotonic() < _broker_down_until:
        return
    try:
        process_outbox.delay(outbox_id)
    except Exception:
        _broker_down_until = time.monotonic() + BROKER_RETRY_SECONDS
        raise


# --- helpers ----------------------------------------------------------------------


def _lock(issue: Issue) -> Issue:
    return Issue.objects.select_for_update().select_related("team", "status").get(pk=issue.pk)


def _check_version(issue: Issue, expected_version: int | None) -> None:
    if expected_version is not None and issue.version != expected_version:
        raise StaleVersion(issue, expected_version)


def _record(
    issue: Issue, actor: User | None, kind: str, now: dt.datetime, **fields: Any
) -> IssueEvent:
    return IssueEvent.objects.create(issue=issue, actor=actor, kind=kind, created_at=now, **fields)


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


def _check_assignable(team: Team, user: User) -> None:
    role = Membership.objects.filter(team=team, user=user).values_list("role", flat=True).first()
    if role is None or not user.is_active:
        raise DomainError(f"{user.username} is not a member of {team.key}.", field="assignees")
    if role == Membership.Role.VIEWER:
        raise DomainError(
            f"{user.username} is a viewer in {team.key} and cannot be assigned.", field="assignees"
        )


def default_status(team: Team) -> Status:
    """Where new issues start: the team's first triage status, else its first status."""
    statuses = list(Status.objects.filter(team=team).order_by("position", "pk"))
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
    channel: str = Issue.Channel.WEB,
    due_date: dt.date | None = None,
    reporter: User | None = None,
    now: dt.datetime | None = None,
) -> Issue:
    """File a new issue in `team` and return it.

    Takes the team's next number under a row lock (gap-free keys under concurrency).
    Writes `created`, then one `assigned` per assignee; the reporter and assignees
    watch the issue. Raises DomainError for invalid input, PermissionDenied for a
    role that may not create (or triage, when assignees or labels are given).
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
    if status is None:
        status = default_status(team)
    _check_status(team, status)
    for label in labels:
        _check_label(team, label)
    for user in assignees:
        _check_assignable(team, user)
    reporter = reporter if reporter is not None else actor

    locked_team = Team.objects.select_for_update().get(pk=team.pk)
    number = locked_team.next_number
    Team.objects.filter(pk=team.pk).update(next_number=number + 1)
    team.next_number = number + 1

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
        customer=customer,
        channel=channel,
        due_date=due_date,
        created_at=now,
        last_activity_at=now,
        resolved_at=now if status.is_closed else None,
    )
    issue.labels.add(*labels)
    events = [
        _record(
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
                "customer_id": customer.pk if customer else None,
                "mentions": _mention_ids(team, description),
            },
        )
    ]
    for user in assignees:
        Assignment.objects.create(issue=issue, user=user, assigned_by=actor, assigned_at=now)
        events.append(
            _record(
                issue, actor, Kind.ASSIGNED, now, subject_user=user, data={"user": user.username}
            )
        )
    _add_watchers(issue, [u for u in [reporter, *assignees] if u is not None])
    search.reindex([issue.pk])
    _publish(events)
    return issue


# --- single facts -----------------------------------------------------------------


def _apply_status(
    issue: Issue, to: Status, actor: User | None, now: dt.datetime
) -> IssueEvent | None:
    _check_status(issue.team, to)
    if to.pk == issue.status_id:
        return None
    previous = issue.status
    data = {"from": previous.name, "to": to.name}
    if previous.is_closed and not to.is_closed:
        data["reopened"] = True
    event = _record(
        issue, actor, Kind.STATUS_CHANGED, now, from_status=previous, to_status=to, data=data
    )
    issue.status = to
    issue.resolved_at = _resolved_at(issue, to, now)
    return event


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
    _touch(issue_, events, now, "status", "resolved_at")
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


def _apply_customer(
    issue: Issue, customer: Customer | None, actor: User | None, now: dt.datetime
) -> IssueEvent | None:
    if (customer.pk if customer else None) == issue.customer_id:
        return None
    previous = issue.customer
    issue.customer = customer
    if customer is None:
        return _record(
            issue,
            actor,
            Kind.CUSTOMER_UNLINKED,
            now,
            data={"from": previous.name, "customer_id": previous.pk},
        )
    return _record(
        issue,
        actor,
        Kind.CUSTOMER_LINKED,
        now,
        data={
            "customer_id": customer.pk,
            "name": customer.name,
            "from": previous.name if previous else None,
        },
    )


@transaction.atomic
def link_customer(
    issue: Issue, *, customer: Customer | None, actor: User | None, now: dt.datetime | None = None
) -> IssueEvent | None:
    """Link the issue to `customer` (or unlink with None)."""
    now = now or timezone.now()
    issue_ = _lock(issue)
    permissions.require(actor, "edit", issue_.team)
    event = _apply_customer(issue_, customer, actor, now)
    _touch(issue_, [event] if event else [], now, "customer")
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
    _touch(issue_, events, now, "duplicate_of", "status", "resolved_at")
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
    {*_SCALARS, "status", "assignees", "labels", "customer", "duplicate_of"}
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
    assignees (a list of users), labels (a list of labels), customer and duplicate_of.
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
    if "customer" in changes:
        events.append(_apply_customer(issue_, changes["customer"], actor, now))
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
        "status",
        "resolved_at",
        "customer",
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
    now: dt.datetime | None = None,
) -> Comment:
    """Comment on the issue. Internal unless `public` (public comments reach the customer).

    The author starts watching the issue; @mentions of team members are recorded on
    the `commented` event for notifications.
    """
    now = now or timezone.now()
    issue_ = _lock(issue)
    permissions.require(actor, "comment", issue_.team)
    body = _clean_text(body, "body", required=True)
    comment = Comment.objects.create(
        issue=issue_,
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
        data={"public": bool(public), "mentions": _mention_ids(issue_.team, body)},
    )
    if actor is not None:
        issue_.watchers.add(actor)
    search.reindex([issue_.pk])
    _touch(issue_, [event], now)
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


def _refresh(target: Issue, source: Issue) -> None:
    """Copy the locked, updated row back onto the caller's instance."""
    if target is source:
        return
    for field in Issue._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    for cached in ("status", "customer", "duplicate_of"):
        if Issue._meta.get_field(cached).is_cached(source):
            setattr(target, cached, getattr(source, cached))
    target._prefetched_objects_cache = {}


# --- the stale sweep ----------------------------------------------------------------


def sweep_stale(*, now: dt.datetime | None = None) -> int:
    """Record issues that went quiet, once per quiet spell; escalate at twice the time.

    An open issue is stale when its status has a stale-after and its last activity is
    older than that. One detection query per sweep finds the issues not yet reported
    for their current spell (stale_reported_for != last_activity_at) and locks them
    (SKIP LOCKED, so concurrent sweeps split the work instead of doubling it). Each gets
    a `became_stale` event (and `stale_escalated` past twice the duration), which the
    notifications turn into messages. The events do not count as activity: the clock
    keeps running until a person acts. Returns the number of events written.
    """
    from django.db.models import DateTimeField, ExpressionWrapper, F, Q

    now = now or timezone.now()
    quiet_since = ExpressionWrapper(
        F("last_activity_at") + F("status__stale_after"), output_field=DateTimeField()
    )
    escalate_at = ExpressionWrapper(
        F("last_activity_at") + F("status__stale_after") + F("status__stale_after"),
        output_field=DateTimeField(),
    )
    with transaction.atomic():
        due = list(
            Issue.objects.filter(resolved_at__isnull=True, status__stale_after__isnull=False)
            .alias(stale_at=quiet_since, escalate_at=escalate_at)
            .filter(stale_at__lt=now)
            .filter(
                Q(stale_reported_for__isnull=True)
                | ~Q(stale_reported_for=F("last_activity_at"))
                | (
                    Q(escalate_at__lt=now)
                    & (
                        Q(stale_escalated_for__isnull=True)
                        | ~Q(stale_escalated_for=F("last_activity_at"))
                    )
                )
            )
            .select_related("status", "team")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
        )
        events: list[IssueEvent] = []
        for issue in due:
            quiet = now - issue.last_activity_at
            data = {
                "status": issue.status.name,
                "category": issue.status.category,
                "quiet_days": quiet.days,
                "stale_after_days": issue.status.stale_after.days,
                "last_activity_at": issue.last_activity_at.isoformat(),
            }
            fields = []
            if issue.stale_reported_for != issue.last_activity_at:
                events.append(_record(issue, None, Kind.BECAME_STALE, now, data=data))
                issue.stale_reported_for = issue.last_activity_at
                fields.append("stale_reported_for")
            escalate = issue.last_activity_at + 2 * issue.status.stale_after < now
            if escalate and issue.stale_escalated_for != issue.last_activity_at:
                events.append(_record(issue, None, Kind.STALE_ESCALATED, now, data=data))
                issue.stale_escalated_for = issue.last_activity_at
                fields.append("stale_escalated_for")
            if fields:
                issue.save(update_fields=fields)
        _publish(events)
    return len(events)
