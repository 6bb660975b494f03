"""Team reports: where issues wait, how fast they flow, where work piles up.

Every number is computed in SQL (aggregates and window functions over StatusPeriod and
Issue), with identical results on SQLite and PostgreSQL: the statements are the same but
where PostgreSQL has a faster way (percentile_cont, width_bucket), and the tests run on
both. Python only turns the few rows per group into medians and labels. Each function takes
the team and a validated `ReportFilter` and returns plain rows (dicts), and costs a
fixed number of queries whatever the data.

Definitions (also in the README):

- Durations are real elapsed time (UTC), so a day across a DST change is 23 or 25 h.
  A period still current is measured up to `now`.
- Percentiles interpolate linearly between the two nearest values (what PostgreSQL's
  percentile_cont computes): the median of 1, 2, 3, 10 is 2.5.
- The window is [start, end): `start` is the first day's midnight and `end` the
  midnight after the last day, in settings.TIME_ZONE. Weeks start on Monday there.
- Time in status: a period counts when it was entered within the window, or entered
  before it and still running at its start; its whole duration counts (not only the
  part inside the window), up to now if it is the current one.
- Created vs resolved: issues created in a week; issues whose resolution (entering a
  done or cancelled status, kept while they stay closed) falls in that week.
- Backlog (cumulative flow): at the end of each week (or now, for the current week),
  the issues in each open category (triage, to do, in progress, waiting).
- Cycle time: from the first time an issue entered an in-progress status until it was
  resolved, for issues resolved within the window that are now in a done status (not
  cancelled) and were ever in progress. Resolution time: created to resolved, for the
  same issues (in progress or not).
- Aging, stale and workload are about open issues now; the window does not apply.
"""

# ruff: noqa: S608 -- the SQL below is assembled from our own fragments; every value
# is a query parameter. Bandit is told the same on each such statement (B608).

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from accounts.models import Team

from .models import Issue, Label, Status

DAY = 86_400
OPEN_CATEGORIES = [
    Status.Category.TRIAGE,
    Status.Category.TODO,
    Status.Category.IN_PROGRESS,
    Status.Category.WAITING,
]
# Histogram buckets of cycle and resolution times: (label, upper bound in seconds).
DURATION_BUCKETS = [
    ("< 1 h", 3_600),
    ("1 h - 1 d", DAY),
    ("1-3 d", 3 * DAY),
    ("3-7 d", 7 * DAY),
    ("7-30 d", 30 * DAY),
    ("> 30 d", None),
]
AGE_BUCKETS = [
    ("< 1 d", DAY),
    ("1-7 d", 7 * DAY),
    ("7-30 d", 30 * DAY),
    ("30-90 d", 90 * DAY),
    ("> 90 d", None),
]
OLDEST_LIMIT = 10
STALE_LIMIT = 50


def customer_linked_q(linked: bool) -> Q:
    """Issues linked to a customer (or, with False, not). The one place that knows how."""
    return Q(customer_count__gt=0) if linked else Q(customer_count=0)


@dataclass(frozen=True)
class ReportFilter:
    """What a report covers: a window of whole days and the issues' properties."""

    start: dt.datetime
    end: dt.datetime
    now: dt.datetime
    kinds: tuple[str, ...] = ()
    priorities: tuple[int, ...] = ()
    labels: tuple[Label, ...] = ()
    customer_linked: bool | None = None

    @classmethod
    def for_days(
        cls, first: dt.date, last: dt.date, *, now: dt.datetime | None = None, **filters
    ) -> ReportFilter:
        """The window from `first` to `last` inclusive, in settings.TIME_ZONE."""
        return cls(start=local_midnight(first), end=local_midnight(last + dt.timedelta(days=1)),
                   now=now or timezone.now(), **filters)  # fmt: skip

    @property
    def has_issue_filters(self) -> bool:
        return bool(self.kinds or self.priorities or self.labels) or (
            self.customer_linked is not None
        )

    def issue_q(self) -> Q:
        q = Q()
        if self.kinds:
            q &= Q(kind__in=self.kinds)
        if self.priorities:
            q &= Q(priority__in=self.priorities)
        for label in self.labels:
            q &= Q(pk__in=Issue.labels.through.objects.filter(label=label).values("issue_id"))
        if self.customer_linked is not None:
            q &= customer_linked_q(self.customer_linked)
        return q


def report_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=report_zone())


def week_starts(f: ReportFilter) -> list[dt.datetime]:
    """Local Mondays 00:00 from the week holding the window's start to the one holding
    its last day, plus the Monday after (each week is [starts[i], starts[i+1]))."""
    first = f.start.astimezone(report_zone()).date()
    first -= dt.timedelta(days=first.weekday())
    last = (f.end - dt.timedelta(microseconds=1)).astimezone(report_zone()).date()
    days = (last - first).days // 7 + 2
    return [local_midnight(first + dt.timedelta(weeks=i)) for i in range(days)]


# --- SQL helpers --------------------------------------------------------------------


def _dt(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _seconds(end: str, start: str) -> str:
    """SQL for the seconds from `start` to `end`, a float on both (to well under a
    microsecond: date_part, not EXTRACT, whose numeric sorts and compares slower)."""
    if connection.vendor == "postgresql":
        return f"date_part('epoch', {end} - {start})"
    return f"(django_timestamp_diff({end}, {start}) / 1000000.0)"


def _param() -> str:
    """A datetime placeholder PostgreSQL can type without context."""
    return "CAST(%s AS timestamptz)" if connection.vendor == "postgresql" else "%s"


def _issue_subset(team: Team, f: ReportFilter) -> tuple[str, list]:
    """SQL `AND <col> IN (...)` for the issue filters, or nothing when there are none."""
    if not f.has_issue_filters:
        return "", []
    qs = Issue.objects.filter(f.issue_q(), team=team).values("pk")
    sql, params = qs.query.sql_with_params()
    return f"AND {{col}} IN ({sql})", list(params)


def _subset(team: Team, f: ReportFilter, column: str) -> tuple[str, list]:
    sql, params = _issue_subset(team, f)
    return sql.replace("{col}", column), params


def _bucket_case(column: str, bounds: list[dt.datetime]) -> tuple[str, list]:
    """SQL giving the index i of the bucket [bounds[i], bounds[i+1]) of `column`, for
    values between the first and the last bound. PostgreSQL finds it by a binary search
    (width_bucket: how many of bounds[1:] are <= the value); elsewhere a CASE tries the
    buckets in turn, which at a year of weeks and a million rows cost a third of the
    backlog report."""
    if connection.vendor == "postgresql":
        return f"width_bucket({column}, CAST(%s AS timestamptz[]))", [_bounds(bounds)]
    whens = " ".join(f"WHEN {column} < {_param()} THEN {i}" for i in range(len(bounds) - 1))
    return f"CASE {whens} END", _bounds(bounds)


def _bounds(bounds: list[dt.datetime]) -> list:
    """The upper bounds of the buckets, as query parameters."""
    return [_dt(b) for b in bounds[1:]]


# Memory for the sorts of a percentile statement on PostgreSQL (its default is 4MB). A
# team's year at 1,000,000 issues sorts some 260,000 durations and issue ids per status
# in each of three processes; at 4MB each spilled to disk (external merge): time in
# status 255 -> 205 ms. Only there: the backlog's plan at 32MB is slower (197 -> 269 ms).
PERCENTILE_WORK_MEM = "32MB"


def _fetch(sql: str, params: list, *, work_mem: str | None = None) -> list[tuple]:
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    # On PostgreSQL the connection's cursors bind parameters on the server, and a
    # statement run again becomes a prepared statement whose plan may turn generic: one
    # plan for every team and window (settings). The reports scan a year of one team's
    # history, where the plan for these values matters and planning costs little, so they
    # bind on the client and are planned each time, as before. That also lets a message
    # hold two statements: with `work_mem`, the setting leads, and PostgreSQL runs both as
    # one transaction, so it lasts for this statement only (to the end of the
    # transaction, inside an atomic block), at no extra round trip.
    if work_mem is not None:
        sql = f"SET LOCAL work_mem = '{work_mem}'; {sql}"
    with _client_binding_cursor() as cursor:
        cursor.execute(sql, params)
        if work_mem is not None:
            cursor.nextset()
        return cursor.fetchall()


def _client_binding_cursor():
    """A cursor of the PostgreSQL connection that binds parameters on the client (what
    Django's cursors do unless `server_side_binding` is on), wrapped as Django wraps its
    own: logged, counted and with the database's errors translated."""
    from django.db.backends.postgresql.base import Cursor

    connection.ensure_connection()
    raw = Cursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


def _percentiles(
    inner: str,
    params: list,
    *,
    buckets: list | None = None,
    items: bool = True,
    groups: list[int] | None = None,
) -> tuple[dict, dict]:
    """({group: {"count", "items", "median", "p90"}}, {group: [count per bucket]}) for
    `inner`, a query of (grp, secs, item) rows, in one statement. `items` counts the
    distinct `item`s of a group (issues, where a row is a period); with items=False,
    `inner` gives (grp, secs) rows and nothing counts them (a row is an issue).

    PostgreSQL computes both percentiles in one aggregate (percentile_cont of an array:
    one sort), in the same pass as the counts. Elsewhere SQL numbers the values within
    each group and keeps only the (at most four) rows around the 50th and 90th
    percentiles, and the same linear interpolation is done here, so both give the same
    numbers. With `buckets` ((label, upper bound in seconds or None), ...) the
    statement also counts each group's values per bucket.

    With `groups` (the integer groups wanted; others are left out), PostgreSQL computes
    each group in an aggregate of its own that reads only that group's rows: ordered-set
    aggregates cannot be split across parallel workers, but separate groups can
    (Parallel Append). A year of a team's periods at 1,000,000 issues (1.1M periods,
    seven statuses): 540 ms as one GROUP BY, about 300 ms so.
    """
    branches = []
    cte = "WITH d AS"
    if connection.vendor == "postgresql":
        both = "percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY secs)"
        counted = "COUNT(DISTINCT item)" if items else "NULL"
        if groups is None:
            branches.append(
                f"SELECT 'q', grp, COUNT(*), ({both})[1], ({both})[2], {counted} "  # nosec B608
                "FROM d GROUP BY grp"
            )
        else:
            if not groups:
                return {}, {}
            # Inlined into each branch, so `grp = n` reaches the index; HAVING leaves out
            # an empty group, as GROUP BY would.
            cte = "WITH d AS NOT MATERIALIZED"
            branches.extend(
                f"SELECT 'q', {int(g)}, COUNT(*), ({both})[1], ({both})[2], {counted} "  # nosec B608
                f"FROM d WHERE grp = {int(g)} HAVING COUNT(*) > 0"
                for g in groups
            )
    else:
        if items:
            branches.append(
                "SELECT 'd', grp, COUNT(DISTINCT item), NULL, NULL, NULL FROM d GROUP BY grp"
            )
        branches.append(
            """SELECT 'p', grp, n, rn, secs, NULL FROM (
                SELECT grp, secs,
                       ROW_NUMBER() OVER (PARTITION BY grp ORDER BY secs) AS rn,
                       COUNT(*) OVER (PARTITION BY grp) AS n
                FROM d
            ) AS r
            WHERE rn IN (1 + (n - 1) / 2, 2 + (n - 1) / 2, 1 + (9 * (n - 1)) / 10,
                         2 + (9 * (n - 1)) / 10)"""
        )
    if buckets:
        whens = " ".join(
            f"WHEN secs < {upper} THEN {i}" for i, (_, upper) in enumerate(buckets) if upper
        )
        branches.append(
            f"SELECT 'h', grp, COUNT(*), bucket, NULL, NULL FROM (SELECT grp, CASE {whens} "  # nosec B608
            f"ELSE {len(buckets) - 1} END AS bucket FROM d) AS h GROUP BY grp, bucket"
        )
    sql = f"{cte} ({inner}) " + " UNION ALL ".join(branches)
    found: dict = {}
    distinct: dict = {}
    counts: dict = {}
    result: dict = {}
    for what, grp, n, a, b, c in _fetch(sql, params, work_mem=PERCENTILE_WORK_MEM):
        if what == "d":
            distinct[grp] = n
        elif what == "h":
            counts.setdefault(grp, [0] * len(buckets))[int(a)] = n
        elif what == "q":
            result[grp] = {"count": n, "median": round(a, 3), "p90": round(b, 3)}
            distinct[grp] = c
        else:
            found.setdefault(grp, {"count": n, "values": {}})["values"][int(a)] = float(b)
    for grp, item in found.items():
        n, values = item["count"], item["values"]
        result[grp] = {
            "count": n,
            "median": _interpolate(values, n, 1, 2),
            "p90": _interpolate(values, n, 9, 10),
        }
    if items:
        for grp, stat in result.items():
            stat["items"] = distinct.get(grp, 0)
    return result, counts


def _interpolate(values: dict[int, float], n: int, num: int, den: int) -> float:
    """The num/den quantile from the values at 1-based ranks; integer arithmetic, so
    the ranks are the ones the SQL kept."""
    low, rest = divmod(num * (n - 1), den)  # 0-based rank below the quantile
    fraction = rest / den
    below = values[low + 1]
    above = values.get(low + 2, below)
    return round(below + fraction * (above - below), 3)


# --- time in status -----------------------------------------------------------------


def time_in_status(team: Team, f: ReportFilter) -> list[dict]:
    """Per status (in workflow order): how many issues passed through it in the window,
    how many periods, and the median and 90th percentile time spent in it."""
    subset, subset_params = _subset(team, f, "p.issue_id")
    p = _param()
    periods = f"""
        FROM issues_statusperiod p
        WHERE p.team_id = %s AND p.entered_at < {p}
          AND (p.entered_at >= {p} OR p.left_at IS NULL OR p.left_at > {p}) {subset}
    """
    params = [team.pk, _dt(f.end), _dt(f.start), _dt(f.start), *subset_params]
    secs = _seconds(f"COALESCE(p.left_at, {p})", "p.entered_at")
    statuses = list(Status.objects.filter(team=team).order_by("position", "pk"))
    stats, _ = _percentiles(
        f"SELECT p.status_id AS grp, {secs} AS secs, p.issue_id AS item {periods}",
        [_dt(f.now), *params],
        groups=[status.pk for status in statuses],
    )
    rows = []
    for status in statuses:
        stat = stats.get(status.pk, {})
        rows.append(
            {
                "status_id": status.pk,
                "status": status.name,
                "category": status.category,
                "issues": stat.get("items", 0),
                "periods": stat.get("count", 0),
                "median_seconds": stat.get("median"),
                "p90_seconds": stat.get("p90"),
            }
        )
    return rows


# --- created vs resolved, backlog ----------------------------------------------------


def created_vs_resolved(team: Team, f: ReportFilter) -> list[dict]:
    """Per week of the window: issues created and issues resolved."""
    weeks = week_starts(f)
    subset, subset_params = _subset(team, f, "i.id")
    created_case, created_params = _bucket_case("i.created_at", weeks)
    resolved_case, resolved_params = _bucket_case("i.resolved_at", weeks)
    p = _param()
    sql = f"""
        SELECT 'created', {created_case} AS week, COUNT(*) FROM issues_issue i
        WHERE i.team_id = %s AND i.created_at >= {p} AND i.created_at < {p} {subset}
        GROUP BY week
        UNION ALL
        SELECT 'resolved', {resolved_case} AS week, COUNT(*) FROM issues_issue i
        WHERE i.team_id = %s AND i.resolved_at >= {p} AND i.resolved_at < {p} {subset}
        GROUP BY week
    """  # nosec B608
    bounds = [_dt(weeks[0]), _dt(weeks[-1])]
    params = [*created_params, team.pk, *bounds, *subset_params]
    params += [*resolved_params, team.pk, *bounds, *subset_params]
    rows = [
        {"week": start.date(), "created": 0, "resolved": 0}
        for start in (w.astimezone(report_zone()) for w in weeks[:-1])
    ]
    for what, week, n in _fetch(sql, params):
        rows[week][what] = n
    return rows


def backlog_flow(team: Team, f: ReportFilter) -> list[dict]:
    """Per week: the open issues in each open category at the week's end (or now).

    Counted from period starts and ends: what was open at the first week's start,
    plus what entered, minus what left, cumulated week by week (a window SUM).
    """
    weeks = week_starts(f)
    points = [min(w, f.now) for w in weeks[1:]]
    bounds = [weeks[0], *points]
    subset, subset_params = _subset(team, f, "p.issue_id")
    in_case, in_params = _bucket_case_closed("p.entered_at", bounds)
    out_case, out_params = _bucket_case_closed("p.left_at", bounds)
    p = _param()
    categories = ", ".join(f"'{c}'" for c in OPEN_CATEGORIES)
    # Moves are counted per status straight from the periods (an index-only scan), and
    # the few (status, week) sums are then put into categories. Only the open statuses'
    # periods are read into the sums (`weekly` keeps only open categories anyway): the
    # done and cancelled ones, some 30% of the periods a year enters, are dropped before
    # the grouping. A year at 1,000,000 issues: 287 -> 227 ms.
    opened = (
        "AND p.status_id IN (SELECT id FROM issues_status "  # nosec B608
        f"WHERE team_id = %s AND category IN ({categories}))"
    )
    sql = f"""
        WITH moves AS (
            SELECT p.status_id, 0 AS week, COUNT(*) AS delta
            FROM issues_statusperiod p
            WHERE p.team_id = %s AND p.entered_at <= {p}
              AND (p.left_at IS NULL OR p.left_at > {p}) {opened} {subset}
            GROUP BY p.status_id
            UNION ALL
            SELECT p.status_id, {in_case}, COUNT(*)
            FROM issues_statusperiod p
            WHERE p.team_id = %s AND p.entered_at > {p} AND p.entered_at <= {p} {opened} {subset}
            GROUP BY p.status_id, 2
            UNION ALL
            SELECT p.status_id, {out_case}, -COUNT(*)
            FROM issues_statusperiod p
            WHERE p.team_id = %s AND p.left_at > {p} AND p.left_at <= {p} {opened} {subset}
            GROUP BY p.status_id, 2
        ),
        weekly AS (
            SELECT s.category, m.week, SUM(m.delta) AS delta
            FROM moves m JOIN issues_status s ON s.id = m.status_id
            WHERE s.category IN ({categories}) GROUP BY s.category, m.week
        )
        SELECT category, week,
               SUM(delta) OVER (PARTITION BY category ORDER BY week) AS open_issues
        FROM weekly
    """  # nosec B608
    first, last = _dt(bounds[0]), _dt(bounds[-1])
    params = [team.pk, first, first, team.pk, *subset_params]
    params += [*in_params, team.pk, first, last, team.pk, *subset_params]
    params += [*out_params, team.pk, first, last, team.pk, *subset_params]
    found = {(category, week): int(n) for category, week, n in _fetch(sql, params)}
    rows = []
    current = {c: found.get((c, 0), 0) for c in OPEN_CATEGORIES}
    for i, point in enumerate(points, start=1):
        for category in OPEN_CATEGORIES:
            # A week without moves in a category keeps its total.
            current[category] = found.get((category, i), current[category])
        rows.append(
            {
                "week": weeks[i - 1].astimezone(report_zone()).date(),
                "at": point,
                **{str(c): current[c] for c in OPEN_CATEGORIES},
            }
        )
    return rows


def _bucket_case_closed(column: str, bounds: list[dt.datetime]) -> tuple[str, list]:
    """Like _bucket_case, with buckets (bounds[i-1], bounds[i]] numbered from 1. On
    PostgreSQL: 1 + how many of bounds[1:] are < the value, that is <= the value less a
    microsecond (timestamps are whole microseconds there)."""
    if connection.vendor == "postgresql":
        sql = f"(1 + width_bucket({column} - interval '1 microsecond', CAST(%s AS timestamptz[])))"
        return sql, [_bounds(bounds)]
    whens = " ".join(f"WHEN {column} <= {_param()} THEN {i}" for i in range(1, len(bounds)))
    return f"CASE {whens} END", _bounds(bounds)


# --- cycle and resolution time ----------------------------------------------------


def _resolved_done(team: Team, f: ReportFilter) -> tuple[str, list]:
    """FROM ... WHERE for the issues resolved in the window and now in a done status."""
    subset, subset_params = _subset(team, f, "i.id")
    p = _param()
    sql = f"""
        FROM issues_issue i JOIN issues_status s ON s.id = i.status_id
        WHERE i.team_id = %s AND s.category = 'done'
          AND i.resolved_at >= {p} AND i.resolved_at < {p} {subset}
    """
    return sql, [team.pk, _dt(f.start), _dt(f.end), *subset_params]


def _cycle_rows(team: Team, f: ReportFilter) -> tuple[str, list]:
    # `started_at` is the first entry into an in-progress status (kept by the services).
    # An issue counts when that was before its resolution: then it is also the first
    # such entry before it. (A replay with out-of-order times can put it after.)
    resolved, params = _resolved_done(team, f)
    secs = _seconds("i.resolved_at", "i.started_at")
    sql = f"SELECT i.priority AS grp, {secs} AS secs {resolved} "\
        "AND i.started_at <= i.resolved_at"  # fmt: skip
    return sql, params


def _resolution_rows(team: Team, f: ReportFilter) -> tuple[str, list]:
    resolved, params = _resolved_done(team, f)
    secs = _seconds("i.resolved_at", "i.created_at")
    return f"SELECT i.priority AS grp, {secs} AS secs {resolved}", params


def _distribution(inner: str, params: list) -> list[dict]:
    """Per priority: count, median, p90 and histogram of (grp, secs) rows, one per issue."""
    stats, counts = _percentiles(inner, params, buckets=DURATION_BUCKETS, items=False)
    rows = []
    for priority in Issue.Priority:
        stat = stats.get(priority.value, {})
        rows.append(
            {
                "priority": priority.value,
                "priority_name": str(priority.label),
                "count": stat.get("count", 0),
                "median_seconds": stat.get("median"),
                "p90_seconds": stat.get("p90"),
                "buckets": [
                    {"bucket": label, "count": n}
                    for (label, _), n in zip(
                        DURATION_BUCKETS,
                        counts.get(priority.value, [0] * len(DURATION_BUCKETS)),
                        strict=True,
                    )
                ],
            }
        )
    return rows


def cycle_time(team: Team, f: ReportFilter) -> list[dict]:
    """Per priority: first entry into in progress → resolved (done), for issues resolved
    in the window: count, median, 90th percentile and a histogram."""
    return _distribution(*_cycle_rows(team, f))


def resolution_time(team: Team, f: ReportFilter) -> list[dict]:
    """Per priority: created → resolved (done), for issues resolved in the window."""
    return _distribution(*_resolution_rows(team, f))


# --- aging, stale, workload --------------------------------------------------------


def _open_issues(team: Team, f: ReportFilter):
    qs = Issue.objects.filter(team=team, resolved_at__isnull=True)
    return qs.filter(f.issue_q()) if f.has_issue_filters else qs


def aging(team: Team, f: ReportFilter) -> dict:
    """Open issues by age bucket and status (rows in workflow order), the oldest ones,
    and the stale ones (quiet for longer than their status allows), linked."""
    from .filters import stale_deadline, with_stale_flag

    subset, subset_params = _subset(team, f, "i.id")
    secs = _seconds(_param(), "i.created_at")
    whens = " ".join(f"WHEN {secs} < {upper} THEN {i}" for i, (_, upper) in
                     enumerate(AGE_BUCKETS) if upper)  # fmt: skip
    sql = f"""
        SELECT i.status_id, CASE {whens} ELSE {len(AGE_BUCKETS) - 1} END AS bucket, COUNT(*)
        FROM issues_issue i
        WHERE i.team_id = %s AND i.resolved_at IS NULL {subset}
        GROUP BY i.status_id, bucket
    """  # nosec B608
    now = _dt(f.now)
    found = _fetch(sql, [now] * (len(AGE_BUCKETS) - 1) + [team.pk, *subset_params])
    counts: dict = {}
    for status_id, bucket, n in found:
        counts.setdefault(status_id, [0] * len(AGE_BUCKETS))[bucket] = n
    statuses = [
        s for s in Status.objects.filter(team=team).order_by("position", "pk") if not s.is_closed
    ]
    rows = [
        {
            "status_id": s.pk,
            "status": s.name,
            "category": s.category,
            "buckets": counts.get(s.pk, [0] * len(AGE_BUCKETS)),
            "total": sum(counts.get(s.pk, [])),
        }
        for s in statuses
    ]
    base = _open_issues(team, f).select_related("team", "status")
    oldest = list(base.order_by("created_at", "id")[:OLDEST_LIMIT])
    # The stale ones are found from an index alone (ids: plain conditions on open issues,
    # which the open-issue index answers), then only those rows are read.
    stale_first = ("stale_deadline", "id")
    stale_ids = (
        _open_issues(team, f)
        .annotate(stale_deadline=stale_deadline())
        .filter(stale_deadline__lt=f.now)
        .order_by(*stale_first)
        .values("pk")[:STALE_LIMIT]
    )
    stale = list(with_stale_flag(base.filter(pk__in=stale_ids), f.now).order_by(*stale_first))
    return {
        "buckets": [label for label, _ in AGE_BUCKETS],
        "rows": rows,
        "oldest": [_issue_row(i, f.now) for i in oldest],
        "stale": [_issue_row(i, f.now) for i in stale],
    }


def _issue_row(issue: Issue, now: dt.datetime) -> dict:
    return {
        "key": issue.key,
        "title": issue.title,
        "url": issue.get_absolute_url(),
        "status": issue.status.name,
        "category": issue.status.category,
        "priority": issue.priority,
        "created_at": issue.created_at,
        "last_activity_at": issue.last_activity_at,
        "age_seconds": round((now - issue.created_at).total_seconds()),
    }


def workload(team: Team, f: ReportFilter) -> dict:
    """Open issues per assignee by priority (an issue with two assignees counts for
    both), busiest first, and the unassigned ones by priority."""
    subset, subset_params = _subset(team, f, "i.id")
    sql = f"""
        SELECT u.id, u.username, u.display_name, i.priority, COUNT(*)
        FROM issues_issue i
        JOIN issues_assignment a ON a.issue_id = i.id
        JOIN accounts_user u ON u.id = a.user_id
        WHERE i.team_id = %s AND i.resolved_at IS NULL {subset}
        GROUP BY u.id, u.username, u.display_name, i.priority
        UNION ALL
        SELECT NULL, NULL, NULL, i.priority, COUNT(*)
        FROM issues_issue i
        WHERE i.team_id = %s AND i.resolved_at IS NULL {subset}
          AND NOT EXISTS (SELECT 1 FROM issues_assignment a WHERE a.issue_id = i.id)
        GROUP BY i.priority
    """  # nosec B608
    found = _fetch(sql, [team.pk, *subset_params, team.pk, *subset_params])
    priorities = [p.value for p in Issue.Priority]
    people: dict = {}
    unassigned = dict.fromkeys(priorities, 0)
    for user_id, username, display_name, priority, n in found:
        if user_id is None:
            unassigned[priority] = n
            continue
        row = people.setdefault(
            user_id,
            {
                "user_id": user_id,
                "username": username,
                "name": display_name or username,
                "by_priority": dict.fromkeys(priorities, 0),
            },
        )
        row["by_priority"][priority] = n
    rows = sorted(people.values(), key=lambda r: (-sum(r["by_priority"].values()), r["username"]))
    for row in rows:
        row["total"] = sum(row["by_priority"].values())
    return {
        "priorities": [{"value": p.value, "name": str(p.label)} for p in Issue.Priority],
        "rows": rows,
        "unassigned": {"by_priority": unassigned, "total": sum(unassigned.values())},
    }


REPORTS = {
    "time-in-status": time_in_status,
    "created-vs-resolved": created_vs_resolved,
    "backlog": backlog_flow,
    "cycle-time": cycle_time,
    "resolution-time": resolution_time,
    "aging": aging,
    "workload": workload,
}
