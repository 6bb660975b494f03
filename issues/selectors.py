"""The reads behind each screen, shared by pages, the API and reports."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    F,
    Func,
    IntegerField,
    Prefetch,
    Q,
    Window,
)
from django.db.models.functions import Lower, RowNumber
from django.http import Http404
from django.utils import timezone

from accounts import permissions
from accounts.models import Membership, Team
from issuetracker.prepared import Prepared
from issuetracker.queries import the_one

from . import pickers
from .models import (
    Assignment,
    Attachment,
    Issue,
    IssueCustomer,
    IssueEvent,
    Label,
    Status,
    StatusPeriod,
)

_TEAM_KEY = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")


def get_team_for_user(user, team_key: str) -> Team:
    """The team `team_key` if `user` may see it; Http404 otherwise (no existence leak).
    Picked from the request's `visible_teams` (the header needs them anyway), as a copy
    so a form editing it cannot change what the header shows."""
    key = (team_key or "").upper()
    if not user.is_authenticated or not _TEAM_KEY.match(key):
        raise Http404("No such team.")
    for team in permissions.visible_teams(user):
        if team.key == key:
            return copy.copy(team)
    raise Http404("No such team.")


def _issue_lookup(team_id: int, number: int):
    return Issue.objects.select_related("status", "reporter").filter(team_id=team_id, number=number)


_issue_by_number = Prepared(lambda team_id, number: _issue_lookup(team_id, number)[:1])
_issue_with_facts = Prepared(
    lambda team_id, number, user_id: with_issue_facts(_issue_lookup(team_id, number), user_id)[:1]
)


def get_issue_for_user(user, key: str, *, with_facts: bool = False) -> Issue:
    """The issue with key `ENG-42` if `user` may see it; Http404 otherwise.

    The team comes from the request's `visible_teams` (the header lists them anyway), so
    the issue is one lookup by (team, number) with its status and reporter: the join on
    the team key, the visibility subquery and the self-join for a duplicate's key made
    its plan cost more than its execution. A duplicate's original costs one more query,
    only for duplicates. `with_facts`: with what the issue page shows of its links too
    (`with_issue_facts`), in the same query."""
    team_key, _, number = (key or "").upper().rpartition("-")
    well_formed = _TEAM_KEY.match(team_key) and number.isascii() and number.isdigit()
    if not user.is_authenticated or not well_formed or len(number) > 9:
        raise Http404("No such issue.")
    team = next((t for t in permissions.visible_teams(user) if t.key == team_key), None)
    if team is None:
        raise Http404("No such issue.")
    if with_facts:
        issue = _issue_with_facts.one(team.pk, int(number), user.pk)
    else:
        issue = _issue_by_number.one(team.pk, int(number))
    if issue is None:
        raise Http404("No such issue.")
    issue.team = copy.copy(team)  # a copy: a form editing it cannot change the header
    if issue.duplicate_of_id:
        issue.duplicate_of = the_one(
            Issue.objects.select_related("team").filter(pk=issue.duplicate_of_id)
        )
    return issue


def get_attachment_for_user(user, key: str, pk: int) -> Attachment:
    """Attachment `pk` of issue `key` if `user` may see the issue; Http404 otherwise."""
    issue = get_issue_for_user(user, key)
    attachment = Attachment.objects.filter(issue=issue, pk=pk).select_related("uploaded_by").first()
    if attachment is None:
        raise Http404("No such attachment.")
    attachment.issue = issue
    return attachment


def list_attachments(issue: Issue):
    """An issue's attachments, oldest first, with their uploaders."""
    return (
        Attachment.objects.filter(issue=issue)
        .select_related("uploaded_by")
        .order_by("created_at", "id")
    )


def get_home(user) -> dict:
    """The home page: my open assigned issues grouped by status category, open issues I
    reported or watch (not assigned to me), and my teams with their open counts."""
    teams = (
        Team.objects.visible_to(user)
        .annotate(open_count=Count("issues", filter=Q(issues__resolved_at__isnull=True)))
        .order_by("key")
    )
    visible = Issue.objects.visible_to(user).open().select_related("team", "status")
    mine = visible.filter(assignments__user=user).order_by("priority", "-last_activity_at")[:100]
    following = (
        visible.filter(Q(reporter=user) | Q(watchers=user))
        .exclude(assignments__user=user)
        .distinct()
        .order_by("-last_activity_at")[:30]
    )
    order = [c for c, _ in Status.Category.choices]
    categories = dict(Status.Category.choices)
    groups: dict[str, list[Issue]] = {categories[c]: [] for c in order}
    for issue in mine:
        groups[categories[issue.status.category]].append(issue)
    return {
        "teams": teams,
        "my_issue_groups": {name: issues for name, issues in groups.items() if issues},
        "following": following,
    }


def with_issue_facts(issues, user_id: int | None):
    """Issues annotated with what the issue page shows of their links: `watcher_count`,
    `is_watching` (for the user `user_id`), `attachment_count` and `with_link_ids`'
    assignee and label ids."""
    watchers = Issue.watchers.through
    return with_link_ids(issues).annotate(
        watcher_count=_Linked(watchers, "user", "count"),
        is_watching=_Linked(watchers, "user", "has", user_id),
        attachment_count=_Linked(Attachment, "id", "count"),
    )


_customer_links = Prepared(
    lambda issue_id: (
        IssueCustomer.objects.filter(issue_id=issue_id)
        .select_related("customer__organization")
        .order_by("added_at", "pk")
    )
)
_timeline = Prepared(
    lambda issue_id: (
        IssueEvent.objects.filter(issue_id=issue_id)
        .select_related("comment", "comment__customer")
        .order_by("created_at", "id")
    )
)
_status_periods = Prepared(
    lambda issue_id: StatusPeriod.objects.filter(issue_id=issue_id).order_by(
        "entered_at", "entered_event_id"
    )
)


def get_issue_detail(issue: Issue, *, user=None) -> dict:
    """Everything the issue page shows, in a fixed number of queries whatever the length
    of the history: the team's pickers (statuses, labels, assignable members), which also
    name the issue's labels and assignees and the timeline's people and statuses; watcher
    facts; affected customers; the timeline (events with their comments, in time order);
    attachments. The customers and the attachments are not asked for when the issue has
    none (most have neither): its `customer_count`, kept by the services, and the facts
    say so. One more for the people named who are not members, whoever they are. The
    facts come with the issue when it was read `with_issue_facts` (the issue page does);
    otherwise they cost one query more."""
    team = issue.team
    kept = pickers.team_pickers(team)
    statuses, team_labels, members = kept["statuses"], kept["labels"], kept["members"]
    if not hasattr(issue, "watcher_count"):
        facts = (
            with_issue_facts(Issue.objects.filter(pk=issue.pk), getattr(user, "pk", None))
            .values("watcher_count", "is_watching", "attachment_count", "assignee_ids", "label_ids")
            .get()
        )
        for name, value in facts.items():
            setattr(issue, name, value)
    issue.customer_link_list = _customer_links(issue.pk) if issue.customer_count else []
    timeline = _timeline(issue.pk)
    # Whoever the page names and the members do not include (a former member assigned or
    # in the history) is read in one query, for the assignees and the timeline together.
    people = name_timeline(
        timeline,
        people=[*members, issue.reporter] if issue.reporter_id else members,
        statuses=statuses,
        also=link_ids(issue.assignee_ids),
    )
    attach_links([issue], members=people, labels=team_labels)
    attachment_list = list(list_attachments(issue)) if issue.attachment_count else []
    by_comment: dict[int, list[Attachment]] = {}
    for attachment in attachment_list:
        attachment.issue = issue  # for its URL, without a query per row
        if attachment.comment_id:
            by_comment.setdefault(attachment.comment_id, []).append(attachment)
    for event in timeline:
        if event.comment is not None:
            event.comment.attachment_list = by_comment.get(event.comment_id, [])
    return {
        "issue": issue,
        "timeline": timeline,
        "life": get_issue_life(issue, timeline=timeline, statuses=statuses, people=people),
        "attachments": attachment_list,
        "statuses": statuses,
        "team_labels": team_labels,
        "members": members,
    }


# What a list row (templatetags/issue_tags.issue_row) and the bulk bar read of an issue.
LIST_ROW_FIELDS = (
    "team_id", "number", "title", "priority", "status_id", "customer_count",
    "created_at", "last_activity_at",
)  # fmt: skip


def list_team_issues(team: Team, *, user, params, now=None):
    """The team list: (filterset, ordered queryset with the list columns and stale flag,
    pickers). `params` is the query string; bad values are reported by the filterset's
    errors and ignored. Rows carry `is_stale`; assignees and labels are prefetched.
    `pickers` holds the team's statuses, labels and assignable members for the filter
    menus and the bulk bar, as this process keeps them (pickers.py)."""
    from .filters import IssueFilterSet, with_stale_flag

    team_pickers = pickers.team_pickers(team)
    filterset = IssueFilterSet(
        params,
        queryset=Issue.objects.of_teams(team.pk),
        team=team,
        user=user,
        now=now,
        members={m.username: m.pk for m in team_pickers["members"]},
    )
    qs = filterset.ordered(filterset.qs)
    # The rows' team and status come from the page's own (see attach_links), not from
    # joined columns made into two more objects per row; only the columns a row shows
    # are read (LIST_ROW_FIELDS): each loaded column is a conversion and an attribute
    # on every one of the 50 rows.
    qs = with_link_ids(with_stale_flag(qs, filterset.now)).only(*LIST_ROW_FIELDS)
    return filterset, qs, team_pickers


class _Linked(Func):
    """What the outer issue has in `model` (a link table with an `issue` column), as a
    correlated subquery written as SQL: `ids`, the `column` values as "3,7,12" (NULL for
    none); `count`, how many rows; `has`, whether a row's `column` is `value`. Built as a
    Subquery of a QuerySet, each cost a page more Python (a whole inner query made,
    resolved and compiled on every request) than the 50 rows' values of a list."""

    OUTPUT = {"ids": CharField, "count": IntegerField, "has": BooleanField}

    def __init__(self, model, column: str, result: str = "ids", value=None, order=()):
        super().__init__(F("pk"), output_field=self.OUTPUT[result]())
        self.model, self.column, self.result, self.value = model, column, result, value
        self.order = order  # `ids` in this order of the link's fields (any, otherwise)

    def as_sql(self, compiler, connection, **extra):
        issue, params = compiler.compile(self.source_expressions[0])
        quote, field = connection.ops.quote_name, self.model._meta.get_field
        table, alias = quote(self.model._meta.db_table), quote("link")
        value = f"{alias}.{quote(field(self.column).column)}"
        link = f"{alias}.{quote(field('issue').column)}"
        # Names from the model's metadata and the compiled outer column; the one value
        # (`has`) is a parameter.
        if self.result == "count":
            sql = f"(SELECT COUNT(*) FROM {table} {alias} WHERE {link} = {issue})"  # noqa: S608  # nosec B608
        elif self.result == "has":
            sql = f"EXISTS(SELECT 1 FROM {table} {alias} WHERE {link} = {issue} AND {value} = %s)"  # noqa: S608  # nosec B608
            params = [*params, self.value]
        else:
            order = ", ".join(f"{alias}.{quote(field(name).column)}" for name in self.order)
            rows = f"FROM {table} {alias} WHERE {link} = {issue}"
            if connection.vendor == "postgresql":
                order = f" ORDER BY {order}" if order else ""
                sql = f"(SELECT STRING_AGG(({value})::text, ','{order}) {rows})"  # nosec B608
            elif order:
                # SQLite before 3.44 cannot order inside the aggregate; it concatenates an
                # ordered subquery's rows in their order.
                rows = f"(SELECT {value} AS v {rows} ORDER BY {order})"  # nosec B608
                sql = f"(SELECT GROUP_CONCAT(v, ',') FROM {rows})"  # noqa: S608  # nosec B608
            else:
                sql = f"(SELECT GROUP_CONCAT({value}, ',') {rows})"  # nosec B608
        return sql, params


def linked_ids(model, column: str, order: Sequence[str] = ()) -> _Linked:
    """An annotation: the outer issue's `column` values in the link table `model`, as
    "3,7,12" (`link_ids` reads it), in `order` of the link's fields when given."""
    return _Linked(model, column, order=tuple(order))


def with_link_ids(issues):
    """Issues annotated with their assignees' and labels' ids, so a page of rows needs no
    query per relation: `attach_links` turns them into `assignee_list` and `label_list`
    from the people and labels the page has loaded for its menus anyway."""
    return issues.annotate(
        assignee_ids=_Linked(Assignment, "user"),
        label_ids=_Linked(Issue.labels.through, "label"),
    )


def link_ids(text: str | None) -> list[int]:
    """The ids of a `with_link_ids` annotation ("3,7,12")."""
    return [int(i) for i in (text or "").split(",") if i]


def person_order(user) -> str:
    """How people are listed on an issue: by username."""
    return user.username


def label_order(label) -> tuple[str, int]:
    """How labels are listed on an issue: by name whatever the case."""
    return label.name.lower(), label.pk


def by_id(known, model, ids) -> dict:
    """The objects `known` (already loaded: the team's pickers) by id, with those of `ids`
    they lack read from `model` in one query (none when nothing lacks). The pages name
    statuses, people and labels this way instead of joining their rows."""
    found = {thing.pk: thing for thing in known}
    if missing := set(ids) - found.keys():
        found.update(model.objects.in_bulk(missing))
    return found


def attach_links(issues, *, members, labels, team=None, statuses=None) -> None:
    """Set `assignee_list` (by username) and `label_list` (by name) on issues loaded
    `with_link_ids`, resolving ids through `members` and `labels`. Anyone not among
    `members` (a viewer or a former member still assigned) costs one query for all.
    With `team` and its `statuses`, also set each issue's team and status from them."""
    from django.contrib.auth import get_user_model

    if team is not None:
        by_pk = {s.pk: s for s in statuses}
        for issue in issues:
            issue.team, issue.status = team, by_pk[issue.status_id]
    people = by_id(
        members, get_user_model(), (i for issue in issues for i in link_ids(issue.assignee_ids))
    )
    tags = by_id(labels, Label, (i for issue in issues for i in link_ids(issue.label_ids)))
    for issue in issues:
        issue.assignee_list = sorted(
            (people[i] for i in link_ids(issue.assignee_ids) if i in people),
            key=person_order,
        )
        issue.label_list = sorted(
            (tags[i] for i in link_ids(issue.label_ids) if i in tags),
            key=label_order,
        )


def name_timeline(events: list[IssueEvent], *, people, statuses, also=()) -> list:
    """Set each event's actor, subject_user, from_status and to_status from the people
    and statuses the page has loaded anyway (the team's members and statuses), instead of
    four joined rows per event. Whoever is not among them (a former member, a viewer, a
    status of another team), and the users `also` names, cost one query per kind for
    all. Returns the people: those given and those read."""
    from django.contrib.auth import get_user_model

    user_ids = {i for e in events for i in (e.actor_id, e.subject_user_id) if i is not None}
    user_ids.update(also)
    status_ids = {i for e in events for i in (e.from_status_id, e.to_status_id) if i is not None}
    users = by_id(people, get_user_model(), user_ids)
    by_status = by_id(statuses, Status, status_ids)
    for event in events:
        event.actor = users.get(event.actor_id)
        event.subject_user = users.get(event.subject_user_id)
        event.from_status = by_status.get(event.from_status_id)
        event.to_status = by_status.get(event.to_status_id)
    return list(users.values())


def list_board_columns(team: Team, issues, pickers: dict, *, per_column: int = 50) -> list[dict]:
    """The board: one column per status in order, each with its first `per_column` issues
    of the (already filtered and ordered) list and its total count. `pickers` are the
    team's statuses, labels and members from `list_team_issues`. Fixed number of queries.

    The list's filters never repeat an issue (people, labels and customers are matched
    with EXISTS, never joined), so the counts and the cards read the list as it is:
    wrapping it in `id IN (...)` to make rows unique made PostgreSQL read the whole
    issues table, every team's, twice per board (100 ms each at 100,000 issues)."""
    statuses, members, labels = pickers["statuses"], pickers["members"], pickers["labels"]

    ordering = list(issues.query.order_by or ("priority", "-last_activity_at"))
    ordering = [o for o in ordering if o.lstrip("-") != "rank"] or ["priority"]
    counts = dict(
        issues.order_by()
        .values_list("status_id")
        .annotate(n=Count("pk"))
        .values_list("status_id", "n")
    )
    # `issues` carries the list's columns, link ids and stale flag already; the cards'
    # team and status come from the page's own, as the list's rows do.
    ranked = issues.annotate(
        column_row=Window(
            RowNumber(), partition_by=[F("status_id")], order_by=[_expr(o) for o in ordering]
        )
    ).order_by(*ordering)
    cards = list(ranked.filter(column_row__lte=per_column))
    attach_links(cards, members=members, labels=labels, team=team, statuses=statuses)
    by_status: dict[int, list] = {}
    for issue in cards:
        by_status.setdefault(issue.status_id, []).append(issue)
    return [
        {"status": s, "issues": by_status.get(s.pk, []), "count": counts.get(s.pk, 0)}
        for s in statuses
    ]


def _expr(order: str):
    return F(order[1:]).desc() if order.startswith("-") else F(order).asc()


def list_saved_views(team: Team, user) -> list:
    """`user`'s saved views of `team`, by name."""
    return _saved_views(team.pk, user.pk)


def _saved_views_query(team_id: int, owner_id: int):
    from .models import SavedView

    return SavedView.objects.filter(team_id=team_id, owner_id=owner_id).order_by("name")


_saved_views = Prepared(_saved_views_query)


def get_customer_status(issue: Issue) -> dict:
    """What the public status page shows: the issue's public comments only, each with
    the name a customer may see (a support person's display name, else the team's
    name). Two queries."""
    from .models import Comment

    comments = list(
        Comment.objects.filter(issue=issue, is_public=True)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    support = set(
        Membership.objects.filter(
            team=issue.team,
            role=Membership.Role.SUPPORT,
            user_id__in={c.author_id for c in comments if c.author_id},
        ).values_list("user_id", flat=True)
    )
    for comment in comments:
        shown = comment.author.name if comment.author_id in support else None
        comment.shown_author = shown or issue.team.name
    return {"issue": issue, "comments": comments}


# --- customers and organizations ------------------------------------------------------


def may_see_customers(user) -> bool:
    """Customers belong to no team: anyone who works in a team may look them up.
    Remembered on the user for the request."""
    if "_may_see_customers" not in user.__dict__:
        user.__dict__["_may_see_customers"] = bool(
            user.is_authenticated and (user.is_superuser or permissions.visible_teams(user))
        )
    return user.__dict__["_may_see_customers"]


def _open_issue_count(user, prefix: str = "") -> Count:
    """Open issues (of `user`'s teams) affecting the customer, as an annotation."""
    path = f"{prefix}issue_links__issue"
    return Count(
        path,
        filter=Q(**{f"{path}__resolved_at__isnull": True})
        & Q(**{f"{path}__team__in": Team.objects.visible_to(user).values("pk")}),
        distinct=True,
    )


def search_customers(user, q: str = ""):
    """Customers whose name, email or organization contain every word of `q`, with
    their organization loaded; none for someone in no team."""
    from .models import Customer

    if not may_see_customers(user):
        return Customer.objects.none()
    customers = Customer.objects.select_related("organization")
    for word in (q or "").split()[:10]:
        customers = customers.filter(
            Q(name__icontains=word)
            | Q(email__icontains=word)
            | Q(organization__name__icontains=word)
        )
    return customers


def list_customers_page(user, q: str = ""):
    """The customer list: search results with `open_issue_count` (the viewer's teams),
    ordered by name."""
    return (
        search_customers(user, q)
        .annotate(open_issue_count=_open_issue_count(user))
        .order_by(Lower("name"), "pk")
    )


def get_customer_for_user(user, pk: int):
    from .models import Customer

    customer = None
    if may_see_customers(user):
        customer = Customer.objects.select_related("organization").filter(pk=pk).first()
    if customer is None:
        raise Http404("No such customer.")
    return customer


def list_customer_issues(customer, user):
    """The customer's issues in the teams `user` belongs to (never others), open ones
    first, newest first, with team and status loaded."""
    return (
        Issue.objects.visible_to(user)
        .filter(customer_links__customer=customer)
        .select_related("team", "status")
        .order_by(F("resolved_at").desc(nulls_first=True), "-created_at", "-pk")
    )


def search_organizations(user, q: str = ""):
    from .models import Organization

    if not may_see_customers(user):
        return Organization.objects.none()
    orgs = Organization.objects.annotate(customer_count=Count("customers", distinct=True))
    for word in (q or "").split()[:10]:
        orgs = orgs.filter(name__icontains=word)
    return orgs.order_by(Lower("name"), "pk")


def get_organization_for_user(user, pk: int):
    from .models import Organization

    org = None
    if may_see_customers(user):
        org = (
            Organization.objects.annotate(customer_count=Count("customers", distinct=True))
            .filter(pk=pk)
            .first()
        )
    if org is None:
        raise Http404("No such organization.")
    return org


def get_organization_detail(org, user) -> dict:
    """The organization page: its customers (with open issue counts) and their issues
    in the viewer's teams, each issue once with the names of its customers here."""
    from django.db.models import prefetch_related_objects

    customers = list(
        org.customers.annotate(open_issue_count=_open_issue_count(user)).order_by(
            Lower("name"), "pk"
        )
    )
    issues = list(
        Issue.objects.visible_to(user)
        .filter(pk__in=IssueCustomer.objects.filter(customer__organization=org).values("issue"))
        .select_related("team", "status")
        .order_by(F("resolved_at").desc(nulls_first=True), "-created_at", "-pk")[:200]
    )
    prefetch_related_objects(
        issues,
        Prefetch(
            "customer_links",
            queryset=IssueCustomer.objects.filter(customer__organization=org)
            .select_related("customer")
            .order_by("added_at", "pk"),
            to_attr="org_links",
        ),
    )
    return {"organization": org, "customers": customers, "issues": issues}


def list_status_periods(issue: Issue):
    """The issue's status periods in order, with their status and who moved it in."""
    return (
        StatusPeriod.objects.filter(issue=issue)
        .select_related("status", "entered_by")
        .order_by("entered_at", "entered_event_id")
    )


def first_response(issue: Issue, timeline: list[IssueEvent]) -> IssueEvent | None:
    """The first reaction from someone other than the reporter: a public comment (what
    the customer sees) or an assignment (someone took it on). Internal comments and the
    reporter's own actions do not count; neither do system events."""
    for event in timeline:
        if event.actor_id is None or event.actor_id == issue.reporter_id:
            continue
        if event.kind == IssueEvent.Kind.ASSIGNED or (
            event.kind == IssueEvent.Kind.COMMENTED and (event.data or {}).get("public")
        ):
            return event
    return None


def get_issue_life(
    issue: Issue, *, timeline: list[IssueEvent], now=None, statuses=(), people=()
) -> dict:
    """The issue page's status bar and facts: one segment per status period (width in
    percent of the issue's age), time per status, age, time to first response, time to
    resolution and reopenings. One query (the periods, their statuses and people named
    from `statuses` and `people`, which the page has loaded anyway; any other costs one
    query per kind); the rest comes from `timeline`, the issue's events in order."""
    from django.contrib.auth import get_user_model

    now = now or timezone.now()
    periods = _status_periods(issue.pk)
    by_status = by_id(statuses, Status, (p.status_id for p in periods))
    users = by_id(people, get_user_model(), (p.entered_by_id for p in periods if p.entered_by_id))
    for period in periods:
        period.status = by_status[period.status_id]
        period.entered_by = users.get(period.entered_by_id)
    start = periods[0].entered_at if periods else issue.created_at
    span = max((now - start).total_seconds(), 1)
    segments, totals = [], {}
    offset = 0.0
    for period in periods:
        seconds = ((period.left_at or now) - period.entered_at).total_seconds()
        width = 100 * seconds / span
        segments.append(
            {
                "period": period,
                "seconds": seconds,
                "x": round(offset, 3),
                "width": round(width, 3),
            }
        )
        offset += width
        total = totals.setdefault(
            period.status_id, {"status": period.status, "seconds": 0.0, "periods": 0}
        )
        total["seconds"] += seconds
        total["periods"] += 1
    response = first_response(issue, timeline)
    return {
        "segments": segments,
        "totals": sorted(totals.values(), key=lambda t: (t["status"].position, t["status"].pk)),
        "age_seconds": (now - issue.created_at).total_seconds(),
        "first_response": response,
        "first_response_seconds": (response.created_at - issue.created_at).total_seconds()
        if response
        else None,
        "resolution_seconds": (issue.resolved_at - issue.created_at).total_seconds()
        if issue.resolved_at
        else None,
        "reopens": sum(1 for e in timeline if (e.data or {}).get("reopened")),
    }
