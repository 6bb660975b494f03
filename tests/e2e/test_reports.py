"""The reports page and an issue's status bar on demo data, in a real Chromium."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from issues.models import Issue

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--small", "--no-progress", stdout=io.StringIO())


def sign_in_as_admin(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or email").fill("admin")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Hello").wait_for()


def test_reports_page_and_status_bar_on_demo_data(live_server, page, screenshot, demo):
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    sign_in_as_admin(page, live_server)
    issue = (
        Issue.objects.annotate(n=Count("status_periods"))
        .select_related("team")
        .order_by("-n", "pk")
        .first()
    )
    team = issue.team.key
    page.goto(f"{live_server.url}/teams/{team}/reports/")
    page.get_by_role("heading", name="Time in status").wait_for()
    assert page.locator("svg.chart").count() == 7
    assert page.locator("svg.chart rect").count() > 20  # the charts have bars
    assert page.locator("#time-in-status-table tbody tr").count() >= 5
    screenshot("reports")
    page.locator("#time-in-status").screenshot(path=str(screenshot.dir / "time-in-status.png"))

    # A filter is URL state: htmx swaps the results and pushes the URL.
    page.locator("select[name=priority]").select_option(["urgent", "high"])
    page.wait_for_url("**priority=urgent**")
    page.get_by_role("heading", name="Workload").wait_for()
    screenshot("reports-filtered")

    page.goto(f"{live_server.url}{issue.get_absolute_url()}")
    bar = page.locator("svg.status-bar")
    bar.wait_for()
    assert bar.locator("rect").count() == issue.n
    page.get_by_text("Periods and totals").click()
    page.locator(".status-life").screenshot(path=str(screenshot.dir / "issue-status-bar.png"))
    screenshot("issue-timeline")
    assert not [p for p in problems if "Content Security Policy" in p], problems
