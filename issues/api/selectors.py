"""The reads behind the API endpoints: each loads what its serializer shows in a fixed
number of queries, whatever the number of rows.

They build on the same QuerySet methods and access helpers as the pages
(`visible_to`, `issues.selectors.get_issue_for_user` / `get_team_for_user`); they live
here only because they serve the API alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership, Team
from issuetracker.prepared import Prepared
from notifications.models import Notification

from .. import pickers, selectors
from ..filters import with_stale_flag
from ..models import (
    Comment,
    Customer,
    Issue,
    IssueCustomer,
    IssueEvent,
    Label,
    Organization,
    Status,
)

User = get_user_model()


def _my_role(user) -> Subquery:
    return Subquery(Membership.objects.filter(team=OuterRef("pk"), user=user).values("role")[:1])


def list_teams(user) -> QuerySet[Team]:
    """The teams `user` belongs to, each with `my_role`."""
    return Team.objects.visible_to(user).annotate(my_role=_my_role(user))


def get_team_detail(team: Team) -> Team:
    """The team with its statuses (workflow order), labels and members loaded."""
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(
        [team],
        Prefetch(
            "statuses", queryset=Status.objects.order_by("position", "pk"), to_attr="status_list"
        ),
        Prefetch(
            "labels", queryset=Label.objects.order_by(Lower("name"), "pk"), to_attr="label_list"
        ),
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("user").order_by("user__username", "pk"),
            to_attr="member_list",
        ),
    )
    return team


def list_issues(user, *, now: dt.datetime | None = None) -> QuerySet[Issue]:
    """Issues of the user's teams with the list columns: the base the filters narrow.

    Rows carry `is_stale`, `assignee_list`, `label_list` and `customer_link_list`.
    """
    return _issue_rows(user, now=now).prefetch_related(*_issue_lists())


def _issue_rows(user, *, now: dt.datetime | None = None) -> QuerySet[Issue]:
    return (
        with_stale_flag(Issue.objects.visible_to(user), now or timezone.now())
        .select_related("team", "status", "reporter", "duplicate_of__team")
        # Only what IssueOutput shows and the orderings compare: the search document, the
        # stale/waiting bookkeeping and whole related rows cost transfer and parsing on
        # every row of every page.
        .only(*ISSUE_LIST_COLUMNS)
    )


def _page_rows(order: tuple[str, ...], every_team: bool) -> Prepared:
    """The page query for one ordering, compiled once (`Prepared`): the rows of the
    caller's teams (all teams for a superuser) among `ids`, with their team's key and
    pickers version and the ids of their customers, assignees and labels. `is_stale` is
    set from the status (`_set_stale`), so the query has no clock in it."""
    key = (order, every_team)
    prepared = _PAGE_ROWS.get(key)
    if prepared is None:

        def rows(issues):
            rows = (
                issues.select_related("team")
                .only(*PAGE_COLUMNS)
                .annotate(
                    customer_ids=selectors.linked_ids(IssueCustomer, "customer", ("added_at", "id"))
                )
            )
            return selectors.with_link_ids(rows).order_by(*order)

        if every_team:
            prepared = Prepared(lambda ids: rows(Issue.objects.filter(pk__in=ids)))
        else:
            # Team.objects.visible_to(user), by the user's id.
            prepared = Prepared(
                lambda user_id, ids: rows(
                    Issue.objects.filter(
                        team__in=Membership.objects.filter(user_id=user_id).values("team_id"),
                        pk__in=ids,
                    )
                )
            )
        prepared = _PAGE_ROWS.setdefault(key, prepared)
    return prepared


_PAGE_ROWS: dict[tuple[tuple[str, ...], bool], Prepared] = {}


def list_page_issues(
    user, ids, *, order: Sequence[str] = (), now: dt.datetime | None = None
) -> list[Issue]:
    """The issues `ids` (a page the filters picked: a list or a subquery) as `list_issues`
    gives them, in `order`, in one query: the rows with their team's key and pickers
    version, their customers' ids among them. Statuses, people and labels are named from
    the teams' pickers, which the process keeps (pickers.py), instead of three joined
    rows made into objects per issue (a third of the API list's Python) or three
    prefetches. Anyone not among the members (a former member who reported or is
    assigned) costs one query for all, and so do the originals of duplicates, only when
    the page has any."""
    now = now or timezone.now()
    rows = _page_rows(tuple(order), user.is_superuser)
    issues = rows(ids) if user.is_superuser else rows(user.pk, ids)
    kept = [pickers.team_pickers(team) for team in {i.team_id: i.team for i in issues}.values()]
    # An issue's status is its team's: the fallback read finds nothing to read.
    statuses = selectors.by_id(
        [status for team in kept for status in team["statuses"]],
        Status,
        (i.status_id for i in issues),
    )
    wanted = {i.reporter_id for i in issues if i.reporter_id}
    wanted.update(p for i in issues for p in selectors.link_ids(i.assignee_ids))
    people = selectors.by_id([person for team in kept for person in team["members"]], User, wanted)
    duplicated = {i.duplicate_of_id for i in issues if i.duplicate_of_id}
    originals = (
        Issue.objects.select_related("team").only("number", "team__key").in_bulk(duplicated)
        if duplicated
        else {}
    )
    # Sorted and named as the pages do (a user or label deleted between the reads is
    # just left out).
    selectors.attach_links(
        issues,
        members=people.values(),
        labels=[label for team in kept for label in team["labels"]],
    )
    for issue in issues:
        issue.status = statuses[issue.status_id]
        issue.reporter = people.get(issue.reporter_id)
        issue.duplicate_of = originals.get(issue.duplicate_of_id)
        _set_stale(issue, now)
        issue.customer_link_list = [
            IssueCustomer(issue_id=issue.pk, customer_id=customer_id)
            for customer_id in selectors.link_ids(issue.customer_ids)
        ]
    return issues


_NAMED = ("status", "reporter", "duplicate_of")
ISSUE_LIST_COLUMNS = (
    "team__key",
    "team__pickers_version",
    "number",
    "title",
    "description",
    "description_html",
    "kind",
    "priority",
    "status__name",
    "status__category",
    "reporter__username",
    "customer_count",
    "channel",
    "due_date",
    "duplicate_of__number",
    "duplicate_of__team__key",
    "created_at",
    "resolved_at",
    "last_activity_at",
    "version",
    "status_link_nonce",
)
# What a page of the API list reads of each issue: the same, but the status and the
# reporter by id (the pickers name them) and a duplicate's original by id (read apart).
PAGE_COLUMNS = (
    *(column for column in ISSUE_LIST_COLUMNS if column.split("__")[0] not in _NAMED),
    *(f"{name}_id" for name in _NAMED),
)


def _issue_lists() -> list[Prefetch]:
    return [
        Prefetch(
            "assignees",
            queryset=User.objects.order_by("username").only("username"),
            to_attr="assignee_list",
        ),
        Prefetch(
            "labels",
            queryset=Label.objects.order_by(Lower("name")).only("name"),
            to_attr="label_list",
        ),
        _customer_links(),
    ]


def _customer_links() -> Prefetch:
    return Prefetch(
        "customer_links",
        queryset=IssueCustomer.objects.order_by("added_at", "id").only(
            "issue_id", "customer_id", "added_at"
        ),
        to_attr="customer_link_list",
    )


def load_issue(issue: Issue, *, now: dt.datetime | None = None) -> Issue:
    """Load the assignees and labels of one issue (from get_issue_for_user) and set
    `is_stale` the way the list computes it in SQL."""
    from django.db.models import prefetch_related_objects

    prefetch_related_objects([issue], *_issue_lists())
    return _set_stale(issue, now or timezone.now())


def load_created_issue(issue: Issue, *, assignees, labels, now: dt.datetime | None = None) -> Issue:
    """`load_issue` for the issue `services.create_issue` has just returned, in the same
    request: its assignees and labels are the ones it was given (named and ordered as
    the list names them), so only its customer links are read, and only if it has any."""
    issue.assignee_list = sorted(set(assignees), key=selectors.person_order)
    issue.label_list = sorted(set(labels), key=selectors.label_order)
    issue.customer_link_list = (
        list(_customer_links().queryset.filter(issue=issue)) if issue.customer_count else []
    )
    return _set_stale(issue, now or timezone.now())


def _set_stale(issue: Issue, now: dt.datetime) -> Issue:
    stale_after = issue.status.stale_after
    issue.is_stale = bool(
        issue.resolved_at is None and stale_after and issue.last_activity_at + stale_after < now
    )
    return issue


def list_comments(issue: Issue) -> QuerySet[Comment]:
    return Comment.objects.filter(issue=issue).select_related("author", "customer")


def list_timeline(issue: Issue) -> QuerySet[IssueEvent]:
    return IssueEvent.objects.filter(issue=issue).select_related(
        "actor", "from_status", "to_status", "subject_user"
    )


def list_customers(user, *, q: str = "") -> QuerySet[Customer]:
    """Customers matching `q` (every word in the name, email or organization)."""
    return selectors.search_customers(user, q)


def get_customer_for_user(user, pk: int) -> Customer:
    return selectors.get_customer_for_user(user, pk)


def list_organizations(user, *, q: str = "") -> QuerySet[Organization]:
    return selectors.search_organizations(user, q)


def get_organization_for_user(user, pk: int) -> Organization:
    return selectors.get_organization_for_user(user, pk)


def list_notifications(user, *, unread: bool | None = None) -> QuerySet[Notification]:
    notes = Notification.objects.filter(recipient=user).select_related(
        "issue__team", "event__actor"
    )
    if unread is not None:
        notes = notes.filter(read_at__isnull=unread)
    return notes


def get_notification_for_user(user, pk: int) -> Notification:
    note = Notification.objects.filter(recipient=user, pk=pk).first()
    if note is None:
        raise Http404("No such notification.")
    return note


def get_me(user):
    """The user with their teams and roles (`team_list`: memberships with teams)."""
    user.team_list = list(
        Membership.objects.filter(user=user).select_related("team").order_by("team__key")
    )
    return user
