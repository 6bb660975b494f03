"""Comments, timeline, teams, me, customers and notifications."""

import pytest
from django.utils import timezone

from issues import services
from issues.models import Comment
from notifications.models import Notification
from tests.factories import CustomerFactory, IssueEventFactory, LabelFactory, NotificationFactory

pytestmark = pytest.mark.django_db


# --- comments -------------------------------------------------------------------------


def test_commenting_writes_the_commented_event(api_as, alice, bob, issue):
    response = api_as(bob).post(
        f"/api/v1/issues/{issue.key}/comments/", {"body": "On it, @alice", "public": True}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["author"], body["public"], body["body_html"]) == (
        "bob", True, "<p>On it, @alice</p>\n",
    )  # fmt: skip
    event = issue.events.get(kind="commented")
    assert event.comment_id == body["id"] and event.data["mentions"] == [alice.pk]
    issue.refresh_from_db()
    assert issue.version == 2


def test_comments_are_internal_by_default_and_listed_oldest_first(api_as, alice, issue):
    client = api_as(alice)
    client.post(f"/api/v1/issues/{issue.key}/comments/", {"body": "first"})
    client.post(f"/api/v1/issues/{issue.key}/comments/", {"body": "second"})
    results = client.get(f"/api/v1/issues/{issue.key}/comments/").json()["results"]
    assert [(c["body"], c["public"]) for c in results] == [("first", False), ("second", False)]


def test_comment_validation_and_roles(api_as, vera, bob, issue, mallory):
    url = f"/api/v1/issues/{issue.key}/comments/"
    assert api_as(bob).post(url, {"body": "  "}).json()["errors"] == {
        "body": ["This field may not be blank."]
    }
    assert api_as(bob).post(url, {"body": "x", "public": "maybe"}).status_code == 400
    assert api_as(vera).post(url, {"body": "Viewer says"}).status_code == 403
    assert api_as(mallory).post(url, {"body": "Outsider"}).status_code == 404
    assert api_as(mallory).get(url).status_code == 404
    assert not Comment.objects.exists()


def test_comment_list_costs_a_fixed_number_of_queries(
    api_as, alice, bob, issue, django_assert_num_queries
):
    for i in range(6):
        services.add_comment(issue, body=f"comment {i}", actor=bob if i % 2 else alice)
    client = api_as(alice)
    for size in (2, 5):
        with django_assert_num_queries(4):  # token, teams, issue, comments with authors
            response = client.get(f"/api/v1/issues/{issue.key}/comments/?page_size={size}")
        assert len(response.json()["results"]) == size


# --- timeline --------------------------------------------------------------------------


def test_the_timeline_lists_every_fact_in_order(api_as, alice, bob, issue, status):
    services.change_status(issue, to=status("In progress"), actor=bob)
    services.assign(issue, assignee=bob, actor=alice)
    results = api_as(bob).get(f"/api/v1/issues/{issue.key}/timeline/").json()["results"]
    assert [e["kind"] for e in results] == ["created", "status_changed", "assigned"]
    changed = results[1]
    assert (changed["actor"], changed["from_status"], changed["to_status"]) == (
        "bob", "New", "In progress",
    )  # fmt: skip
    assert results[2]["subject_user"] == "bob"


def test_the_timeline_costs_a_fixed_number_of_queries(
    api_as, alice, bob, issue, status, django_assert_num_queries
):
    for name in ("Triaged", "In progress", "Waiting on customer", "In progress"):
        services.change_status(issue, to=status(name), actor=bob)
        services.add_comment(issue, body=name, actor=alice)
    client = api_as(alice)
    for size in (2, 8):
        with django_assert_num_queries(4):  # token, teams, issue, events with people/statuses
            response = client.get(f"/api/v1/issues/{issue.key}/timeline/?page_size={size}")
        assert len(response.json()["results"]) == size


def test_a_system_event_has_no_actor(api_as, alice, issue):
    IssueEventFactory(issue=issue, kind="became_stale", actor=None)
    results = api_as(alice).get(f"/api/v1/issues/{issue.key}/timeline/").json()["results"]
    assert results[-1]["actor"] is None


# --- teams and me ----------------------------------------------------------------------------


def test_teams_are_mine_only_with_my_role(api_as, eng, ops, alice, mallory, bob):
    response = api_as(bob).get("/api/v1/teams/").json()
    assert [(t["key"], t["role"]) for t in response["results"]] == [("ENG", "member")]
    assert api_as(mallory).get("/api/v1/teams/ENG/").status_code == 404


def test_a_team_shows_its_workflow_labels_and_members(
    api_as, eng, alice, bob, vera, django_assert_num_queries
):
    LabelFactory(team=eng, name="bug")
    LabelFactory(team=eng, name="Area: billing")
    client = api_as(vera)
    with django_assert_num_queries(5):  # token, team, statuses, labels, members
        body = client.get("/api/v1/teams/eng/").json()
    assert body["role"] == "viewer"
    assert [s["name"] for s in body["statuses"]][:3] == ["New", "Triaged", "In progress"]
    assert body["statuses"][0]["stale_after"] == "P2DT00H00M00S"
    assert [label["name"] for label in body["labels"]] == ["Area: billing", "bug"]
    assert [(m["username"], m["role"]) for m in body["members"]] == [
        ("alice", "admin"), ("bob", "member"), ("vera", "viewer"),
    ]  # fmt: skip


def test_the_team_list_costs_a_fixed_number_of_queries(api_as, alice, django_assert_num_queries):
    from accounts.models import Membership
    from tests.factories import TeamFactory

    for _ in range(5):
        Membership.objects.create(user=alice, team=TeamFactory(), role="member")
    client = api_as(alice)
    for size in (2, 5):
        with django_assert_num_queries(2):  # token, teams with my role
            response = client.get(f"/api/v1/teams/?page_size={size}")
        assert len(response.json()["results"]) == size


def test_me(api_as, eng, ops, sam):
    body = api_as(sam).get("/api/v1/me/").json()
    assert body == {
        "username": "sam",
        "name": "Sam",
        "email": "sam@example.com",
        "teams": [{"key": "ENG", "name": "Engineering", "role": "support"}],
    }


# --- customers -------------------------------------------------------------------------------


def test_customers_are_found_by_any_word(api_as, vera):
    CustomerFactory(name="Dana Smith", organization="Acme Corp", email="dana@acme.example")
    CustomerFactory(name="Lee Jones", organization="Globex", email="lee@globex.example")
    client = api_as(vera)

    def names(query):
        response = client.get(f"/api/v1/customers/?q={query}")
        return [c["name"] for c in response.json()["results"]]

    assert names("") == ["Dana Smith", "Lee Jones"]
    assert names("acme") == ["Dana Smith"]
    assert names("globex lee") == ["Lee Jones"]
    assert names("acme lee") == []


def test_someone_in_no_team_sees_no_customers(api_as, db):
    from tests.factories import UserFactory

    customer = CustomerFactory()
    loner = UserFactory()
    assert api_as(loner).get("/api/v1/customers/").json()["results"] == []
    assert api_as(loner).get(f"/api/v1/customers/{customer.pk}/").status_code == 404


def test_the_customer_list_costs_a_fixed_number_of_queries(
    api_as, alice, django_assert_num_queries
):
    CustomerFactory.create_batch(6)
    client = api_as(alice)
    for size in (2, 5):
        with django_assert_num_queries(3):  # token, membership check, customers
            response = client.get(f"/api/v1/customers/?page_size={size}")
        assert len(response.json()["results"]) == size


def test_support_adds_a_customer(api_as, sam):
    response = api_as(sam).post(
        "/api/v1/customers/",
        {"name": " Dana  Smith ", "email": "Dana@Acme.example", "organization": "Acme"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["email"]) == ("Dana Smith", "dana@acme.example")
    assert response["Location"] == body["url"]
    detail = api_as(sam).get(body["url"])
    assert detail.status_code == 200 and detail.json() == body


def test_customer_emails_are_unique_and_viewers_cannot_add(api_as, sam, vera):
    CustomerFactory(email="dana@acme.example")
    duplicate = api_as(sam).post("/api/v1/customers/", {"name": "D", "email": "DANA@acme.example"})
    assert duplicate.status_code == 400 and "email" in duplicate.json()["errors"]
    invalid = api_as(sam).post("/api/v1/customers/", {"name": "", "email": "nope"})
    assert set(invalid.json()["errors"]) == {"name", "email"}
    assert api_as(vera).post("/api/v1/customers/", {"name": "Viewer's"}).status_code == 403


def test_issues_link_customers_by_id(api_as, sam, eng):
    dana, lee = CustomerFactory(), CustomerFactory()
    client = api_as(sam)
    response = client.post(
        "/api/v1/issues/", {"team": "ENG", "title": "Refund", "customers": [dana.pk]}
    )
    body = response.json()
    assert (body["customers"], body["customer_count"]) == ([dana.pk], 1)
    assert body["reporter"] == "sam"
    # Set semantics: support (edit right) adds Lee and keeps Dana; then removes Dana.
    key = body["key"]
    body = client.patch(f"/api/v1/issues/{key}/", {"customers": [dana.pk, lee.pk]}).json()
    assert (body["customers"], body["customer_count"]) == ([dana.pk, lee.pk], 2)
    body = client.patch(f"/api/v1/issues/{key}/", {"customers": [lee.pk]}).json()
    assert (body["customers"], body["customer_count"]) == ([lee.pk], 1)
    kinds = [e["kind"] for e in client.get(f"/api/v1/issues/{key}/timeline/").json()["results"]]
    assert kinds == ["created", "customer_linked", "customer_unlinked"]
    assert client.get(f"/api/v1/issues/?customer={dana.pk}").json()["results"] == []
    assert [
        i["key"] for i in client.get(f"/api/v1/issues/?customer={lee.pk}").json()["results"]
    ] == [key]


# --- notifications ----------------------------------------------------------------------------


@pytest.fixture
def notes(issue, bob, alice):
    event = issue.events.get()
    older = NotificationFactory(recipient=bob, event=event, issue=issue)
    newer = NotificationFactory(
        recipient=bob, event=IssueEventFactory(issue=issue, actor=alice), issue=issue
    )
    NotificationFactory(recipient=alice, event=event, issue=issue)
    return older, newer


def test_my_notifications_newest_first(api_as, bob, notes):
    older, newer = notes
    results = api_as(bob).get("/api/v1/notifications/").json()["results"]
    assert [n["id"] for n in results] == [newer.pk, older.pk]
    assert (results[0]["issue"], results[0]["actor"], results[0]["is_read"]) == (
        "ENG-1", "alice", False,
    )  # fmt: skip


def test_marking_read_one_and_all(api_as, bob, alice, notes):
    older, newer = notes
    client = api_as(bob)
    response = client.post(f"/api/v1/notifications/{older.pk}/read/")
    assert response.status_code == 200 and response.json()["is_read"] is True
    assert [
        n["id"] for n in client.get("/api/v1/notifications/?unread=true").json()["results"]
    ] == [newer.pk]
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked_read": 1}
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked_read": 0}
    assert Notification.objects.filter(recipient=alice, read_at__isnull=True).count() == 1


def test_someone_else_s_notification_is_404(api_as, alice, notes):
    older, _ = notes
    assert api_as(alice).post(f"/api/v1/notifications/{older.pk}/read/").status_code == 404
    older.refresh_from_db()
    assert older.read_at is None


def test_the_notification_list_costs_a_fixed_number_of_queries(
    api_as, bob, issue, django_assert_num_queries
):
    for _ in range(6):
        NotificationFactory(recipient=bob, event=IssueEventFactory(issue=issue), issue=issue)
    client = api_as(bob)
    for size in (2, 5):
        with django_assert_num_queries(2):  # token, notifications with issue, team, actor
            response = client.get(f"/api/v1/notifications/?page_size={size}")
        assert len(response.json()["results"]) == size


def test_read_notifications_keep_their_time(api_as, bob, notes):
    older, _ = notes
    before = timezone.now()
    api_as(bob).post(f"/api/v1/notifications/{older.pk}/read/")
    older.refresh_from_db()
    assert older.read_at >= before


# --- organizations ----------------------------------------------------------------------------


def test_customers_show_their_organization_and_organizations_are_listed(api_as, sam, db):
    client = api_as(sam)
    created = client.post(
        "/api/v1/customers/", {"name": "Dana", "email": "d@acme.example", "organization": "Acme"}
    ).json()
    again = client.post("/api/v1/customers/", {"name": "Lee", "organization": "ACME"}).json()
    assert created["organization"] == "Acme" and again["organization"] == "Acme"
    assert created["organization_id"] == again["organization_id"] is not None
    orgs = client.get("/api/v1/organizations/?q=acm").json()["results"]
    assert [(o["name"], o["customer_count"]) for o in orgs] == [("Acme", 2)]
    detail = client.get(f"/api/v1/organizations/{created['organization_id']}/").json()
    assert detail["customer_count"] == 2


def test_organizations_are_404_for_someone_in_no_team(api_as, db):
    from tests.factories import UserFactory

    loner = UserFactory(username="loner")
    customer = CustomerFactory(organization="Acme")
    assert api_as(loner).get("/api/v1/organizations/").json()["results"] == []
    org_url = f"/api/v1/organizations/{customer.organization_id}/"
    assert api_as(loner).get(org_url).status_code == 404


def test_organization_list_costs_a_fixed_number_of_queries(api_as, vera, django_assert_num_queries):
    for i in range(6):
        CustomerFactory(organization=f"Org {i}")
    client = api_as(vera)
    for size in (2, 5):
        with django_assert_num_queries(3):  # token, membership check, organizations
            client.get(f"/api/v1/organizations/?page_size={size}")
