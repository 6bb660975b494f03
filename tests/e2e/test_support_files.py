"""Support in a real Chromium: attach a file on the issue page, reply on the customer's
behalf to move a waiting issue back, and see the customer and files on the timeline."""

import pytest

from accounts.models import Team
from issues import services
from issues.models import Attachment
from tests.e2e.conftest import sign_in
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_attach_a_file_and_reply_for_the_customer(
    live_server, page, screenshot, eng, alice, sam, status, tmp_path
):
    Team.objects.filter(pk=eng.pk).update(intake_email="help@eng.example")
    dana = CustomerFactory(name="Dana Scully", email="dana@client.example")
    issue = services.create_issue(
        eng, actor=sam, title="Export to CSV times out", customer=dana, description="Since 2.3."
    )
    services.change_status(issue, to=status("In progress"), actor=alice)
    services.change_status(issue, to=status("Waiting on customer"), actor=sam)
    log = tmp_path / "export-log.txt"
    log.write_text("12:01 export started\n12:06 timeout\n")

    sign_in(page, live_server, "sam")
    page.goto(f"{live_server.url}{issue.get_absolute_url()}")
    page.locator("#id_files").set_input_files(str(log))
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("Attached 1 file.").wait_for()
    assert page.locator("#attachments").get_by_role("link", name="export-log.txt").is_visible()

    page.locator("#id_body").fill("Dana called: the export works again after clearing cache.")
    page.locator("#id_comment_customer").select_option(str(dana.pk))
    page.get_by_role("button", name="Comment", exact=True).click()
    page.get_by_text("Comment added.").wait_for()
    assert page.locator(".timeline").get_by_text("(customer, via Sam)").is_visible()
    assert page.locator(".timeline").get_by_text("attached export-log.txt").is_visible()
    screenshot("support_attachments_customer_reply")

    issue.refresh_from_db()
    assert issue.status.name == "In progress"
    assert Attachment.objects.get().filename == "export-log.txt"

    page.context.clear_cookies()
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/teams/ENG/settings/support/")
    assert page.get_by_text("help@eng.example").first.is_visible()
    screenshot("team_settings_support")
