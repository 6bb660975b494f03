import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from issues import pickers, services
from tests.factories import CustomerFactory, LabelFactory

pytestmark = pytest.mark.django_db


def url(issue):
    return reverse("issues:detail", kwargs={"key": issue.key})


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("alice", 200), ("bob", 200), ("sam", 200), ("vera", 200), ("mallory", 404)],
)
def test_issue_page_is_visible_to_team_members_only(request, client, issue, persona, expected):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url(issue)).status_code == expected


def test_anonymous_is_sent_to_sign_in(client, issue):
    response = client.get(url(issue))
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.parametrize(
    "key",
    ["ENG-999", "NOPE-1", "ENG", "ENG-x", "ENG-99999999999999", "-1", "EN%00G-1", "ENG-%C2%B2"],
)
def test_unknown_keys_are_404(client, bob, key):
    client.force_login(bob)
    assert client.get(f"/issues/{key}/").status_code == 404


def test_lowercase_key_works(client, bob, issue):
    client.force_login(bob)
    assert client.get("/issues/eng-1/").status_code == 200


def test_timeline_reads_like_sentences_and_escapes_user_text(client, issue, alice, bob, status):
    services.change_status(issue, to=status("In progress"), actor=alice)
    services.assign(issue, assignee=bob, actor=alice)
    services.add_comment(issue, body="Repro: <img src=x onerror=alert(1)> **bold**", actor=bob)
    services.update_issue(issue, actor=alice, title="<script>alert(1)</script>")
    client.force_login(bob)
    body = client.get(url(issue)).content.decode()
    assert "changed the status from <b>New</b> to <b>In progress</b>" in body
    assert "assigned <b>Bob</b>" in body
    assert "<strong>bold</strong>" in body
    assert "<img src=x" not in body and "<script>alert" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_issue_page_query_count_is_fixed(
    client, eng, alice, bob, sam, status, django_assert_num_queries
):
    issue = services.create_issue(eng, actor=alice, title="busy", customer=CustomerFactory())

    def grow(n):
        for i in range(n):
            services.add_comment(issue, body=f"comment {i} @bob", actor=sam, public=i % 2 == 0)
            services.set_labels(issue, labels=[LabelFactory(team=eng)], actor=alice, mode="add")
            services.add_customer(issue, customer=CustomerFactory(), actor=sam)
            comment = services.add_comment(issue, body="see file", actor=sam, public=True)
            for parent in (None, comment):
                upload = ContentFile(b"log line\n", name=f"log{i}.txt")
                services.add_attachment(issue, file=upload, comment=parent, actor=sam)
        services.assign(issue, assignee=bob, actor=alice)
        for _ in range(n):
            services.change_status(issue, to=status("Triaged"), actor=alice)
            services.change_status(issue, to=status("In progress"), actor=alice)

    client.force_login(bob)
    grow(2)
    pickers.forget()  # the services' checks read the team's pickers in this process
    # the user (with the unread count), the header's teams (the issue's team among them,
    # with my role and its pickers version), the issue with its watcher facts and label
    # and assignee ids, affected customers, timeline, attachments, status periods (the
    # status bar, named from the pickers). The session is in the cache. The team's
    # statuses, labels and members (which name the issue's labels and assignees) are kept
    # by the process: three more on the first page after they changed (grow adds labels).
    with django_assert_num_queries(7 + 3):
        assert client.get(url(issue)).status_code == 200
    with django_assert_num_queries(7):
        assert client.get(url(issue)).status_code == 200
    grow(10)
    with django_assert_num_queries(7 + 3):
        assert client.get(url(issue)).status_code == 200
    with django_assert_num_queries(7):
        assert client.get(url(issue)).status_code == 200


def test_customers_and_attachments_are_read_only_for_an_issue_that_has_them(
    client, eng, alice, bob, django_assert_num_queries
):
    """Most issues have neither: their page asks for neither. The first customer and the
    first attachment show as soon as they are added, each with its query."""
    issue = services.create_issue(eng, actor=alice, title="plain")
    client.force_login(bob)
    client.get(url(issue))  # the team's pickers, kept from now on
    with django_assert_num_queries(5):  # user, teams, issue and facts, timeline, periods
        body = client.get(url(issue)).content.decode()
    assert "Acme Robotics" not in body and "trace.txt" not in body
    services.add_customer(issue, customer=CustomerFactory(name="Acme Robotics"), actor=alice)
    with django_assert_num_queries(6):
        body = client.get(url(issue)).content.decode()
    assert "Acme Robotics" in body and "trace.txt" not in body
    upload = ContentFile(b"Traceback\n", name="trace.txt")
    services.add_attachment(issue, file=upload, comment=None, actor=alice)
    with django_assert_num_queries(7):
        body = client.get(url(issue)).content.decode()
    assert "Acme Robotics" in body and "trace.txt" in body


def test_the_page_names_people_no_longer_on_the_team_in_one_more_query(
    client, issue, alice, bob, sam, status, django_assert_num_queries
):
    # Assignees, the timeline and the status bar name people from the team's members;
    # whoever left (an assignee, actors, who moved it into a status) is read in one query
    # for all.
    services.assign(issue, assignee=sam, actor=bob)
    services.change_status(issue, to=status("In progress"), actor=bob)
    services.add_comment(issue, body="on it", actor=sam)
    from accounts import services as team_services
    from accounts.models import Membership

    for user in (bob, sam):
        team_services.remove_member(Membership.objects.get(user=user), actor=alice)
    client.force_login(alice)
    # 7 + 3 for the pickers + 1 for the former members, less the customers and the
    # attachments (the issue has neither).
    with django_assert_num_queries(9):
        body = client.get(url(issue)).content.decode()
    assert "In progress: " in body and "moved in by Bob" in body  # the status bar
    assert re.search(r"Bob</[a-z]+>\s*assigned <b>Sam</b>", body)
    assert re.search(r"Bob</[a-z]+>\s*changed the status from <b>New</b> to <b>In progress", body)
    assert re.search(r"<b>Sam</b>.*?on it", body, re.S)  # the comment's author


def test_team_urls_with_odd_bytes_are_404(client, bob):
    client.force_login(bob)
    assert client.get("/teams/EN%00G/issues/").status_code == 404
