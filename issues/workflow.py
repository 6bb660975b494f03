"""A team's workflow settings: its statuses (order, category, stale clock) and labels.

Same contract as issues/services.py: each public function runs in one transaction,
locks what it reads-then-writes, checks that `actor` is a team admin
(`permissions.require(actor, "admin", team)`), validates, raising DomainError with
the field at fault, then writes. A change that changes nothing returns None.

Three writes here reach issue rows without going through issues/services.py, all on
purpose and all set-based:

- changing a status's category between open and closed re-derives `resolved_at` of
  the issues in it (one UPDATE), so `Issue.open()` keeps agreeing with the category;
  moving it into or out of in progress re-derives `started_at` of the issues that were
  ever in it (services.derive_started_at, one UPDATE), so cycle times follow;
- deleting a label removes it from the issues that carry it (the M2M rows).

None writes IssueEvents: no one changed those issues, the team's workflow changed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts import audit, permissions
from accounts.models import Team

from . import pickers, services
from .models import Issue, IssueEvent, Label, Status, StatusPeriod
from .services import DomainError

Action = audit.Action

User = get_user_model()

Category = Status.Category

STATUS_NAME_MAX = Status._meta.get_field("name").max_length
LABEL_NAME_MAX = Label._meta.get_field("name").max_length
LABEL_DESCRIPTION_MAX = Label._meta.get_field("description").max_length
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")

_UNSET: Any = object()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# --- statuses ---------------------------------------------------------------------


def _lock_statuses(team: Team) -> list[Status]:
    """Lock and return the team's statuses in order: every workflow change queues here,
    so the "one open and one closed status" rule is checked against settled rows."""
    return list(Status.objects.select_for_update().filter(team=team).order_by("position", "pk"))


def _clean_name(name: str, *, max_length: int) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("A name is required.", field="name")
    if len(name) > max_length:
        raise DomainError(f"The name is longer than {max_length} characters.", field="name")
    return name


def _clean_category(category: str) -> Category:
    try:
        return Category(category)
    except ValueError:
        allowed = ", ".join(Category.values)
        raise DomainError(f"{category!r} is not one of: {allowed}.", field="category") from None


def _clean_stale_after(stale_after: dt.timedelta | None) -> dt.timedelta | None:
    if stale_after is None:
        return None
    if not isinstance(stale_after, dt.timedelta) or stale_after <= dt.timedelta(0):
        raise DomainError("Stale after must be a positive duration, or empty.", field="stale_after")
    return stale_after


def _check_status_name_free(statuses: list[Status], name: str, *, exclude: Status | None) -> None:
    for other in statuses:
        if other.name.lower() == name.lower() and (exclude is None or other.pk != exclude.pk):
            raise DomainError(f"There is already a status named {other.name!r}.", field="name")


def _check_workflow_shape(statuses: list[Status], *, field: str | None) -> None:
    """Refuse a workflow without an open or without a closed status: issues could
    then never be worked on, or never be resolved."""
    if not any(not s.is_closed for s in statuses):
        raise DomainError(
            "The workflow needs at least one open status (triage, to do, in progress or waiting).",
            field=field,
        )
    if not any(s.is_closed for s in statuses):
        raise DomainError(
            "The workflow needs at least one closed status (done or cancelled).", field=field
        )


def _save_unique(obj: Status | Label, **kwargs: Any) -> None:
    # The case-insensitive unique constraint is the final word when two admins race.
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError:
        raise DomainError(f"The name {obj.name!r} is already taken.", field="name") from None


@transaction.atomic
def add_status(
    team: Team,
    *,
    name: str,
    category: str,
    stale_after: dt.timedelta | None = None,
    actor: User | None,
) -> Status:
    """Add a status at the end of the team's workflow.

    Raises PermissionDenied unless `actor` is a team admin, and DomainError for an
    empty or taken name (case-insensitive), an unknown category or a stale_after
    that is not a positive duration.
    """
    statuses = _lock_statuses(team)
    permissions.require(actor, "admin", team)
    name = _clean_name(name, max_length=STATUS_NAME_MAX)
    category = _clean_category(category)
    stale_after = _clean_stale_after(stale_after)
    _check_status_name_free(statuses, name, exclude=None)
    position = max((s.position for s in statuses), default=-1) + 1
    status = Status(
        team=team, name=name, category=category, position=position, stale_after=stale_after
    )
    _save_unique(status)
    audit.record(
        Action.STATUS_ADDED, actor=actor, team=team, target=name, data={"category": category}
    )
    return status


@transaction.atomic
def update_status(
    status: Status,
    *,
    actor: User | None,
    name: str = _UNSET,
    category: str = _UNSET,
    stale_after: dt.timedelta | None = _UNSET,
    now: dt.datetime | None = None,
) -> Status | None:
    """Rename the status, change its category or its stale clock (None: never stale).
    Only the arguments given change; returns None if nothing did.

    Moving the status between an open category (triage, todo, in_progress, waiting)
    and a closed one (done, cancelled) changes which of its issues count as resolved,
    in one set-based UPDATE of the issues in this status: becoming closed sets
    `resolved_at = now` where it is NULL; becoming open sets it to NULL. That UPDATE
    also bumps their `version` (so an edit based on the old state fails as stale) but
    writes no IssueEvent and leaves `last_activity_at` alone: the issues themselves
    did not change, the workflow did.

    Raises PermissionDenied unless `actor` is a team admin, and DomainError for an
    invalid value or a change that would leave the team without an open or without
    a closed status (field "category").
    """
    now = now or timezone.now()
    statuses = _lock_statuses(status.team)
    permissions.require(actor, "admin", status.team)
    current = next((s for s in statuses if s.pk == status.pk), None)
    if current is None:
        raise DomainError("That status no longer exists.")
    changed: list[str] = []
    if name is not _UNSET:
        name = _clean_name(name, max_length=STATUS_NAME_MAX)
        if name != current.name:
            _check_status_name_free(statuses, name, exclude=current)
            current.name = name
            changed.append("name")
    was_closed, was_category = current.is_closed, current.category
    if category is not _UNSET:
        category = _clean_category(category)
        if category != current.category:
            current.category = category
            _check_workflow_shape(statuses, field="category")
            changed.append("category")
    if stale_after is not _UNSET:
        stale_after = _clean_stale_after(stale_after)
        if stale_after != current.stale_after:
            current.stale_after = stale_after
            changed.append("stale_after")
    if not changed:
        return None
    _save_unique(current, update_fields=changed)
    audit.record(
        Action.STATUS_CHANGED,
        actor=actor,
        team=status.team,
        target=current.name,
        data={"changed": changed, "category": current.category},
    )
    if current.is_closed and not was_closed:
        Issue.objects.filter(status=current, resolved_at__isnull=True).update(
            resolved_at=now, version=F("version") + 1
        )
    elif was_closed and not current.is_closed:
        Issue.objects.filter(status=current).update(resolved_at=None, version=F("version") + 1)
    moved = {was_category, current.category}
    if Category.IN_PROGRESS in moved and len(moved) == 2:
        # Which issues were ever in progress, and since when, changed with the category.
        services.derive_started_at(
            Issue.objects.filter(pk__in=StatusPeriod.objects.filter(status=current).values("issue"))
        )
    _copy(status, current)
    return current


@transaction.atomic
def move_status(status: Status, *, direction: str, actor: User | None) -> Status | None:
    """Swap the status with its neighbour above ("up") or below ("down") in the
    workflow order. Positions are rewritten 0..n-1. Returns None at either end.

    Raises PermissionDenied unless `actor` is a team admin; ValueError for another
    direction (a programming error, not user input).
    """
    if direction not in {"up", "down"}:
        raise ValueError(direction)
    statuses = _lock_statuses(status.team)
    permissions.require(actor, "admin", status.team)
    index = next((i for i, s in enumerate(statuses) if s.pk == status.pk), None)
    if index is None:
        raise DomainError("That status no longer exists.")
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(statuses):
        return None
    statuses[index], statuses[other] = statuses[other], statuses[index]
    moved = []
    for position, item in enumerate(statuses):
        if item.position != position:
            item.position = position
            moved.append(item)
    Status.objects.bulk_update(moved, ["position"])
    pickers.changed([status.team_id])  # bulk_update sends no signal
    current = statuses[other]
    audit.record(
        Action.STATUS_MOVED,
        actor=actor,
        team=status.team,
        target=current.name,
        data={"direction": direction, "position": current.position},
    )
    _copy(status, current)
    return current


@transaction.atomic
def delete_status(status: Status, *, actor: User | None) -> None:
    """Delete a status that no issue is in and no issue has ever been in.

    Raises PermissionDenied unless `actor` is a team admin, and DomainError if
    issues are in it (saying how many: move them first), if issue timelines refer
    to it (history and reports need it: rename it instead), or if the team would
    be left without an open or without a closed status.
    """
    statuses = _lock_statuses(status.team)
    permissions.require(actor, "admin", status.team)
    current = next((s for s in statuses if s.pk == status.pk), None)
    if current is None:
        return None
    in_use = Issue.objects.filter(status=current).count()
    if in_use:
        raise DomainError(
            f"{_plural(in_use, 'issue')} {'is' if in_use == 1 else 'are'} in "
            f"{current.name!r}; move {'it' if in_use == 1 else 'them'} to another "
            "status before deleting it.",
            field="status",
        )
    # Timeline events point at statuses with on_delete=PROTECT: time-in-status
    # reports are computed from them, so a status with history must stay.
    if (
        IssueEvent.objects.filter(from_status=current).exists()
        or IssueEvent.objects.filter(to_status=current).exists()
    ):
        raise DomainError(
            f"Issue timelines refer to {current.name!r}, so it cannot be deleted; "
            "rename it instead.",
            field="status",
        )
    _check_workflow_shape([s for s in statuses if s.pk != current.pk], field="status")
    current.delete()
    audit.record(Action.STATUS_DELETED, actor=actor, team=status.team, target=current.name)
    return None


def _copy(target: Status, source: Status) -> None:
    """Copy the locked, updated row back onto the caller's instance."""
    if target is not source:
        for field in ("name", "category", "position", "stale_after"):
            setattr(target, field, getattr(source, field))


# --- labels -----------------------------------------------------------------------


def _clean_color(color: str) -> str:
    color = (color or "").strip()
    if not COLOR_RE.match(color):
        raise DomainError("A colour is #RRGGBB, e.g. #d73a4a.", field="color")
    return color.lower()


def _clean_description(description: str) -> str:
    description = " ".join((description or "").split())
    if len(description) > LABEL_DESCRIPTION_MAX:
        raise DomainError(
            f"The description is longer than {LABEL_DESCRIPTION_MAX} characters.",
            field="description",
        )
    return description


def _check_label_name_free(team: Team, name: str, *, exclude: Label | None) -> None:
    taken = Label.objects.filter(team=team, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    other = taken.first()
    if other is not None:
        raise DomainError(f"There is already a label named {other.name!r}.", field="name")


@transaction.atomic
def add_label(
    team: Team, *, name: str, color: str, description: str = "", actor: User | None
) -> Label:
    """Create a label in `team`.

    Raises PermissionDenied unless `actor` is a team admin, and DomainError for an
    empty name or one the team already has in any case (field "name"), a colour
    that is not #RRGGBB (field "color") or a too long description.
    """
    permissions.require(actor, "admin", team)
    name = _clean_name(name, max_length=LABEL_NAME_MAX)
    color = _clean_color(color)
    description = _clean_description(description)
    _check_label_name_free(team, name, exclude=None)
    label = Label(team=team, name=name, color=color, description=description)
    _save_unique(label)
    audit.record(Action.LABEL_ADDED, actor=actor, team=team, target=name, data={"color": color})
    return label


@transaction.atomic
def update_label(
    label: Label,
    *,
    actor: User | None,
    name: str = _UNSET,
    color: str = _UNSET,
    description: str = _UNSET,
) -> Label | None:
    """Change the label's name, colour or description; only the arguments given change.
    Returns None if nothing did. Same errors as add_label.

    Issues keep the label; their timelines keep the name it had when it was applied.
    """
    current = Label.objects.select_for_update(of=("self",)).select_related("team").get(pk=label.pk)
    permissions.require(actor, "admin", current.team)
    changed: list[str] = []
    if name is not _UNSET:
        name = _clean_name(name, max_length=LABEL_NAME_MAX)
        if name != current.name:
            _check_label_name_free(current.team, name, exclude=current)
            current.name = name
            changed.append("name")
    if color is not _UNSET:
        color = _clean_color(color)
        if color != current.color:
            current.color = color
            changed.append("color")
    if description is not _UNSET:
        description = _clean_description(description)
        if description != current.description:
            current.description = description
            changed.append("description")
    if not changed:
        return None
    _save_unique(current, update_fields=changed)
    audit.record(
        Action.LABEL_CHANGED,
        actor=actor,
        team=current.team,
        target=current.name,
        data={"changed": changed},
    )
    for field in changed:
        setattr(label, field, getattr(current, field))
    return current


@transaction.atomic
def delete_label(label: Label, *, actor: User | None) -> int:
    """Delete the label; it disappears from every issue that had it, without timeline
    events (the team retired a label, nobody unlabelled those issues).
    Returns how many issues had it.

    Raises PermissionDenied unless `actor` is a team admin.
    """
    current = (
        Label.objects.select_for_update(of=("self",))
        .select_related("team")
        .filter(pk=label.pk)
        .first()
    )
    if current is None:
        return 0
    permissions.require(actor, "admin", current.team)
    count = Issue.labels.through.objects.filter(label=current).count()
    current.delete()
    audit.record(
        Action.LABEL_DELETED,
        actor=actor,
        team=current.team,
        target=current.name,
        data={"issues": count},
    )
    return count
