"""The reads behind the team settings pages: one query per list, whatever its length."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.db.models.functions import Lower

from issues.models import Label, Status

from .models import Membership, Team


def list_team_members(team: Team) -> QuerySet[Membership]:
    """The team's memberships with their users, by username."""
    return (
        Membership.objects.filter(team=team)
        .select_related("user")
        .order_by(Lower("user__username"), "pk")
    )


def list_team_statuses(team: Team) -> QuerySet[Status]:
    """The team's statuses in workflow order, each with `issue_count` (issues in it now)."""
    return (
        Status.objects.filter(team=team)
        .annotate(issue_count=Count("issues"))
        .order_by("position", "pk")
    )


def list_team_labels(team: Team) -> QuerySet[Label]:
    """The team's labels by name, each with `issue_count` (issues carrying it)."""
    return (
        Label.objects.filter(team=team)
        .annotate(issue_count=Count("issues"))
        .order_by(Lower("name"), "pk")
    )
