"""The status periods of an issue and the team reports, over the API."""

import datetime as dt

import pytest
from django.utils import timezone

from issues import reports, services

pytestmark = pytest.mark.django_db

H = 3600


@pytest.fixture
def moved(eng, alice, bob, status):
    """ENG-1: New 2 h (alice filed it), In progress 3 h (bob), Resolved since (bob)."""
    t0 = timezone.now() - dt.timedelta(days=2)
    issue = services.create_issue(eng, actor=alice, title="Moved", now=t0)
    services.change_status(
        issue, to=status("In progress"), actor=bob, now=t0 + dt.timedelta(hours=2)
    )
    services.change_status(issue, to=status("Resolved"), actor=None, now=t0 + dt.timedelta(hours=5))
    return issue, t0


def test_status_periods_one_entry_per_period(api_as, vera, moved):
    _issue, _t0 = moved
    body = api_as(vera).get("/api/v1/issues/ENG-1/status-periods/").json()
    results = body["results"]
    assert [(p["status"]["name"], p["category"]) for p in results] == [
        ("New", "triage"), ("In progress", "in_progress"), ("Resolved", "done")
    ]  # fmt: skip
    assert results[0]["duration_seconds"] == 2 * H
    assert results[1]["duration_seconds"] == 3 * H
    assert results[0]["moved_in_by"] == {"username": "alice", "name": "Alice"}
    assert results[1]["moved_in_by"]["username"] == "bob"
    assert results[2]["moved_in_by"] is None  # the system
    assert results[2]["left_at"] is None
    # The current one runs up to now: 2 days - 5 h, give or take the test's own time.
    assert 43 * H <= results[2]["duration_seconds"] < 43 * H + 60
    assert results[1]["entered_at"] == results[0]["left_at"]


def test_status_periods_cost_a_fixed_number_of_queries(
    api_as, bob, moved, status, django_assert_num_queries
):
    issue, _ = moved
    client = api_as(bob)
    # token with its user, the caller's teams (with roles), issue, periods with statuses
    # and people
    with django_assert_num_queries(4):
        assert client.get("/api/v1/issues/ENG-1/status-periods/").status_code == 200
    for _ in range(5):
        services.change_status(issue, to=status("Triaged"), actor=bob)
        services.change_status(issue, to=status("Closed"), actor=bob)
    with django_assert_num_queries(4):
        response = client.get("/api/v1/issues/ENG-1/status-periods/")
    assert len(response.json()["results"]) == 13


def test_team_report_gives_the_numbers_of_the_report(api_as, vera, eng, moved):
    today = timezone.localdate()
    response = api_as(vera).get(
        "/api/v1/teams/ENG/reports/time-in-status/",
        {"start": (today - dt.timedelta(days=6)).isoformat(), "end": today.isoformat()},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["report"] == "time-in-status" and body["team"] == "ENG"
    rows = {r["status"]: r for r in body["data"]}
    assert (rows["New"]["issues"], rows["New"]["median_seconds"]) == (1, 2 * H)
    assert rows["In progress"]["p90_seconds"] == 3 * H


@pytest.mark.parametrize(
    ("name", "queries"),
    [
        # token with its user, team (with my role), the team's labels (for the filter), then the
        # report's own queries (see tests/issues/test_reports.py)
        ("time-in-status", 3 + 2),
        ("created-vs-resolved", 3 + 1),
        ("backlog", 3 + 1),
        ("cycle-time", 3 + 1),
        ("resolution-time", 3 + 1),
        ("aging", 3 + 4),
        ("workload", 3 + 1),
    ],
)
def test_each_team_report_costs_a_fixed_number_of_queries(
    api_as, bob, eng, alice, status, django_assert_num_queries, name, queries
):
    client = api_as(bob)
    url = f"/api/v1/teams/ENG/reports/{name}/"
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    for i in range(6):
        issue = services.create_issue(eng, actor=alice, title=f"x{i}", priority=1 + i % 5)
        services.assign(issue, assignee=bob, actor=alice)
        services.change_status(issue, to=status("In progress"), actor=alice)
        if i % 2:
            services.change_status(issue, to=status("Resolved"), actor=alice)
    with django_assert_num_queries(queries):
        assert (
            client.get(url, {"priority": ["urgent", "high"], "customer": "unlinked"}).status_code
            == 200
        )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "yesterday"}, "start"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "end"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "start"),
        # Found by schemathesis: the default start (end - 89 days) was before year 1.
        ({"end": "0001-01-01"}, "end"),
        ({"start": "9999-12-31", "end": "9999-12-31"}, "start"),
        ({"priority": "critical"}, "priority"),
        ({"label": "nope"}, "label"),
        ({"customer": "maybe"}, "customer"),
    ],
)
def test_bad_report_filters_are_400_naming_the_parameter(api_as, vera, eng, params, field):
    response = api_as(vera).get("/api/v1/teams/ENG/reports/backlog/", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_unknown_report_is_404(api_as, vera, eng):
    assert api_as(vera).get("/api/v1/teams/ENG/reports/velocity/").status_code == 404


def test_api_and_function_agree(api_as, vera, eng, moved):
    today = timezone.localdate()
    window = reports.ReportFilter.for_days(today - dt.timedelta(days=89), today)
    expected = reports.workload(eng, window)
    body = api_as(vera).get("/api/v1/teams/ENG/reports/workload/").json()
    assert body["data"]["unassigned"]["total"] == expected["unassigned"]["total"] == 0
