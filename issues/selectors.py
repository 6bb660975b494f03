"""The reads behind each screen, shared by pages, the API and reports."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q
from django.http import Http404

from accounts.models import Team

from .models import Issue, IssueEvent, Status


def get_team_for_user(user, team_key: str) -> Team:
    """The team `team_key` if `user` may see it; Http404 otherwise (no existence leak)."""
    team = Team.objects.visible_to(user).filter(key=team_key.upper()).first()
    if team is None:
        raise Http404("No such team.")
    return team


def get_issue_for_user(user, key: str) -> Issue:
    """The issue with key `ENG-42` if `user` may see it; Http404 otherwise."""
    team_key, _, number = key.upper().rpartition("-")
    if not team_key or not number.isdigit() or len(number) > 9:
        raise Http404("No such issue.")
    issue = (
        Issue.objects.visible_to(user)
        .select_related("team", "status", "reporter", "customer", "duplicate_of__team")
        .filter(team__key=team_key, number=int(number))
        .first()
    )
    if issue is None:
        raise Http404("No such issue.")
    return issue


def get_home(user) -> dict:
    """What the home page shows: my teams with open counts, and my open assigned issues."""
    teams = (
        Team.objects.visible_to(user)
        .annotate(open_count=Count("issues", filter=Q(issues__resolved_at__isnull=True)))
        .order_by("key")
    )
    mine = (
        Issue.objects.visible_to(user)
        .open()
        .filter(assignments__user=user)
        .select_related("team", "status")
        .order_by("priority", "-last_activity_at")[:50]
    )
    categories = dict(Status.Category.choices)
    groups: dict[str, list[Issue]] = {}
    for issue in mine:
        groups.setdefault(categories[issue.status.category], []).append(issue)
    return {"teams": teams, "my_issue_groups": groups}


def get_issue_detail(issue: Issue) -> dict:
    """The issue page: properties and the timeline (events, with comments inline) in
    time order. A fixed number of queries whatever the length of the history."""
    timeline = (
        IssueEvent.objects.filter(issue=issue)
        .select_related("actor", "from_status", "to_status", "subject_user", "comment")
        .order_by("created_at", "id")
    )
    issue = (
        Issue.objects.filter(pk=issue.pk)
        .select_related("team", "status", "reporter", "customer", "duplicate_of__team")
        .prefetch_related(
            "labels",
            Prefetch("assignees", to_attr="assignee_list"),
            Prefetch("watchers", to_attr="watcher_list"),
        )
        .get()
    )
    return {"issue": issue, "timeline": timeline}
