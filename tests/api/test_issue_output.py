"""IssueOutput builds its dict by hand for speed; DRF's generic path over the same
declared fields is the reference, so the two must agree on every kind of issue."""

import datetime as dt

import pytest
from django.test import RequestFactory
from django.utils import timezone
from rest_framework import serializers

from issues import services
from issues.api import selectors as api_selectors
from issues.api.serializers import IssueOutput
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _generic(issue, context):
    return serializers.ModelSerializer.to_representation(IssueOutput(context=context), issue)


def test_the_fast_output_is_drf_generic_output(eng, alice, bob, status, bug_label):
    now = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)
    plain = services.create_issue(eng, actor=None, title="System filed", now=now)
    full = services.create_issue(
        eng,
        actor=alice,
        title="Crash {on} save",
        description="**bold** text",
        kind="question",
        priority=1,
        assignees=[bob, alice],
        labels=[bug_label],
        customers=[CustomerFactory(), CustomerFactory()],
        channel="email",
        due_date=dt.date(2026, 4, 2),
        now=now,
    )
    services.create_status_link(full, actor=alice)
    services.mark_duplicate(plain, of=full, actor=alice)
    services.change_status(full, to=status("Resolved"), actor=alice)
    request = RequestFactory().get("/api/v1/issues/", secure=True)
    for context in ({"request": request}, {}):
        rows = list(api_selectors.list_issues(alice).order_by("pk"))
        assert [row.key for row in rows] == ["ENG-1", "ENG-2"]
        fast = IssueOutput(rows, many=True, context=context).data
        assert fast == [_generic(row, context) for row in rows]
        assert fast[0]["duplicate_of"] == "ENG-2" and fast[1]["status_url"]
        assert fast[1]["due_date"] == "2026-04-02" and fast[1]["assignees"] == ["alice", "bob"]
        detail = api_selectors.load_issue(api_selectors.list_issues(alice).get(pk=full.pk))
        assert IssueOutput(detail, context=context).data == _generic(detail, context)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/St_Johns"])
def test_times_are_drf_generic_output_in_the_current_time_zone(eng, alice, zone):
    now = dt.datetime(2026, 7, 1, 23, 30, 15, 5, tzinfo=dt.UTC)
    services.create_issue(eng, actor=alice, title="One", now=now)
    with timezone.override(zone):
        row = api_selectors.list_issues(alice).get()
        fast = IssueOutput([row], many=True).data[0]
        assert fast == _generic(row, {})
    expected = {
        "UTC": "2026-07-01T23:30:15.000005Z",
        "Europe/Paris": "2026-07-02T01:30:15.000005+02:00",
        "America/St_Johns": "2026-07-01T21:00:15.000005-02:30",
    }
    assert fast["created_at"] == expected[zone]


def test_row_urls_are_absolute_with_a_request_and_paths_without(eng, alice):
    services.create_issue(eng, actor=alice, title="One")
    issue = api_selectors.load_issue(api_selectors.list_issues(alice).get())
    request = RequestFactory().get("/api/v1/issues/", secure=True)
    data = IssueOutput(issue, context={"request": request}).data
    assert data["url"] == "https://testserver/api/v1/issues/ENG-1/"
    assert data["html_url"].startswith("https://testserver/") and "ENG-1" in data["html_url"]
    assert IssueOutput(issue).data["url"] == "/api/v1/issues/ENG-1/"


def test_the_created_issue_reads_back_exactly_as_answered(api_as, eng, alice, bob, bug_label):
    customer = CustomerFactory()
    client = api_as(alice)
    created = client.post(
        "/api/v1/issues/",
        {
            "team": "ENG",
            "title": "Export fails",
            "description": "See **log**",
            "priority": "high",
            "assignees": ["bob", "alice"],
            "labels": ["bug"],
            "customers": [customer.pk],
            "due_date": "2026-05-01",
        },
        format="json",
    )
    assert created.status_code == 201
    read = client.get(created["Location"])
    assert created.json() == read.json()
    assert created["ETag"] == read["ETag"]


def test_a_list_page_reads_each_issue_exactly_as_its_own_page(
    api_as, eng, alice, bob, sam, status, bug_label
):
    """The list reads a page's assignees, labels and customer links as ids and names;
    an issue's own endpoint prefetches them. Both must give the same issue, orders
    included (people by username, labels by name whatever the case, customers as added)."""
    from tests.factories import LabelFactory

    labels = [LabelFactory(team=eng, name="Zeta"), bug_label, LabelFactory(team=eng, name="api")]
    first, second = CustomerFactory(), CustomerFactory()
    services.create_issue(eng, actor=alice, title="Bare")
    full = services.create_issue(
        eng, actor=alice, title="Full", assignees=[sam, bob, alice], labels=labels,
        customers=[second, first],
    )  # fmt: skip
    services.add_customer(full, customer=CustomerFactory(), actor=alice)
    services.change_status(full, to=status("Resolved"), actor=alice)
    client = api_as(alice)
    listed = client.get("/api/v1/issues/?state=all").json()["results"]
    assert len(listed) == 2
    for row in listed:
        assert row == client.get(f"/api/v1/issues/{row['key']}/").json()
    full_row = next(row for row in listed if row["key"] == full.key)
    assert full_row["assignees"] == ["alice", "bob", "sam"]
    assert full_row["labels"] == ["api", "bug", "Zeta"]
    assert full_row["customers"][:2] == [second.pk, first.pk]


def test_a_page_of_the_list_names_everyone_as_the_list_does(
    eng, alice, bob, sam, status, bug_label, django_assert_num_queries
):
    """A page of the API list names statuses, people and labels from the team's pickers;
    a former member (reporter, assignee) and a duplicate's original are read for it."""
    from accounts import services as team_services
    from accounts.models import Membership

    original = services.create_issue(eng, actor=alice, title="Original", labels=[bug_label])
    copy = services.create_issue(eng, actor=sam, title="Copy", customers=[CustomerFactory()])
    for person in (sam, bob):
        services.assign(copy, assignee=person, actor=alice)
    services.mark_duplicate(copy, of=original, actor=alice)
    services.change_status(original, to=status("In progress"), actor=alice)
    team_services.remove_member(Membership.objects.get(user=sam), actor=alice)
    rows = list(api_selectors.list_issues(alice).order_by("pk"))
    ids = [row.pk for row in rows]
    api_selectors.list_page_issues(alice, ids)  # the team's pickers, kept from now on
    # The rows (with their customer links); the former member; the original of the duplicate.
    with django_assert_num_queries(3):
        page = sorted(api_selectors.list_page_issues(alice, ids), key=lambda issue: issue.pk)
    assert IssueOutput(page, many=True).data == IssueOutput(rows, many=True).data
    data = IssueOutput(page, many=True).data
    assert (data[1]["reporter"], data[1]["assignees"], data[1]["duplicate_of"]) == (
        "sam", ["bob", "sam"], "ENG-1",
    )  # fmt: skip
    assert (data[0]["status"], data[0]["labels"]) == ("In progress", ["bug"])
    with django_assert_num_queries(1):  # nobody to read, no duplicate: the rows
        api_selectors.list_page_issues(alice, ids[:1])
