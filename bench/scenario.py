"""What the benchmark asks for, picked from the seeded data (in the runner's Django
process): the team, who signs in, the list's category, the issue page's issue, the
search word, where issues are created and by whom. Every choice is a rule applied to
the data, written into the report, so a reader can repeat it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass

from django.db import connection
from django.db.models import Count, F, Value
from django.db.models.functions import Abs
from django.utils import timezone

READ_TEAM = "ENG"
EVENTS_WANTED = 20  # the issue page: an issue with about this many timeline events
WORD_SHARE = 0.01  # the search word: in about 1% of all issues
WORD_SAMPLE = 20_000  # issues whose search vectors are scanned for candidate words
REPORT_DAYS = 365


@dataclass
class Scenario:
    team: str
    team_issues: int
    team_open: int
    user: str
    category: str
    category_open: int
    issue: str
    issue_events: int
    issue_comments: int
    word: str
    word_issues: int
    word_share: float
    create_team: str
    create_user: str
    assignee: str
    report_start: str
    report_end: str
    issues_total: int

    def as_dict(self) -> dict:
        return asdict(self)


def _member(team, roles: tuple[str, ...], exclude: tuple[str, ...] = ()):
    from accounts.models import Membership

    membership = (
        Membership.objects.filter(team=team, role__in=roles, user__is_active=True)
        .exclude(user__username__in=exclude)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return membership.user if membership else None


def pick_word(total: int, team) -> tuple[str, int]:
    """A word whose stem is in about WORD_SHARE of all issues' search documents and
    that fills a page of the team's open issues (the page and API search there).

    Candidates come from ts_stat over a random sample of the team's search vectors
    (the demo's texts differ by team: a word at 1% overall may be absent from the
    team, and its search would measure an empty page); each is kept only if searching
    for it (websearch, english) asks for that very lexeme and it matches at least a
    page of the team's open issues, and the one whose exact count over all issues is
    nearest the share wins. In a dataset too small for that, the word that fills the
    most of such a page."""
    from issues.models import Issue
    from issues.views import PAGE_SIZE

    team_total = Issue.objects.filter(team=team).count()
    percent = min(100.0, WORD_SAMPLE * 100.0 / max(team_total, 1))
    with connection.cursor() as cursor:
        # The sample clause is built from a float computed here, not from input.
        sample = f"TABLESAMPLE BERNOULLI ({percent:.4f}) REPEATABLE (42)"
        team_sample = (
            f"SELECT search_vector FROM issues_issue {sample} WHERE team_id = {int(team.pk)}"  # noqa: S608  # nosec B608
        )
        cursor.execute(
            "SELECT word, ndoc FROM ts_stat(%s) WHERE word ~ '^[a-z]{4,}$' "  # noqa: S608 (see above)  # nosec B608
            f"ORDER BY abs(ndoc - %s * (SELECT count(*) FROM ({team_sample}) AS s)), word "
            "LIMIT 80",
            [team_sample, WORD_SHARE],
        )
        candidates = [row[0] for row in cursor.fetchall()]
        best: tuple[float, str, int] | None = None
        fuller: tuple[int, str, int] | None = None  # a small dataset: the fullest page
        for word in candidates:
            cursor.execute("SELECT websearch_to_tsquery('english', %s)::text", [word])
            if cursor.fetchone()[0] != f"'{word}'":
                continue
            cursor.execute(
                "SELECT count(*), count(*) FILTER (WHERE team_id = %s AND resolved_at IS NULL) "
                "FROM issues_issue WHERE search_vector @@ websearch_to_tsquery('english', %s)",
                [team.pk, word],
            )
            count, team_open = cursor.fetchone()
            if fuller is None or team_open > fuller[0]:
                fuller = (team_open, word, count)
            if team_open < PAGE_SIZE:
                continue
            distance = abs(count / max(total, 1) - WORD_SHARE)
            if best is None or distance < best[0]:
                best = (distance, word, count)
    if best is None and fuller is not None and fuller[0] > 0:
        # Below some 50,000 issues no word at the share fills a page of the team's open
        # issues: the one that comes nearest to it (a quick look, not the issue's sizes).
        best = (0.0, fuller[1], fuller[2])
    if best is None:
        raise RuntimeError("no search word found: are the issues' search vectors filled?")
    return best[1], best[2]


def pick() -> Scenario:
    from accounts.models import Membership, Team
    from issues.models import Issue, IssueEvent

    total = Issue.objects.count()
    team = Team.objects.filter(key=READ_TEAM).first()
    if team is None:  # not the demo teams: the team with most issues
        team = Team.objects.annotate(n=Count("issues")).order_by("-n", "pk").first()
    user = _member(team, (Membership.Role.MEMBER,)) or _member(team, (Membership.Role.ADMIN,))
    open_issues = Issue.objects.filter(team=team, resolved_at__isnull=True)
    by_category = (
        open_issues.values("status__category")
        .annotate(n=Count("pk"))
        .order_by("-n", "status__category")
    )
    category = by_category[0]
    events = (
        IssueEvent.objects.filter(issue__in=open_issues)
        .values("issue_id")
        .annotate(n=Count("pk"))
        .annotate(distance=Abs(F("n") - Value(EVENTS_WANTED)))
        .order_by("distance", "issue_id")
        .first()
    )
    issue = Issue.objects.select_related("team").get(pk=events["issue_id"])
    word, word_issues = pick_word(total, team)

    creators = (Membership.Role.MEMBER, Membership.Role.ADMIN)
    create_team = create_user = assignee = None
    for other in Team.objects.exclude(pk=team.pk).order_by("key"):
        create_user = _member(other, creators)
        if create_user is None:
            continue
        taken = (create_user.username,)
        assignee = _member(other, (Membership.Role.MEMBER,), exclude=taken) or _member(
            other, creators, exclude=taken
        )
        if assignee is not None:
            create_team = other
            break
    if create_team is None:
        raise RuntimeError("no second team with two members to create issues in")
    today = timezone.localdate()
    return Scenario(
        team=team.key,
        team_issues=Issue.objects.filter(team=team).count(),
        team_open=open_issues.count(),
        user=user.username,
        category=category["status__category"],
        category_open=category["n"],
        issue=issue.key,
        issue_events=events["n"],
        issue_comments=issue.comments.count(),
        word=word,
        word_issues=word_issues,
        word_share=word_issues / max(total, 1),
        create_team=create_team.key,
        create_user=create_user.username,
        assignee=assignee.username,
        report_start=(today - dt.timedelta(days=REPORT_DAYS - 1)).isoformat(),
        report_end=today.isoformat(),
        issues_total=total,
    )


def token_for(username: str) -> str:
    """A fresh API token for `username` (made by the system, as `create_api_token`)."""
    from accounts.models import User
    from accounts.tokens import create_token

    user = User.objects.get(username=username)
    return create_token(user, name="benchmark", actor=None)[1]


# --- the operations driven over HTTP ----------------------------------------------------


@dataclass
class HttpOp:
    name: str
    title: str
    method: str
    path: str
    auth: str  # "session", "token", "create-token" or "none"
    floor: str | None  # the floor (b) op its throughput is compared with
    trac: float | None = None  # Trac 1.6's figure from the issue, req/s
    expect: int = 200
    body: str | None = None
    worker: bool = False  # a Celery worker runs while it is measured
    headers: dict[str, str] | None = None  # sent as they are (auth "none")


def http_ops(s: Scenario) -> list[HttpOp]:
    create = json.dumps(
        {
            "team": s.create_team,
            "title": "Benchmark: checkout fails for EU cards ({n})",
            "description": "Since this morning **every** EU card fails at checkout.\n\n"
            "- seen by three customers\n- started after the 09:00 deploy",
            "kind": "bug",
            "priority": "high",
            "assignees": [s.assignee],
        }
    )
    reports = f"start={s.report_start}&end={s.report_end}"
    return [
        HttpOp("floor-json", "Floor (b): constant 50-item JSON", "GET",
               "/bench/floor/json/", "none", None),
        HttpOp("floor-template", "Floor (b): trivial template", "GET",
               "/bench/floor/template/", "none", None),
        HttpOp("floor-query", "Floor (c): the list's 50 rows by one raw query, as JSON", "GET",
               f"/bench/floor/query/?team={s.team}&category={s.category}", "none", None),
        HttpOp("floor-signed-in", "Floor (d): floor (b)'s template, signed in (session)",
               "GET", "/bench/floor/signed-in/", "session", None),
        HttpOp("floor-token", "Floor (d): floor (b)'s JSON through DRF, signed in (token)",
               "GET", "/bench/floor/token/", "token", None),
        HttpOp("list-page", "Team list page", "GET",
               f"/teams/{s.team}/issues/?category={s.category}&sort=priority", "session",
               "floor-template", trac=28),
        HttpOp("list-api", "Team list, API", "GET",
               f"/api/v1/issues/?team={s.team}&category={s.category}&sort=priority", "token",
               "floor-json", trac=28),
        HttpOp("issue-page", "Issue page", "GET", f"/issues/{s.issue}/", "session",
               "floor-template", trac=68),
        HttpOp("board-page", "Team board page (open issues)", "GET", f"/teams/{s.team}/board/",
               "session", "floor-template"),
        HttpOp("search-page", "Search, page", "GET", f"/teams/{s.team}/issues/?q={s.word}",
               "session", "floor-template", trac=6),
        HttpOp("search-api", "Search, API", "GET", f"/api/v1/issues/?team={s.team}&q={s.word}",
               "token", "floor-json", trac=6),
        HttpOp("create-api", "Create with assignee, API", "POST", "/api/v1/issues/",
               "create-token", "floor-json", trac=125, expect=201, body=create, worker=True),
        HttpOp("reports-page", "Team reports page (a year)", "GET",
               f"/teams/{s.team}/reports/?{reports}", "session", "floor-template"),
        HttpOp("status-periods-api", "Status periods, API", "GET",
               f"/api/v1/issues/{s.issue}/status-periods/", "token", "floor-json"),
    ]  # fmt: skip


IN_PROCESS_OPS = ("stale-sweep", "report-queries")
