"""A team's pickers: its statuses, labels and assignable members, as the list, the board
and the issue page show them in their menus and use them to name rows and events.

They change a few times a year and were read on every one of those pages: three queries,
about a tenth of a list page's CPU. Each process now keeps them, keyed by the team and its
`pickers_version`, which arrives with the team row every team page reads anyway
(`permissions.visible_teams`). A change replaces the version in the same transaction as
the change itself, so the first page that sees the change also reads the new pickers;
no process can serve a version another has moved past, and nothing has to be told to
forget anything.

The version changes on every save and delete of a status, label or membership, and of
a user who is a member (their name or whether they are active), through model signals:
the one hook that the services, the admin and the shell all pass through. Bulk writes
(`bulk_create`, `bulk_update`, `QuerySet.update`) skip the signals: code that writes
these rows in bulk calls `changed()` itself (workflow.move_status, seed_demo).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from typing import TypedDict

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save

from accounts.models import Membership, Team, User

from .models import Label, Status

# Teams' pickers kept per process; a team whose version moved on leaves its old entry
# to age out.
MAX_ENTRIES = 512

# What pickers, rows and the timeline show of a member: the handle and the name.
MEMBER_FIELDS = ("username", "display_name", "first_name", "last_name")
ASSIGNABLE_ROLES = (Membership.Role.ADMIN, Membership.Role.MEMBER, Membership.Role.SUPPORT)


class Pickers(TypedDict):
    statuses: tuple[Status, ...]
    labels: tuple[Label, ...]
    members: tuple[User, ...]


_kept: OrderedDict[tuple[int, uuid.UUID], Pickers] = OrderedDict()
_lock = threading.Lock()


def team_pickers(team: Team) -> Pickers:
    """The team's statuses (workflow order), labels (by name) and assignable members (by
    username). Shared by every request of the process: read them, never change them."""
    key = (team.pk, team.pickers_version)
    pickers = _kept.get(key)
    if pickers is None:
        pickers = load(team)
        with _lock:
            _kept[key] = pickers
            while len(_kept) > MAX_ENTRIES:
                _kept.popitem(last=False)
    return pickers


def load(team: Team) -> Pickers:
    """The team's pickers read from the database (three queries)."""
    return {
        "statuses": tuple(Status.objects.filter(team=team).order_by("position", "pk")),
        "labels": tuple(Label.objects.filter(team=team).order_by("name")),
        "members": tuple(assignable_members(team).only(*MEMBER_FIELDS)),
    }


def assignable_members(team: Team):
    """Members of `team` who can be assigned (not viewers), active, by username."""
    return User.objects.filter(
        is_active=True,
        memberships__team=team,
        memberships__role__in=ASSIGNABLE_ROLES,
    ).order_by("username")


def changed(team_ids: Iterable[int] | None = None) -> None:
    """Give these teams (all, for None) new pickers versions: every process reads their
    pickers again on its next page of theirs."""
    teams = Team.objects.all()
    if team_ids is not None:
        teams = teams.filter(pk__in=team_ids if isinstance(team_ids, QuerySet) else [*team_ids])
    teams.update(pickers_version=uuid.uuid4())


def forget() -> None:
    """Drop what this process keeps (tests that rewrite rows behind the signals' back)."""
    with _lock:
        _kept.clear()


# --- what changes them -------------------------------------------------------------


def _team_row_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:  # loaddata: the fixture brings its teams' versions
        changed([instance.team_id])


def _user_changed(sender, instance: User, raw=False, update_fields=None, **kwargs) -> None:
    if raw or kwargs.get("created"):
        return  # a new user is nobody's member yet
    if update_fields is not None and not set(update_fields) & {"is_active", *MEMBER_FIELDS}:
        return  # a sign-in (last_login) or a password: nothing the pickers show
    changed(Membership.objects.filter(user=instance).values("team_id"))


def connect() -> None:
    for model in (Status, Label, Membership):
        post_save.connect(_team_row_changed, sender=model, dispatch_uid=f"pickers-{model}")
        post_delete.connect(_team_row_changed, sender=model, dispatch_uid=f"pickers-del-{model}")
    post_save.connect(_user_changed, sender=User, dispatch_uid="pickers-user")
