"""The team reports page and the issue page's status history, as a user meets them."""

import csv
import datetime as dt
import io
import re

import pytest
from django.utils import timezone

from issues import selectors, services
from issues.models import IssueEvent

pytestmark = pytest.mark.django_db

REPORTS = "/teams/ENG/reports/"
H = 3600


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def busy(eng, alice, bob, status):
    """Two issues a few days old: one resolved, one in progress and assigned."""
    t0 = timezone.now() - dt.timedelta(days=3)
    one = services.create_issue(eng, actor=alice, title="Checkout fails", priority=1, now=t0)
    two = services.create_issue(eng, actor=alice, title="Slow search", now=t0)
    services.change_status(one, to=status("In progress"), actor=bob, now=t0 + dt.timedelta(hours=1))
    services.change_status(one, to=status("Resolved"), actor=bob, now=t0 + dt.timedelta(hours=4))
    services.assign(two, assignee=bob, actor=alice, now=t0 + dt.timedelta(hours=2))
    services.change_status(two, to=status("In progress"), actor=bob, now=t0 + dt.timedelta(hours=2))
    return one, two


def test_who_sees_the_reports_page(client, client_for, eng, vera, mallory):
    assert client_for(vera).get(REPORTS).status_code == 200
    assert client_for(mallory).get(REPORTS).status_code == 404
    client.logout()
    assert client.get(REPORTS).status_code == 302


def test_every_section_has_a_chart_a_table_and_a_csv_link(client_for, vera, busy):
    body = text(client_for(vera).get(REPORTS))
    for name in ("time-in-status", "created-vs-resolved", "backlog", "cycle-time",
                 "resolution-time", "aging", "workload"):  # fmt: skip
        section = body.split(f'id="{name}"', 1)[1].split("</section>", 1)[0]
        assert '<svg class="chart"' in section and "<title" in section
        assert f'id="{name}-table"' in section
        assert f"format=csv&amp;report={name}" in section
    assert 'href="/teams/ENG/reports/" aria-current="page">Reports' in body
    assert "style=" not in body.split("<main", 1)[-1]  # the CSP forbids inline styles
    # The oldest open issue is linked from the aging section.
    assert '<a href="/issues/ENG-2/">ENG-2</a>' in body
    # Workload: bob has ENG-2.
    assert re.search(r"<th scope=\"row\">Bob</th>(<td>\d+</td>){5}<td>1</td>", body)


def test_the_page_and_the_csv_show_the_same_numbers(client_for, vera, busy):
    client = client_for(vera)
    response = client.get(REPORTS, {"format": "csv", "report": "cycle-time", "priority": "urgent"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(text(response))))
    assert rows[0][:4] == ["Priority", "Issues", "Median (s)", "P90 (s)"]
    urgent = next(r for r in rows if r[0] == "Urgent")
    assert urgent[1:4] == ["1", str(3 * H), str(3 * H)]  # in progress at +1 h, resolved at +4 h
    page = text(client.get(REPORTS, {"priority": "urgent"}))
    assert re.search(r'<th scope="row">Urgent</th><td>1</td><td>3 h</td><td>3 h</td>', page)


def test_an_unknown_csv_report_is_404(client_for, vera, eng):
    assert client_for(vera).get(REPORTS, {"format": "csv", "report": "nope"}).status_code == 404


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-13-01"}, "Enter a valid date."),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "The end date is before the start date."),
        ({"end": "0001-01-01"}, "Choose a date from 1900-01-01 to 9998-12-31."),
        ({"start": "9999-12-31"}, "Choose a date from 1900-01-01 to 9998-12-31."),
        ({"priority": "critical"}, "Select a valid choice."),
        ({"customer": "maybe"}, "Select a valid choice."),
    ],
)
def test_bad_filters_say_what_is_wrong(client_for, vera, eng, params, message):
    response = client_for(vera).get(REPORTS, params)
    assert response.status_code == 400
    assert message in text(response)
    # htmx swaps the results: the message goes there, not a second page.
    partial = client_for(vera).get(REPORTS, params, headers={"HX-Request": "true"})
    assert partial.status_code == 400
    assert message in text(partial) and "<form" not in text(partial)


def test_filters_are_url_state_and_htmx_gets_the_results_only(client_for, vera, busy, bug_label):
    client = client_for(vera)
    params = {"start": "2026-01-01", "end": "2026-03-31", "kind": "bug", "label": "bug",
              "customer": "linked"}  # fmt: skip
    page = text(client.get(REPORTS, params))
    assert 'value="2026-01-01"' in page and "<form" in page
    partial = client.get(REPORTS, params, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<form" not in text(partial) and 'id="results"' in text(partial)
    assert "From 1 Jan 2026 to 31 Mar 2026" in text(partial)


# The user (with the unread count), my teams (the team among them), the filter menus
# (statuses, labels, members), then each report's own queries.
REPORTS_PAGE_QUERIES = 14


def test_reports_page_query_count_is_fixed(
    client_for, bob, eng, alice, status, django_assert_num_queries
):
    client = client_for(bob)
    # session, user, team with my role (it also answers the admin tab), the team's labels
    # (filter form), the 11 queries of the seven reports; the header's teams and unread
    # count
    with django_assert_num_queries(REPORTS_PAGE_QUERIES):
        assert client.get(REPORTS).status_code == 200
    for i in range(8):
        issue = services.create_issue(eng, actor=alice, title=f"x{i}", priority=1 + i % 5)
        services.assign(issue, assignee=alice, actor=alice)
        services.change_status(issue, to=status("In progress"), actor=alice)
        if i % 3 == 0:
            services.change_status(issue, to=status("Resolved"), actor=alice)
    with django_assert_num_queries(REPORTS_PAGE_QUERIES):
        assert client.get(REPORTS, {"label": [], "priority": "high"}).status_code == 200


# --- the issue page's status history ---------------------------------------------


def test_issue_page_shows_the_status_bar_and_facts(client_for, vera, busy):
    body = text(client_for(vera).get("/issues/ENG-1/"))
    bar = body.split('<svg class="status-bar"', 1)[1].split("</svg>", 1)[0]
    assert bar.count("<rect") == 3
    assert 'class="c-triage"' in bar and 'class="c-in_progress"' in bar and 'class="c-done"' in bar
    assert "In progress: 3 h — moved in by Bob" in bar
    assert "<dt>Resolution</dt><dd>4 h</dd>" in body
    assert "<dt>Reopened</dt><dd>0 times</dd>" in body


def test_first_response_is_a_public_comment_or_an_assignment_by_someone_else(
    eng, alice, bob, sam, status
):
    t0 = timezone.now() - dt.timedelta(days=1)
    issue = services.create_issue(eng, actor=sam, title="Customer problem", now=t0)
    services.add_comment(
        issue, body="note to self", actor=sam, public=True, now=t0 + dt.timedelta(hours=1)
    )
    services.add_comment(issue, body="internal", actor=bob, now=t0 + dt.timedelta(hours=2))
    services.add_comment(
        issue, body="We are on it", actor=bob, public=True, now=t0 + dt.timedelta(hours=3)
    )
    services.change_status(issue, to=status("Resolved"), actor=bob, now=t0 + dt.timedelta(hours=5))
    services.change_status(issue, to=status("Triaged"), actor=sam, now=t0 + dt.timedelta(hours=6))
    timeline = list(IssueEvent.objects.filter(issue=issue).order_by("created_at", "id"))
    life = selectors.get_issue_life(issue, timeline=timeline, now=t0 + dt.timedelta(hours=10))
    assert life["first_response"].actor == bob
    assert life["first_response_seconds"] == 3 * H
    assert life["reopens"] == 1
    assert life["resolution_seconds"] is None  # reopened
    assert [round(s["width"], 1) for s in life["segments"]] == [50.0, 10.0, 40.0]
    assert [(t["status"].name, t["seconds"]) for t in life["totals"]] == [
        ("New", 5 * H), ("Triaged", 4 * H), ("Resolved", H)
    ]  # fmt: skip


def test_an_assignment_by_someone_else_counts_as_first_response(eng, alice, bob):
    t0 = timezone.now() - dt.timedelta(days=1)
    issue = services.create_issue(eng, actor=alice, title="x", now=t0)
    services.assign(issue, assignee=alice, actor=alice, now=t0 + dt.timedelta(hours=1))
    services.assign(issue, assignee=bob, actor=bob, now=t0 + dt.timedelta(hours=2))
    timeline = list(IssueEvent.objects.filter(issue=issue).order_by("created_at", "id"))
    life = selectors.get_issue_life(issue, timeline=timeline)
    assert life["first_response_seconds"] == 2 * H
