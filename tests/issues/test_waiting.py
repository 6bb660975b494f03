"""The "waiting on customer" clock: entering waiting stops the stale clock and starts a
follow-up clock for support; a customer reply moves the issue back where it was."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from issues import services
from issues.models import IssueEvent
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def t0():
    return timezone.now() - 60 * DAY


@pytest.fixture
def dana():
    return CustomerFactory(name="Dana", email="dana@client.example")


@pytest.fixture
def asked(eng, alice, sam, dana, status, t0):
    """An issue in progress that sam moved to waiting on the customer at t0."""
    issue = services.create_issue(eng, actor=alice, title="Export fails", customer=dana, now=t0)
    services.change_status(issue, to=status("In progress"), actor=alice, now=t0)
    services.change_status(issue, to=status("Waiting on customer"), actor=sam, now=t0)
    return issue


def follow_ups(issue):
    return list(IssueEvent.objects.filter(issue=issue, kind=IssueEvent.Kind.FOLLOW_UP_DUE))


def test_entering_waiting_remembers_when_who_and_where_from(asked, sam, status, t0):
    asked.refresh_from_db()
    assert asked.waiting_since == t0
    assert asked.waiting_set_by == sam
    assert asked.resume_status == status("In progress")


def test_leaving_waiting_stops_the_clock(asked, alice, status, t0):
    services.change_status(asked, to=status("Triaged"), actor=alice, now=t0 + DAY)
    asked.refresh_from_db()
    assert (asked.waiting_since, asked.waiting_set_by, asked.resume_status) == (None, None, None)
    assert services.sweep_follow_ups(now=t0 + 30 * DAY) == 0


def test_waiting_issues_are_never_stale(asked, t0):
    assert services.sweep_stale(now=t0 + 30 * DAY) == 0


def test_follow_up_is_due_after_the_waiting_status_stale_after_once_per_spell(
    asked, sam, alice, status, t0
):
    assert services.sweep_follow_ups(now=t0 + 5 * DAY - dt.timedelta(minutes=1)) == 0
    assert services.sweep_follow_ups(now=t0 + 5 * DAY + dt.timedelta(minutes=1)) == 1
    assert services.sweep_follow_ups(now=t0 + 20 * DAY) == 0  # same spell
    (event,) = follow_ups(asked)
    assert event.actor is None
    assert event.data["notify"] == [sam.pk]
    # A new spell gets its own reminder.
    services.change_status(asked, to=status("In progress"), actor=alice, now=t0 + 21 * DAY)
    services.change_status(asked, to=status("Waiting on customer"), actor=alice, now=t0 + 22 * DAY)
    assert services.sweep_follow_ups(now=t0 + 28 * DAY) == 1
    assert follow_ups(asked)[-1].data["notify"] == [alice.pk]


def test_customer_reply_moves_the_issue_back_on_the_timeline(asked, sam, dana, status):
    services.add_comment(asked, body="Here are the logs", customer=dana, actor=sam)
    asked.refresh_from_db()
    assert asked.status == status("In progress")
    assert asked.waiting_since is None
    change = IssueEvent.objects.filter(issue=asked, kind=IssueEvent.Kind.STATUS_CHANGED).last()
    assert (change.data["from"], change.data["to"]) == ("Waiting on customer", "In progress")
    assert change.data["customer_replied"] is True
    comment = asked.comments.get()
    assert comment.is_public and comment.customer == dana and comment.author == sam


def test_team_comments_do_not_move_a_waiting_issue(asked, sam, status):
    services.add_comment(asked, body="Nudged them by phone", public=True, actor=sam)
    asked.refresh_from_db()
    assert asked.status == status("Waiting on customer")


def test_only_a_customer_of_the_issue_can_reply_on_it(asked, sam):
    with pytest.raises(services.DomainError) as error:
        services.add_comment(asked, body="hi", customer=CustomerFactory(), actor=sam)
    assert error.value.field == "customer"


def test_comment_form_on_behalf_of_the_customer(client, asked, sam, dana, status):
    client.force_login(sam)
    page = client.get(asked.get_absolute_url()).content.decode()
    assert "Dana, on their behalf" in page
    client.post(
        reverse("issues:comment", args=[asked.key]),
        {"body": "Customer called: it works now?", "customer": dana.pk},
    )
    asked.refresh_from_db()
    assert asked.status == status("In progress")
    page = client.get(asked.get_absolute_url()).content.decode()
    assert "(customer, via Sam)" in page
    assert "to <b>In progress</b> (the customer replied)" in page


def test_api_comment_on_behalf_of_the_customer(api_client_for, asked, sam, dana, status):
    api = api_client_for(sam)
    url = f"/api/v1/issues/{asked.key}/comments/"
    refused = api.post(url, {"body": "x", "customer": CustomerFactory().pk}, format="json")
    assert refused.status_code == 400
    assert "customer" in refused.json()["errors"]
    response = api.post(url, {"body": "Logs attached", "customer": dana.pk}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["customer"] == "Dana"
    assert response.json()["public"] is True
    asked.refresh_from_db()
    assert asked.status == status("In progress")


@pytest.fixture
def api_client_for():
    from rest_framework.test import APIClient

    def make(user):
        api = APIClient()
        api.force_authenticate(user)
        return api

    return make
