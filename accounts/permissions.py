"""What each role may do in a team: the one place that answers "may this user do this?".

Services call `require(user, action, team)`; pages and the API call `can(...)` to decide
what controls to show. Visibility (who sees a team at all) is `Team.objects.visible_to`.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import F, OuterRef, Subquery

from issuetracker.prepared import Prepared

from .models import Membership, Team, User

Role = Membership.Role

# view: read the team's issues, timeline and reports.
# watch: follow an issue (notifications).
# create / comment / edit: log issues, comment, change title, description, kind,
#   priority, due date, customer and channel, mark duplicates.
# change_status: move an issue through the workflow.
# triage: assign and unassign people, set labels, bulk changes.
# admin: team settings, members and roles, statuses, labels.
ACTIONS: dict[str, frozenset[str]] = {
    "view": frozenset({Role.ADMIN, Role.MEMBER, Role.SUPPORT, Role.VIEWER}),
    "watch": frozenset({Role.ADMIN, Role.MEMBER, Role.SUPPORT, Role.VIEWER}),
    "create": frozenset({Role.ADMIN, Role.MEMBER, Role.SUPPORT}),
    "comment": frozenset({Role.ADMIN, Role.MEMBER, Role.SUPPORT}),
    "edit": frozenset({Role.ADMIN, Role.MEMBER, Role.SUPPORT}),
    "change_status": frozenset({Role.ADMIN, Role.MEMBER, Role.SUPPORT}),
    "triage": frozenset({Role.ADMIN, Role.MEMBER}),
    "admin": frozenset({Role.ADMIN}),
}


class NotATeamMember(PermissionDenied):
    pass


def role_in(user: User, team: Team) -> str | None:
    """The user's role in `team`, or None. Cached on the user for the request."""
    if not user.is_authenticated:
        return None
    cache = user.__dict__.setdefault("_team_roles", {})
    if team.pk not in cache:
        cache[team.pk] = (
            Membership.objects.filter(user=user, team=team).values_list("role", flat=True).first()
        )
    return cache[team.pk]


def can(user: User | None, action: str, team: Team) -> bool:
    """True if `user` may perform `action` in `team`. `user=None` is the system."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    if user is None:
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    role = role_in(user, team)
    return role is not None and role in ACTIONS[action]


def require(user: User | None, action: str, team: Team) -> None:
    """Raise PermissionDenied unless `user` may perform `action` in `team`."""
    if not can(user, action, team):
        if user is not None and role_in(user, team) is None and not user.is_superuser:
            raise NotATeamMember(f"You are not a member of team {team.key}.")
        raise PermissionDenied(f"Your role in {team.key} does not allow this ({action}).")


_all_teams = Prepared(
    lambda user_id: Team.objects.annotate(
        my_role=Subquery(
            Membership.objects.filter(team=OuterRef("pk"), user_id=user_id).values("role")[:1]
        )
    ).order_by("key")
)
_member_teams = Prepared(
    lambda user_id: (
        Team.objects.filter(memberships__user_id=user_id)
        .annotate(my_role=F("memberships__role"))
        .order_by("key")
    )
)


def visible_teams(user: User) -> list[Team]:
    """The teams `user` may see (all, for superusers) by key, each with `my_role`: one
    query, remembered on the user for the request. The header lists them and team pages
    pick theirs from the same list; it also seeds the role cache."""
    if not user.is_authenticated:
        return []
    teams = user.__dict__.get("_visible_teams")
    if teams is None:
        if not user.is_active:
            teams = []
        elif user.is_superuser:  # every team, and their role where they are a member
            teams = _all_teams(user.pk)
        else:  # the role from the membership that makes the team visible (a join)
            teams = _member_teams(user.pk)
        user.__dict__["_visible_teams"] = teams
        roles = user.__dict__.setdefault("_team_roles", {})
        for team in teams:
            roles.setdefault(team.pk, team.my_role)
    return teams


def forget_roles(user: User) -> None:
    """Drop the per-request role and team caches (after membership changes)."""
    user.__dict__.pop("_team_roles", None)
    user.__dict__.pop("_visible_teams", None)
