"""Support's quick-log journey in a real Chromium: find the caller, notice the issue is
already known, add them to it instead of filing a duplicate; then the status page."""

import re

import pytest
from playwright.sync_api import expect

from issues import customer_links, services
from issues.models import Issue
from tests.e2e.conftest import sign_in
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def known(eng, bob, sam):
    for title in ["Billing export broken", "Dark mode colours are unreadable"]:
        services.create_issue(eng, actor=bob, title=title)
    existing = services.create_issue(
        eng,
        actor=bob,
        title="Safari login failure",
        customers=[CustomerFactory(name="Kim Lee", organization="Globex")],
    )
    dana = CustomerFactory(name="Dana Smith", email="dana@acme.example", organization="Acme Corp")
    return existing, dana


def test_support_adds_the_caller_to_a_known_issue(live_server, page, screenshot, known, sam):
    existing, dana = known
    sign_in(page, live_server, "sam")
    page.get_by_role("link", name="Quick log").click()
    page.get_by_role("heading", name="Quick log").wait_for()

    # The search box has the focus: type the caller's name and pick them.
    expect(page.get_by_label("Find the customer")).to_be_focused()
    page.keyboard.type("dana")
    pick = page.get_by_role("button", name=re.compile("Dana Smith"))
    pick.click()
    page.locator(".picked-customer").get_by_text("Dana Smith").wait_for()

    page.get_by_label("Channel").select_option("phone")
    page.get_by_label("What's the problem? (title)").fill("Login fails on Safari")
    page.get_by_label("What the customer said").fill("She cannot sign in since this morning.")
    suggestion = page.locator("#similar li").first
    suggestion.get_by_text("Safari login failure").wait_for()
    assert "1 customer affected" in suggestion.inner_text()
    screenshot("quick-log")

    suggestion.get_by_role("button", name="Affects this customer too").click()
    page.wait_for_url(f"**/issues/{existing.key}/")
    page.get_by_text("Dana Smith is now affected by").wait_for()
    customers = page.locator("#customers")
    assert "Dana Smith" in customers.inner_text() and "Kim Lee" in customers.inner_text()
    assert "2" in customers.locator(".count").inner_text()
    assert Issue.objects.count() == 3  # no duplicate filed
    assert "Dana Smith reported this too" in page.locator("#timeline").inner_text()
    screenshot("quick-log-landed")

    # Support shares the status link; the customer sees plain words, no internal note.
    page.get_by_role("button", name="Create status link").click()
    page.get_by_role("button", name="Copy").wait_for()
    existing.refresh_from_db()
    url = customer_links.status_url(existing)
    assert page.locator("#status-url").input_value() == url
    services.add_comment(existing, body="We have found the cause.", public=True, actor=sam)
    page.goto(live_server.url + customer_links.status_path(existing))
    page.get_by_text("We've received it").wait_for()
    body = page.locator("body").inner_text()
    assert "We have found the cause." in body and "reported this too" not in body
    assert page.locator("a").count() == 0
    screenshot("status-page")

    page.goto(f"{live_server.url}{dana.get_absolute_url()}")
    page.get_by_role("heading", name="Dana Smith").wait_for()
    assert existing.title in page.locator("table").inner_text()
    screenshot("customer-page")


def test_typing_before_the_scripts_load_still_searches(live_server, page, known, sam):
    """A quick typist can type into the focused box before htmx is ready; the search
    still runs once it is, instead of waiting for another keystroke."""
    sign_in(page, live_server, "sam")
    held = []

    def hold(route):
        held.append(route)

    page.route("**/vendor/htmx/htmx.min.js*", hold)
    page.goto(f"{live_server.url}/quick-log/", wait_until="commit")
    box = page.get_by_label("Find the customer")
    expect(box).to_be_focused()
    page.keyboard.type("dana")
    expect(page.get_by_role("button", name=re.compile("Dana Smith"))).to_have_count(0)
    held[0].continue_()
    page.get_by_role("button", name=re.compile("Dana Smith")).click()
    page.locator(".picked-customer").get_by_text("Dana Smith").wait_for()


def test_members_add_a_customer_on_the_issue_page_by_searching(
    live_server, page, screenshot, known, bob
):
    existing, _ = known
    CustomerFactory(name="Lee Park", organization="Globex", email="lee@globex.example")
    sign_in(page, live_server, "bob")
    page.goto(f"{live_server.url}/customers/")
    page.get_by_label("Search customers").fill("acme")
    page.locator("#customer-results").get_by_text("1 customer matching").wait_for()
    screenshot("customer-list")

    page.goto(f"{live_server.url}{existing.get_absolute_url()}")
    page.get_by_label("Add a customer").fill("dana")
    page.get_by_role("button", name=re.compile("Dana Smith")).click()
    page.locator("#customers").get_by_text("Dana Smith is now affected by").wait_for()
    assert "2" in page.locator("#customers .count").inner_text()
    # The timeline refreshes itself after the change.
    page.locator("#timeline").get_by_text("added the affected customer Dana Smith").wait_for()
    screenshot("issue-customers")
