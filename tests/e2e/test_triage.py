"""The main triage journeys, in a real Chromium, asserting what the user sees."""

import pytest

from issues import services
from issues.models import Issue, IssueEvent
from notifications.models import Notification
from tests.e2e.conftest import sign_in
from tests.factories import LabelFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def backlog(eng, alice, bob, sam):
    LabelFactory(team=eng, name="checkout", color="#0e8a16")
    titles = [
        ("Checkout fails with a 500 on Safari", 1),
        ("Invoice PDF has the wrong VAT number", 2),
        ("Dark mode colours are unreadable", 3),
        ("Password reset email never arrives", 2),
        ("Export to CSV times out for big teams", 4),
    ]
    issues = [
        services.create_issue(eng, actor=alice, title=t, priority=p, description=f"About {t}.")
        for t, p in titles
    ]
    services.add_comment(issues[3], body="Customer says the spam folder is empty too", actor=sam)
    return issues


def test_filter_search_open_assign_status_and_comment(
    live_server, page, screenshot, backlog, bob, alice
):
    sign_in(page, live_server, "bob")
    page.goto(f"{live_server.url}/teams/ENG/issues/")
    rows = page.locator("table.issue-table tbody tr")
    assert rows.count() == 5
    screenshot("list")

    # Filter by priority through the menu: the URL follows, so the view can be shared.
    page.get_by_text("Priority", exact=True).first.click()
    page.locator("input[name=priority][value=high]").check()
    page.wait_for_url("**priority=high**")
    assert rows.count() == 2

    # Full-text search finds a word that only appears in a comment.
    page.goto(f"{live_server.url}/teams/ENG/issues/")
    page.keyboard.press("/")
    page.keyboard.type("spam")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=spam**")
    assert rows.count() == 1
    assert "Password reset email never arrives" in rows.first.inner_text()

    # Keyboard: j selects the row, Enter opens it.
    page.locator("body").click()
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Password reset email never arrives").wait_for()

    # Assign Bob and move to In progress in place; the timeline shows both.
    page.keyboard.press("a")  # opens the assignee menu
    page.locator("form[data-property=assignees]").get_by_label("Bob").check()
    page.locator("#timeline").get_by_text("self-assigned").wait_for()
    assert "Bob" in page.locator("#prop-assignees").inner_text()
    page.locator("#prop-status").select_option(label="In progress")
    page.locator("#timeline").get_by_text("from New to In progress").wait_for()

    # Comment with a mention: Alice is notified.
    page.get_by_label("Comment", exact=True).fill("@alice can you confirm the SMTP logs?")
    page.get_by_role("button", name="Comment", exact=True).click()
    page.locator(".comment").filter(has_text="can you confirm the SMTP logs").wait_for()
    screenshot("issue")
    issue = Issue.objects.get(title="Password reset email never arrives")
    assert issue.status.name == "In progress"
    assert list(issue.assignees.values_list("username", flat=True)) == ["bob"]
    assert Notification.objects.filter(recipient=alice, issue=issue, kind="mentioned").exists()


def test_bulk_triage_three_issues(live_server, page, backlog):
    sign_in(page, live_server, "bob")
    page.goto(f"{live_server.url}/teams/ENG/issues/?sort=created")
    page.locator(".result-count").click()  # focus the page, not a field or a link
    for _ in range(3):
        page.keyboard.press("j")
        page.keyboard.press("x")
    bar = page.get_by_role("form", name="Bulk triage")
    assert "3 selected" in bar.inner_text()
    bar.get_by_label("Action").select_option(label="Set status")
    bar.get_by_label("Status").select_option(label="Triaged")
    bar.get_by_role("button", name="Apply to selected").click()
    page.get_by_text("3 issues moved to Triaged.").wait_for()
    moved = IssueEvent.objects.filter(kind="status_changed", to_status__name="Triaged")
    assert moved.count() == 3


def test_shift_click_selects_a_range(live_server, page, backlog):
    sign_in(page, live_server, "bob")
    page.goto(f"{live_server.url}/teams/ENG/issues/?sort=created")
    boxes = page.locator("input[name=issues]")
    boxes.nth(0).click()
    boxes.nth(3).click(modifiers=["Shift"])
    assert "4 selected" in page.locator(".bulk-count").inner_text()


def test_board_moves_a_card_with_its_form(live_server, page, screenshot, backlog):
    sign_in(page, live_server, "bob")
    page.goto(f"{live_server.url}/teams/ENG/board/")
    screenshot("board")
    card = page.locator(".issue-card").filter(has_text="Dark mode colours are unreadable")
    card.get_by_label("Move ENG-3 to").select_option(label="In progress")
    card.get_by_role("button", name="Move").click()
    page.get_by_text("ENG-3 moved to In progress.").wait_for()
    column = page.locator(".column").filter(has=page.get_by_role("heading", name="In progress"))
    assert "Dark mode colours are unreadable" in column.inner_text()


def test_create_issue_sees_the_duplicate_suggestion(live_server, page, backlog):
    sign_in(page, live_server, "sam")
    page.keyboard.press("c")
    page.get_by_role("heading", name="New issue").wait_for()
    page.get_by_label("Title").fill("Checkout broken in Safari")
    suggestion = page.locator("#similar").get_by_text("Checkout fails with a 500 on Safari")
    suggestion.wait_for()
    page.get_by_label("Kind").select_option(label="Complaint")
    page.get_by_role("button", name="Create issue").click()
    page.get_by_text("Created ENG-6.").wait_for()
    assert Issue.objects.get(number=6).kind == "complaint"


def test_viewer_sees_no_edit_controls(live_server, page, backlog, vera):
    sign_in(page, live_server, "vera")
    page.goto(f"{live_server.url}/issues/ENG-1/")
    page.get_by_role("heading", name="Checkout fails with a 500 on Safari").wait_for()
    assert page.locator("#prop-status").count() == 0
    assert page.locator("#comment-form").count() == 0
    assert page.get_by_role("link", name="New issue").count() == 0


def test_shortcut_help_opens_on_question_mark(live_server, page, backlog):
    sign_in(page, live_server, "bob")
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    dialog.wait_for()
    assert "Next / previous issue" in dialog.inner_text()
    page.keyboard.press("Escape")
