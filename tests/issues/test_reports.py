"""Team reports computed in SQL, checked against timelines built by hand through the
services with explicit times; expected durations are worked out in the comments."""

import datetime as dt

import pytest

from issues import reports, services
from issues.models import Issue
from tests.conftest import is_postgres  # noqa: F401  (skipif strings)

pytestmark = pytest.mark.django_db

H = 3600
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def march(now=NOW, **filters) -> reports.ReportFilter:
    return reports.ReportFilter.for_days(
        dt.date(2026, 3, 1), dt.date(2026, 3, 31), now=now, **filters
    )


@pytest.fixture
def timeline(eng, alice, bob, status):
    """Four issues (ENG-1..4):

    1. New 2 h, In progress 3 h, Resolved 2 h, reopened: In progress from at(7) until NOW
       (8 d - 7 h = 185 h).
    2. urgent; New from at(1) to at(5) (4 h), then straight to Closed (skipping the
       middle) until NOW: 187 h.
    3. New 1 h, Triaged and In progress in the same second (Triaged 0 s), In progress
       10 h, Resolved at at(11).
    4. Filed on Feb 1 and closed on Feb 2: its New period ends before the window, its
       Closed period is still running at the window's start (864 h up to NOW).
    """
    one = services.create_issue(eng, actor=alice, title="One", now=T0)
    two = services.create_issue(eng, actor=bob, title="Two", priority=1, now=at(1))
    three = services.create_issue(eng, actor=alice, title="Three", now=T0)
    four = services.create_issue(eng, actor=alice, title="Four", now=T0 - dt.timedelta(days=29))
    services.change_status(four, to=status("Closed"), actor=alice, now=T0 - dt.timedelta(days=28))
    services.change_status(one, to=status("In progress"), actor=bob, now=at(2))
    services.change_status(three, to=status("Triaged"), actor=bob, now=at(1))
    services.change_status(three, to=status("In progress"), actor=bob, now=at(1))
    services.change_status(two, to=status("Closed"), actor=bob, now=at(5))
    services.change_status(one, to=status("Resolved"), actor=bob, now=at(5))
    services.change_status(one, to=status("In progress"), actor=alice, now=at(7))
    services.change_status(three, to=status("Resolved"), actor=bob, now=at(11))
    return one, two, three, four


def by_status(rows) -> dict:
    return {
        r["status"]: (r["issues"], r["periods"], r["median_seconds"], r["p90_seconds"])
        for r in rows
    }


def test_time_in_status_median_and_p90_by_hand(eng, timeline):
    rows = by_status(reports.time_in_status(eng, march()))
    # New: 2 h, 4 h, 1 h -> median 2 h; p90 at rank 1.8 of 0..2: 2 + 0.8 * (4 - 2) = 3.6 h
    assert rows["New"] == (3, 3, 2 * H, 3.6 * H)
    # Triaged: one zero-length period
    assert rows["Triaged"] == (1, 1, 0, 0)
    # In progress: 3 h, 10 h, 185 h (ENG-1 twice) -> median 10 h, p90 10 + 0.8 * 175 = 150 h
    assert rows["In progress"] == (2, 3, 10 * H, 150 * H)
    # Resolved: ENG-1 2 h, ENG-3 at(11) -> NOW = 181 h -> median 91.5 h, p90 163.1 h
    assert rows["Resolved"] == (2, 2, 91.5 * H, 163.1 * H)
    # Closed: ENG-2 187 h, ENG-4 864 h (started before the window, still running)
    assert rows["Closed"] == (2, 2, 525.5 * H, 796.3 * H)
    assert rows["Waiting on customer"] == (0, 0, None, None)
    assert list(rows) == [
        "New", "Triaged", "In progress", "Waiting on customer", "Resolved", "Closed", "Won't fix"
    ]  # fmt: skip


def test_time_in_status_leaves_out_periods_outside_the_window(eng, timeline):
    february = reports.ReportFilter.for_days(dt.date(2026, 2, 1), dt.date(2026, 2, 28), now=NOW)
    rows = by_status(reports.time_in_status(eng, february))
    assert rows["New"] == (1, 1, 24 * H, 24 * H)  # ENG-4 only
    assert rows["Closed"] == (1, 1, 864 * H, 864 * H)
    assert rows["In progress"] == (0, 0, None, None)


def test_time_in_status_filters(eng, timeline, bug_label, alice):
    _one, two, three, _four = timeline
    rows = by_status(reports.time_in_status(eng, march(priorities=(Issue.Priority.URGENT,))))
    assert rows["New"] == (1, 1, 4 * H, 4 * H)
    assert rows["In progress"] == (0, 0, None, None)

    services.set_labels(three, labels=[bug_label], actor=alice, now=NOW)
    rows = by_status(reports.time_in_status(eng, march(labels=(bug_label,))))
    assert rows["New"] == (1, 1, 1 * H, 1 * H)

    from tests.factories import CustomerFactory

    services.add_customer(two, customer=CustomerFactory(), actor=alice, now=NOW)
    linked = by_status(reports.time_in_status(eng, march(customer_linked=True)))
    unlinked = by_status(reports.time_in_status(eng, march(customer_linked=False)))
    assert linked["New"][:2] == (1, 1)
    assert unlinked["New"][:2] == (2, 2)
    assert by_status(reports.time_in_status(eng, march(kinds=("question",))))["New"][0] == 0


def test_created_vs_resolved_per_week(eng, timeline):
    rows = reports.created_vs_resolved(eng, march())
    assert [r["week"] for r in rows] == [
        dt.date(2026, 2, 23), dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 3, 16),
        dt.date(2026, 3, 23), dt.date(2026, 3, 30),
    ]  # fmt: skip
    # ENG-1 was resolved and reopened: not resolved. ENG-4 is from February.
    assert [(r["created"], r["resolved"]) for r in rows[:3]] == [(0, 0), (3, 2), (0, 0)]


def test_backlog_counts_open_issues_per_category_at_each_week_end(eng, timeline, status):
    rows = reports.backlog_flow(eng, march())
    assert rows[0]["week"] == dt.date(2026, 2, 23)
    assert {k: rows[0][k] for k in ("triage", "todo", "in_progress", "waiting")} == {
        "triage": 0, "todo": 0, "in_progress": 0, "waiting": 0
    }  # fmt: skip
    # End of the week of Mar 2: only ENG-1 is open, in progress again.
    assert (rows[1]["triage"], rows[1]["in_progress"]) == (0, 1)
    assert rows[2]["at"] == NOW  # the current week ends now
    assert rows[2]["in_progress"] == 1


def test_backlog_at_a_week_end_in_the_middle_of_a_period(eng, alice, status):
    issue = services.create_issue(eng, actor=alice, title="x", now=at(-24 * 7))  # Feb 23
    services.change_status(issue, to=status("Triaged"), actor=alice, now=at(24))  # Mar 3
    rows = reports.backlog_flow(eng, march())
    assert [(r["triage"], r["todo"]) for r in rows[:3]] == [(1, 0), (0, 1), (0, 1)]


def test_weeks_hold_moves_exactly_on_their_boundaries(eng, alice, status, settings):
    """A week is [Monday 00:00, next Monday 00:00) for what was created or resolved in
    it, and its backlog is what is open at its end, a move at that very instant
    included. (PostgreSQL finds the week by binary search, SQLite by trying each.)"""
    settings.TIME_ZONE = "UTC"
    monday = dt.datetime(2026, 3, 9, tzinfo=dt.UTC)  # the end of the week of Mar 2
    tick = dt.timedelta(microseconds=1)
    before = services.create_issue(eng, actor=alice, title="a", now=monday - tick)
    on = services.create_issue(eng, actor=alice, title="b", now=monday)
    services.change_status(before, to=status("Triaged"), actor=alice, now=monday)
    services.change_status(on, to=status("Closed"), actor=alice, now=monday + dt.timedelta(days=7))
    week = {
        r["week"]: (r["created"], r["resolved"]) for r in reports.created_vs_resolved(eng, march())
    }
    assert week[dt.date(2026, 3, 2)] == (1, 0) and week[dt.date(2026, 3, 9)] == (1, 0)
    assert week[dt.date(2026, 3, 16)] == (0, 1)
    backlog = {
        r["week"]: (r["triage"], r["todo"])
        for r in reports.backlog_flow(eng, march(now=NOW + dt.timedelta(days=20)))
    }
    # At Mar 9 00:00 `before` has just been triaged and `on` has just been filed.
    assert backlog[dt.date(2026, 3, 2)] == (1, 1)
    # At Mar 16 00:00 `on` has just been closed.
    assert backlog[dt.date(2026, 3, 9)] == (0, 1)
    assert backlog[dt.date(2026, 3, 16)] == (0, 1)


def test_cycle_and_resolution_time_by_priority(eng, timeline):
    cycle = {r["priority"]: r for r in reports.cycle_time(eng, march())}
    # ENG-3 (no priority): in progress at(1) -> resolved at(11); ENG-2 was never in
    # progress; ENG-1 is open again.
    assert cycle[5]["count"] == 1
    assert cycle[5]["median_seconds"] == 10 * H
    assert cycle[1]["count"] == 0 and cycle[1]["median_seconds"] is None
    assert [b["count"] for b in cycle[5]["buckets"]] == [0, 1, 0, 0, 0, 0]

    resolution = {r["priority"]: r for r in reports.resolution_time(eng, march())}
    assert (resolution[1]["count"], resolution[1]["median_seconds"]) == (1, 4 * H)
    assert (resolution[5]["count"], resolution[5]["p90_seconds"]) == (1, 11 * H)


def test_cycle_time_of_a_reopened_issue_runs_from_its_first_start_to_its_last_resolution(
    eng, alice, status
):
    issue = services.create_issue(eng, actor=alice, title="x", now=T0)
    services.change_status(issue, to=status("In progress"), actor=alice, now=at(1))
    services.change_status(issue, to=status("Resolved"), actor=alice, now=at(2))
    services.change_status(issue, to=status("Triaged"), actor=alice, now=at(3))
    services.change_status(issue, to=status("In progress"), actor=alice, now=at(4))
    services.change_status(issue, to=status("Resolved"), actor=alice, now=at(6))
    (row,) = [r for r in reports.cycle_time(eng, march()) if r["count"]]
    assert row["median_seconds"] == 5 * H  # at(1) -> at(6)


def test_percentiles_interpolate_like_percentile_cont(eng, alice, status):
    # Resolution times of 1, 2, 3 and 10 hours: median 2.5 h, p90 at rank 2.7 -> 3 + 0.7 * 7
    for hours in (1, 2, 3, 10):
        issue = services.create_issue(eng, actor=alice, title=f"{hours}", now=T0)
        services.change_status(issue, to=status("Resolved"), actor=alice, now=at(hours))
    row = {r["priority"]: r for r in reports.resolution_time(eng, march())}[5]
    assert (row["count"], row["median_seconds"], row["p90_seconds"]) == (4, 2.5 * H, 7.9 * H)
    assert [b["count"] for b in row["buckets"]] == [0, 4, 0, 0, 0, 0]


def test_durations_across_a_dst_change_are_real_hours_and_weeks_are_local(
    settings, eng, alice, status
):
    settings.TIME_ZONE = "Europe/Berlin"  # clocks go forward on Sunday 29 March 2026
    berlin = reports.report_zone()
    saturday_noon = dt.datetime(2026, 3, 28, 12, tzinfo=berlin)
    monday_noon = dt.datetime(2026, 3, 30, 12, tzinfo=berlin)
    issue = services.create_issue(eng, actor=alice, title="DST", now=saturday_noon)
    services.change_status(issue, to=status("Resolved"), actor=alice, now=monday_noon)
    # Monday 00:30 in Berlin is still Sunday in UTC: it belongs to the week of Mar 30.
    services.create_issue(
        eng, actor=alice, title="late", now=dt.datetime(2026, 3, 30, 0, 30, tzinfo=berlin)
    )
    services.create_issue(
        eng, actor=alice, title="early", now=dt.datetime(2026, 3, 29, 23, 30, tzinfo=berlin)
    )
    now = dt.datetime(2026, 4, 1, tzinfo=berlin)
    window = reports.ReportFilter.for_days(dt.date(2026, 3, 23), dt.date(2026, 3, 31), now=now)
    rows = by_status(reports.time_in_status(eng, window))
    # New: Saturday noon to Monday noon (47 real hours); the two others until `now`,
    # Wednesday 00:00: 47.5 h and 48.5 h -> median 47.5 h, p90 47.5 + 0.8 * 1 = 48.3 h
    assert rows["New"] == (3, 3, 47.5 * H, 48.3 * H)
    assert rows["Resolved"][2] == 36 * H  # Monday 12:00 to Wednesday 00:00
    resolution = {r["priority"]: r for r in reports.resolution_time(eng, window)}[5]
    assert resolution["median_seconds"] == 47 * H  # 48 wall-clock hours minus the skipped one
    weeks = reports.created_vs_resolved(eng, window)
    assert [(r["week"], r["created"], r["resolved"]) for r in weeks] == [
        (dt.date(2026, 3, 23), 2, 0),
        (dt.date(2026, 3, 30), 1, 1),
    ]
    assert window.start == dt.datetime(2026, 3, 22, 23, tzinfo=dt.UTC)


def test_aging_buckets_oldest_and_stale(eng, alice, timeline, status):
    services.create_issue(eng, actor=alice, title="Fresh", now=NOW - dt.timedelta(hours=2))
    result = reports.aging(eng, march())
    rows = {r["status"]: r["buckets"] for r in result["rows"]}
    assert result["buckets"] == ["< 1 d", "1-7 d", "7-30 d", "30-90 d", "> 90 d"]
    assert rows["New"] == [1, 0, 0, 0, 0]
    assert rows["In progress"] == [0, 0, 1, 0, 0]  # ENG-1, 8 days old
    assert "Resolved" not in rows
    assert [i["key"] for i in result["oldest"]] == ["ENG-1", "ENG-5"]
    # ENG-1 has been quiet since at(7): 7 d 17 h, longer than In progress's 7 days.
    assert [i["key"] for i in result["stale"]] == ["ENG-1"]
    assert result["oldest"][0]["url"] == "/issues/ENG-1/"


def test_workload_per_assignee_by_priority_and_unassigned(eng, alice, bob, status):
    a = services.create_issue(eng, actor=alice, title="a", priority=1, now=T0)
    b = services.create_issue(eng, actor=alice, title="b", priority=2, now=T0)
    services.create_issue(eng, actor=alice, title="c", priority=2, now=T0)
    done = services.create_issue(eng, actor=alice, title="d", priority=2, now=T0)
    services.set_assignees(a, assignees=[alice, bob], actor=alice, now=T0)
    services.assign(b, assignee=bob, actor=alice, now=T0)
    services.assign(done, assignee=alice, actor=alice, now=T0)
    services.change_status(done, to=status("Resolved"), actor=alice, now=at(1))
    result = reports.workload(eng, march())
    assert [(r["username"], r["total"], r["by_priority"][1], r["by_priority"][2])
            for r in result["rows"]] == [("bob", 2, 1, 1), ("alice", 1, 1, 0)]  # fmt: skip
    assert result["unassigned"]["total"] == 1
    assert result["unassigned"]["by_priority"][2] == 1


@pytest.mark.parametrize(
    ("name", "queries"),
    [
        ("time-in-status", 2),
        ("created-vs-resolved", 1),
        ("backlog", 1),
        ("cycle-time", 1),
        ("resolution-time", 1),
        ("aging", 4),
        ("workload", 1),
    ],
)
def test_each_report_costs_a_fixed_number_of_queries(
    eng, timeline, bug_label, django_assert_num_queries, name, queries
):
    for filters in ({}, {"labels": (bug_label,), "customer_linked": True, "kinds": ("bug",)}):
        with django_assert_num_queries(queries):
            reports.REPORTS[name](eng, march(**filters))


@pytest.mark.skipif("not is_postgres()")
def test_reports_run_without_jit_compilation():
    """PostgreSQL compiles plans costlier than jit_above_cost, which only the year-long
    reports reach, and at 1,000,000 issues each was 20-140 ms slower for it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


@pytest.mark.skipif("not is_postgres()")
@pytest.mark.django_db(transaction=True)
def test_a_percentile_statement_sorts_in_more_memory_and_gives_it_back():
    """The percentile statements raise work_mem for themselves only (at 4MB their sorts
    spilled to disk): the connection's next statement has the server's setting again."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        (before,) = cursor.fetchone()
    sql = "SELECT current_setting('work_mem'), %s"
    assert reports._fetch(sql, [1], work_mem=reports.PERCENTILE_WORK_MEM) == [
        (reports.PERCENTILE_WORK_MEM, 1)
    ]
    assert reports._fetch(sql, [2]) == [(before, 2)]
    assert before != reports.PERCENTILE_WORK_MEM


def _prepared_statements() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


@pytest.mark.skipif("not is_postgres()")
def test_pages_statements_are_prepared_and_the_reports_planned_for_their_values(
    eng, timeline, client, alice
):
    """On PostgreSQL a statement the connection runs again is prepared: its plan is kept
    instead of made on every request (about half of the database's CPU on the issue and
    list pages). A report's plan depends on its team and window, so its statements are
    planned each time, and the two-statement message of the percentiles still runs."""
    client.force_login(alice)
    for _ in range(3):
        assert client.get(f"/issues/{timeline[0].key}/").status_code == 200
        for report in reports.REPORTS.values():
            report(eng, march())
    prepared = _prepared_statements()
    assert any('FROM "issues_issue"' in statement for statement in prepared)
    assert not any("UNION ALL" in statement for statement in prepared)  # created vs resolved
    assert not any("percentile_cont" in statement for statement in prepared)
