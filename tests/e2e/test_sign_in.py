import pytest

from issues import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_sign_in_with_email_and_see_my_issues(live_server, page, screenshot, eng, alice, bob):
    services.create_issue(
        eng, actor=alice, title="Checkout fails with a 500", priority=1, assignees=[bob]
    )
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username or email").fill("bob@example.com")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("That username or email")

    page.get_by_label("Password").fill("pw-for-tests-only")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Hello, Bob").wait_for()
    row = page.locator("ul.issues li").filter(has_text="Checkout fails with a 500")
    assert "ENG-1" in row.inner_text()
    assert "Urgent" in row.inner_text()
    screenshot("home")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
