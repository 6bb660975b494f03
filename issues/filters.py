"""The issue list's query-string filters, shared by the team pages and the API.

Every parameter has a readable value (`priority=urgent`, `assignee=me`, `label=bug`)
so a filtered view is a URL that can be bookmarked and shared. A bad value is a form
error naming the parameter, never a 500.
"""

from __future__ import annotations

import copy
import datetime as dt

import django_filters as filters
from django import forms
from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from accounts.models import Team

from . import search
from .models import Assignment, Issue, Label, Status

CLOSED_CATEGORIES = Status.CLOSED_CATEGORIES

PRIORITY_NAMES = {
    "urgent": Issue.Priority.URGENT,
    "high": Issue.Priority.HIGH,
    "medium": Issue.Priority.MEDIUM,
    "low": Issue.Priority.LOW,
    "none": Issue.Priority.NONE,
}
PRIORITY_CHOICES = [(name, Issue.Priority(value).label) for name, value in PRIORITY_NAMES.items()]

SORTS = {
    "priority": ("priority", "-last_activity_at", "-id"),
    "updated": ("-last_activity_at", "-id"),
    "created": ("-created_at", "-id"),
    "age": ("created_at", "id"),
    "customers": ("-customer_count", "priority", "-last_activity_at", "-id"),
}
SORT_CHOICES = [
    ("priority", "Priority"),
    ("updated", "Recently updated"),
    ("created", "Newest"),
    ("age", "Oldest"),
    ("customers", "Most customers affected"),
]
STATE_CHOICES = [("open", "Open"), ("closed", "Closed"), ("all", "All")]


def stale_deadline() -> ExpressionWrapper:
    """When an issue becomes stale: its last activity + its status's stale-after (NULL
    for a status that never goes stale)."""
    return ExpressionWrapper(
        F("last_activity_at") + F("status__stale_after"), output_field=DateTimeField()
    )


def with_stale_flag(qs: QuerySet[Issue], as_of: dt.datetime) -> QuerySet[Issue]:
    """Annotate `is_stale` in SQL: open, and last activity + the status's stale-after
    is before `as_of`."""
    return qs.annotate(
        stale_deadline=stale_deadline(),
        is_stale=Case(
            When(
                resolved_at__isnull=True,
                status__stale_after__isnull=False,
                stale_deadline__lt=as_of,
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def _copy_filter(original: filters.Filter) -> filters.Filter:
    """A filter for one FilterSet: its own `extra` (the per-team choices go there) and no
    form field yet (built from those choices), its method bound to the copy."""
    copied = copy.copy(original)
    copied.__dict__.pop("_field", None)
    copied.extra = dict(original.extra)
    if original.method is not None:
        copied.method = original.method  # a FilterMethod that finds the copy's parent
    return copied


class _Filters(dict):
    """The class's filters, copied for each FilterSet filter by filter instead of by
    django-filter's deepcopy, which copied some 900 objects (querysets, choice lists,
    labels) on every list request. Everything a FilterSet changes on its filters is
    replaced on the copy, never mutated in place (tests/issues/test_pages.py holds two
    teams' lists apart)."""

    def __deepcopy__(self, memo) -> dict:
        return {name: _copy_filter(f) for name, f in self.items()}


class IssueFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label="Search", max_length=search.MAX_QUERY)
    state = filters.ChoiceFilter(
        choices=STATE_CHOICES, method="filter_state", label="State", empty_label=None
    )
    status = filters.ModelMultipleChoiceFilter(
        field_name="status__name",
        queryset=Status.objects.none(),
        label="Status",
        to_field_name="name",
        distinct=False,  # one status per issue: a join cannot duplicate rows
    )
    category = filters.MultipleChoiceFilter(
        method="filter_category", choices=Status.Category.choices, label="Category"
    )
    assignee = filters.MultipleChoiceFilter(choices=[], method="filter_assignee", label="Assignee")
    reporter = filters.CharFilter(field_name="reporter__username", label="Reporter")
    priority = filters.MultipleChoiceFilter(
        choices=PRIORITY_CHOICES, method="filter_priority", label="Priority"
    )
    kind = filters.MultipleChoiceFilter(choices=Issue.Kind.choices, label="Kind", distinct=False)
    channel = filters.MultipleChoiceFilter(
        choices=Issue.Channel.choices, label="Channel", distinct=False
    )
    label = filters.ModelMultipleChoiceFilter(
        method="filter_label",
        queryset=Label.objects.none(),
        to_field_name="name",
        label="Label",
    )
    # "Affects this customer": one IssueCustomer row per (issue, customer), so no duplicates.
    customer = filters.NumberFilter(
        field_name="customer_links__customer_id",
        label="Customer",
        min_value=1,
        max_value=2**31 - 1,
    )
    stale = filters.BooleanFilter(method="filter_stale", label="Stale only")
    created_after = filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    updated_after = filters.DateFilter(field_name="last_activity_at", lookup_expr="date__gte")
    updated_before = filters.DateFilter(field_name="last_activity_at", lookup_expr="date__lte")
    sort = filters.ChoiceFilter(
        choices=SORT_CHOICES, method="filter_sort", label="Sort", empty_label=None
    )

    class Meta:
        model = Issue
        fields: list[str] = []

    @classmethod
    def get_filters(cls):
        return _Filters(super().get_filters())

    @property
    def form(self) -> forms.Form:
        """The form of this FilterSet's own filters' fields, taken as they are. django-
        filter makes a form class of them, whose instance deep-copies every field (the
        model choice fields with their querysets), on every request; the fields are
        already this FilterSet's own (`_copy_filter` leaves each copy to build its
        field), so there is nothing to protect by copying them."""
        if not hasattr(self, "_form"):
            fields = {name: f.field for name, f in self.filters.items()}
            data = self.data if self.is_bound else None
            self._form = _FilterForm(data, prefix=self.form_prefix, fields=fields)
        return self._form

    def __init__(
        self,
        data=None,
        *args,
        team: Team | None = None,
        user=None,
        now=None,
        members=None,
        **kwargs,
    ):
        """`members`: the team's {username: user id} (the assignee choices; the filter
        matches by id), read from the team when not given."""
        data = data.copy() if data is not None else None
        if data is not None:
            # Comma-separated values work too: ?priority=urgent,high
            for name in ("priority", "kind", "channel", "category", "assignee", "status", "label"):
                values = data.getlist(name)
                if any("," in v for v in values):
                    data.setlist(
                        name, [p.strip() for v in values for p in v.split(",") if p.strip()]
                    )
        super().__init__(data, *args, **kwargs)
        self.team, self.user = team, user
        self.now = now or timezone.now()
        if team is not None:
            self.filters["status"].queryset = Status.objects.filter(team=team).order_by("position")
            self.filters["label"].queryset = Label.objects.filter(team=team).order_by("name")
            if members is None:
                members = dict(
                    team.memberships.order_by("user__username").values_list(
                        "user__username", "user_id"
                    )
                )
        else:
            self.filters["status"].queryset = Status.objects.all()
            self.filters["label"].queryset = Label.objects.all()
            members = {}
        self.member_ids: dict[str, int] = members
        self.filters["assignee"].extra["choices"] = [
            ("me", "Me"),
            ("none", "Unassigned"),
            *[(m, m) for m in members],
        ]
        if team is None:
            # Without a team (the API across teams), any username is accepted.
            self.filters["assignee"].field_class = _FreeMultipleChoiceField

    # -- methods -------------------------------------------------------------------

    def filter_q(self, qs, name, value):
        return search.search(qs, value)

    def filter_state(self, qs, name, value):
        if value == "open":
            return qs.filter(resolved_at__isnull=True)
        if value == "closed":
            return qs.filter(resolved_at__isnull=False)
        return qs

    def filter_assignee(self, qs, name, values):
        if not values:
            return qs
        condition = Q()
        usernames = [v for v in values if v not in {"me", "none"}]
        if "me" in values and self.user is not None:
            usernames.append(self.user.username)
        # Subqueries, not joins: no duplicate rows, so no DISTINCT over the whole list
        # (which would sort every match before the first page).
        assigned = Assignment.objects.filter(issue_id=OuterRef("pk"))
        ids = [self.member_ids.get(name) for name in usernames]
        if usernames and None not in ids:
            # By id: PostgreSQL can then estimate how many issues the person has and
            # match them with the team's open issues in one hash join (5 ms at 100,000
            # issues); through the username it probed every issue they ever had (35 ms).
            condition |= Exists(assigned.filter(user_id__in=ids))
        elif usernames:
            condition |= Exists(assigned.filter(user__username__in=usernames))
        if "none" in values:
            condition |= ~Exists(assigned)
        return qs.filter(condition)

    def filter_label(self, qs, name, labels):
        if not labels:
            return qs
        links = Issue.labels.through.objects.filter(issue_id=OuterRef("pk"), label__in=labels)
        return qs.filter(Exists(links))

    def filter_category(self, qs, name, values):
        if not values:
            return qs
        qs = qs.filter(status__category__in=values)
        if not set(values) & CLOSED_CATEGORIES:
            # The same rows (an issue is resolved exactly when its status is closed),
            # said so the planner can use the partial index of open issues.
            qs = qs.filter(resolved_at__isnull=True)
        return qs

    def filter_priority(self, qs, name, values):
        return qs.filter(priority__in=[PRIORITY_NAMES[v] for v in values]) if values else qs

    def filter_stale(self, qs, name, value):
        if value is None:
            return qs
        qs = with_stale_flag(qs, self.now)
        return qs.filter(is_stale=value)

    def filter_sort(self, qs, name, value):
        return qs  # applied last, in `ordered`, so that search ranking can take part

    def filter_queryset(self, queryset):
        # Open issues unless the URL says otherwise (a state, or a status/category filter).
        data = self.form.cleaned_data
        if not data.get("state") and not data.get("status") and not data.get("category"):
            data["state"] = "open"
        return super().filter_queryset(queryset)

    @property
    def sort_key(self) -> str:
        value = self.form.cleaned_data.get("sort") if self.is_bound else None
        return value or "priority"

    def ordered(self, qs: QuerySet[Issue]) -> QuerySet[Issue]:
        """Apply the chosen sort; a text search without an explicit sort ranks by relevance."""
        explicit = self.is_bound and self.form.data.get("sort")
        q = self.form.cleaned_data.get("q") if self.is_bound else None
        if q and not explicit:
            return qs.order_by("-rank", *SORTS["updated"])
        return qs.order_by(*SORTS[self.sort_key])


class _FilterForm(forms.Form):
    """A form given its fields (see IssueFilterSet.form)."""

    def __init__(self, data=None, *, prefix=None, fields: dict[str, forms.Field]):
        super().__init__(data, prefix=prefix)
        self.fields = fields


class _FreeMultipleChoiceField(forms.MultipleChoiceField):
    def valid_value(self, value):
        return True


def error_message(filterset: IssueFilterSet) -> str:
    """One readable line naming each bad parameter: "priority: 'hi' is not ..."."""
    parts = []
    for field, errors in filterset.errors.items():
        parts.append(f"{field}: {' '.join(str(e) for e in errors)}")
    return "Some filters were ignored. " + "; ".join(parts) if parts else ""
