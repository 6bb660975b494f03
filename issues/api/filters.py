"""The issue list's filters for the API: the pages' IssueFilterSet plus a `team` filter,
since the API lists the issues of all the caller's teams at once.

Unlike the pages, which ignore a bad filter and say so, the API refuses it: a 400
naming each bad parameter.
"""

from __future__ import annotations

from django import forms
from django_filters import filters
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.extensions import OpenApiFilterExtension
from rest_framework import serializers

from accounts.models import Team

from ..filters import SORT_CHOICES, STATE_CHOICES, IssueFilterSet
from ..models import Issue, Label, Status


class _IntegerFilter(filters.NumberFilter):
    field_class = forms.IntegerField


class ApiIssueFilterSet(IssueFilterSet):
    team = filters.ModelMultipleChoiceFilter(
        method="filter_team",
        to_field_name="key",
        queryset=Team.objects.none(),
        label="Team",
    )
    # An id, not any number: the pages' NumberFilter would accept 1.5.
    customer = _IntegerFilter(
        field_name="customer_links__customer_id", label="Customer", min_value=1, max_value=2**53
    )

    def __init__(self, data=None, *args, user=None, **kwargs):
        if data is not None:
            data = data.copy()
            keys = [p.strip().upper() for v in data.getlist("team") for p in v.split(",")]
            if keys:
                data.setlist("team", [k for k in keys if k])
        super().__init__(data, *args, user=user, **kwargs)
        teams = Team.objects.visible_to(user)
        self.filters["team"].queryset = teams
        # Status and label names of the caller's teams only: another team's names are
        # unknown values here, as they are everywhere else.
        self.filters["status"].queryset = Status.objects.filter(team__in=teams)
        self.filters["label"].queryset = Label.objects.filter(team__in=teams)

    def filter_team(self, qs, name, teams):
        # By id, not by a join on the key: with the team a constant, the planner reads
        # a page in order from the open-issues index instead of sorting every match, and
        # a search reads one team's matches from its own index (Issue.objects.of_teams).
        return qs.of_teams(*(team.pk for team in teams)) if teams else qs


class IssueFilterBackend(DjangoFilterBackend):
    """Runs ApiIssueFilterSet for the caller and tells the view the chosen `sort`."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        kwargs["user"] = request.user
        return kwargs

    def filter_queryset(self, request, queryset, view):
        bad = [name for name, values in request.query_params.lists() if _has_nul(name, values)]
        if bad:
            raise serializers.ValidationError(
                {name[:50]: ["Null characters are not allowed."] for name in bad}
            )
        filterset = self.get_filterset(request, queryset, view)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        view.sort_key = filterset.sort_key
        return filterset.qs


def _has_nul(name: str, values: list[str]) -> bool:
    return "\x00" in name or any("\x00" in value for value in values)


# --- schema -------------------------------------------------------------------------
# Written out rather than derived by drf-spectacular's django-filter support, which
# reads (and caches) the form fields of the FilterSet's class-level filters: the pages
# share those objects, and a field cached before a FilterSet sets its per-team choices
# would then refuse every status and label. tests/api/test_schema.py checks that this
# list and ApiIssueFilterSet name the same parameters.

_PRIORITIES = ["urgent", "high", "medium", "low", "none"]


def _param(name: str, schema: dict, description: str) -> dict:
    parameter = {"name": name, "in": "query", "required": False, "description": description}
    if schema.get("type") == "array":
        parameter.update(style="form", explode=True)
    return {**parameter, "schema": schema}


def _names(enum: list[str] | None = None) -> dict:
    items = {"type": "string", **({"enum": enum} if enum else {})}
    return {"type": "array", "items": items}


def _choices(choices) -> list[str]:
    return [str(value) for value, _ in choices]


_DATE = {"type": "string", "format": "date"}

FILTER_PARAMETERS = [
    _param("team", _names(), "Team keys (of your teams), e.g. `team=ENG`."),
    _param(
        "state",
        {"type": "string", "enum": _choices(STATE_CHOICES)},
        "`open` (the default unless `status` or `category` is given), `closed` or `all`.",
    ),
    _param("status", _names(), "Status names, e.g. `In progress`."),
    _param("category", _names(_choices(Status.Category.choices)), "Status categories."),
    _param("assignee", _names(), "Usernames, `me`, or `none` for unassigned issues."),
    _param("reporter", {"type": "string"}, "A username."),
    _param("priority", _names(_PRIORITIES), "Priorities, e.g. `priority=urgent,high`."),
    _param("kind", _names(_choices(Issue.Kind.choices)), "Kinds of issue."),
    _param("channel", _names(_choices(Issue.Channel.choices)), "Where issues came from."),
    _param("label", _names(), "Label names: issues with any of them."),
    _param(
        "customer",
        {"type": "integer", "minimum": 1},
        "A customer id: issues that affect this customer (one of their `customers`).",
    ),
    _param("stale", {"type": "boolean"}, "true: only stale issues; false: only others."),
    _param("created_after", _DATE, "Created on or after this day (UTC)."),
    _param("created_before", _DATE, "Created on or before this day (UTC)."),
    _param("updated_after", _DATE, "Last activity on or after this day (UTC)."),
    _param("updated_before", _DATE, "Last activity on or before this day (UTC)."),
    _param(
        "q",
        {"type": "string", "maxLength": 200},
        "Text search in title, description and comments; an issue key finds that issue.",
    ),
    _param(
        "sort",
        {"type": "string", "enum": _choices(SORT_CHOICES)},
        "`priority` (default: urgent first, then recently active), `updated`, `created` "
        "(newest first), `age` (oldest first) or `customers` (most affected customers first).",
    ),
]


class IssueFilterBackendSchema(OpenApiFilterExtension):
    target_class = IssueFilterBackend
    priority = 1  # before drf-spectacular's own DjangoFilterBackend support

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        return FILTER_PARAMETERS
