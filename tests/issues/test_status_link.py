"""The customer status link: unguessable, revocable, public comments only, nothing else."""

import pytest
from django.core.exceptions import PermissionDenied

from issues import customer_links, services
from issues.models import Issue, IssueEvent
from tests.factories import CustomerFactory

Kind = IssueEvent.Kind
pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(issue, sam):
    services.add_customer(issue, customer=CustomerFactory(name="Dana"), actor=sam)
    services.create_status_link(issue, actor=sam)
    return Issue.objects.select_related("team", "status").get(pk=issue.pk)


def path(issue):
    return customer_links.status_path(issue)


def test_status_url_is_absolute_and_none_without_a_link(settings, issue, linked):
    settings.SITE_URL = "https://tracker.example.com"
    url = customer_links.status_url(linked)
    assert url.startswith("https://tracker.example.com/status/") and url.endswith("/")
    assert customer_links.status_url(Issue.objects.get(pk=issue.pk)) == url
    services.revoke_status_link(linked, actor=None)
    assert customer_links.status_url(Issue.objects.get(pk=issue.pk)) is None


def test_the_database_does_not_hold_the_link(linked):
    token = path(linked).split("/")[2]
    row = Issue.objects.filter(pk=linked.pk).values().get()
    assert not any(token.split("-", 1)[1] in str(value) for value in row.values())


def test_creating_and_revoking_write_the_timeline_and_no_ops_write_nothing(linked, sam):
    assert services.create_status_link(linked, actor=sam) is None
    assert services.revoke_status_link(linked, actor=sam).kind == Kind.STATUS_LINK_REVOKED
    assert services.revoke_status_link(linked, actor=sam) is None
    kinds = list(linked.events.order_by("created_at", "id").values_list("kind", flat=True))
    assert kinds == ["created", "customer_linked", "status_link_created", "status_link_revoked"]


def test_only_customer_linked_issues_get_a_link_and_viewers_cannot(issue, sam, vera):
    with pytest.raises(services.DomainError) as error:
        services.create_status_link(issue, actor=sam)
    assert error.value.field == "status_link"
    services.add_customer(issue, customer=CustomerFactory(), actor=sam)
    with pytest.raises(PermissionDenied):
        services.create_status_link(issue, actor=vera)


def test_the_page_shows_status_in_plain_words_and_public_comments_only(
    client, linked, sam, alice, bob, status
):
    services.add_comment(linked, body="We are on it, Dana.", public=True, actor=sam)
    services.add_comment(linked, body="Note: root cause is the cache", public=False, actor=bob)
    services.add_comment(linked, body="Fix deployed.", public=True, actor=alice)
    services.assign(linked, assignee=bob, actor=alice)
    services.change_status(linked, to=status("Waiting on customer"), actor=alice)
    response = client.get(path(linked))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Login button does nothing" in page and "Waiting for your reply" in page
    assert "We are on it, Dana." in page and "Fix deployed." in page
    assert "root cause" not in page and "Waiting on customer" not in page
    # Support is named; a member's public reply is signed by the team.
    assert "<b>Sam</b>" in page and "<b>Engineering</b>" in page and "Alice" not in page
    assert bob.email not in page and "bob" not in page.lower()
    assert "<a " not in page  # no way into the app or to another issue
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"] and 'name="robots"' in page


@pytest.mark.parametrize(
    ("category", "words"),
    [("New", "received"), ("In progress", "working on it"), ("Resolved", "Resolved")],
)
def test_each_status_category_has_plain_words(client, linked, alice, status, category, words):
    services.change_status(linked, to=status(category), actor=alice)
    assert words in client.get(path(linked)).content.decode()


def test_revoked_tampered_and_foreign_tokens_are_404(client, linked, eng, sam):
    old = path(linked)
    token = old.split("/")[2]
    pk, mac = token.split("-", 1)
    other = services.create_issue(eng, actor=sam, title="Another customer's issue")
    services.add_customer(other, customer=CustomerFactory(), actor=sam)
    services.create_status_link(other, actor=sam)
    assert client.get(f"/status/{other.pk}-{mac}/").status_code == 404  # mac of another issue
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    assert client.get(f"/status/{pk}-{flipped}/").status_code == 404
    assert client.get(f"/status/{pk}/").status_code == 404
    assert client.get(f"/status/{pk}-{mac}x/").status_code == 404
    services.revoke_status_link(linked, actor=sam)
    assert client.get(old).status_code == 404
    services.create_status_link(linked, actor=sam)
    linked.refresh_from_db()
    assert path(linked) != old and client.get(path(linked)).status_code == 200
    assert client.get(old).status_code == 404


def test_the_page_costs_a_fixed_number_of_queries(client, linked, sam, django_assert_num_queries):
    for i in range(5):
        services.add_comment(linked, body=f"Update {i}", public=True, actor=sam)
    with django_assert_num_queries(3):  # issue, public comments with authors, support roles
        assert client.get(path(linked)).status_code == 200


def test_support_creates_copies_and_revokes_on_the_issue_page(client_for, issue, sam, vera):
    services.add_customer(issue, customer=CustomerFactory(), actor=sam)
    client = client_for(sam)
    client.post(f"/issues/{issue.key}/status-link/", {"action": "create"})
    issue.refresh_from_db()
    page = client.get(issue.get_absolute_url()).content.decode()
    assert customer_links.status_url(issue) in page and "data-copy" in page
    client.post(f"/issues/{issue.key}/status-link/", {"action": "revoke"})
    issue.refresh_from_db()
    assert customer_links.status_url(issue) is None
    assert (
        client_for(vera).post(f"/issues/{issue.key}/status-link/", {"action": "create"}).status_code
        == 403
    )


def test_outsiders_cannot_create_a_link(client_for, issue, sam, mallory):
    services.add_customer(issue, customer=CustomerFactory(), actor=sam)
    response = client_for(mallory).post(f"/issues/{issue.key}/status-link/", {"action": "create"})
    assert response.status_code == 404
    issue.refresh_from_db()
    assert customer_links.status_url(issue) is None


def test_the_api_shows_the_link_to_the_team_and_null_without_one(client_for, linked, alice):
    client = client_for(alice)
    body = client.get(f"/api/v1/issues/{linked.key}/").json()
    assert body["status_url"] == customer_links.status_url(linked)
    services.revoke_status_link(linked, actor=alice)
    assert client.get(f"/api/v1/issues/{linked.key}/").json()["status_url"] is None


def test_the_api_creates_and_revokes_the_link(client_for, client, issue, sam):
    api = client_for(sam)
    url = f"/api/v1/issues/{issue.key}/status-link/"
    refused = api.post(url)
    assert refused.status_code == 400 and "status_link" in refused.json()["errors"]
    services.add_customer(issue, customer=CustomerFactory(), actor=sam)
    created = api.post(url)
    assert created.status_code == 201
    link = created.json()["status_url"]
    again = api.post(url)
    assert (again.status_code, again.json()["status_url"]) == (200, link)
    path_ = "/" + link.split("/", 3)[3]
    assert client.get(path_).status_code == 200
    assert api.delete(url).status_code == 204
    assert client.get(path_).status_code == 404
