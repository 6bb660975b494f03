"""Issues carry every affected customer: services, events, counts, filters and sorting."""

import pytest
from django.core.exceptions import PermissionDenied

from accounts.permissions import NotATeamMember
from issues import services
from issues.models import Issue, IssueCustomer, IssueEvent
from tests.factories import CustomerFactory

Kind = IssueEvent.Kind
pytestmark = pytest.mark.django_db


def kinds(issue):
    return list(issue.events.order_by("created_at", "id").values_list("kind", flat=True))


def fresh(issue):
    return Issue.objects.get(pk=issue.pk)


def test_add_customer_links_them_counts_them_and_writes_one_event(issue, sam):
    dana, lee = CustomerFactory(name="Dana"), CustomerFactory(name="Lee")
    first = services.add_customer(issue, customer=dana, actor=sam)
    services.add_customer(issue, customer=lee, actor=sam)
    assert (first.kind, first.actor, first.data) == (
        Kind.CUSTOMER_LINKED, sam, {"customer_id": dana.pk, "name": "Dana"},
    )  # fmt: skip
    issue = fresh(issue)
    assert set(issue.customers.all()) == {dana, lee}
    assert (issue.customer_count, issue.version) == (2, 3)
    link = IssueCustomer.objects.get(issue=issue, customer=dana)
    assert (link.added_by, link.added_at) == (sam, first.created_at)


def test_adding_twice_or_removing_a_stranger_writes_nothing(issue, sam):
    dana = CustomerFactory()
    services.add_customer(issue, customer=dana, actor=sam)
    version = fresh(issue).version
    assert services.add_customer(issue, customer=dana, actor=sam) is None
    assert services.remove_customer(issue, customer=CustomerFactory(), actor=sam) is None
    assert (fresh(issue).version, fresh(issue).customer_count) == (version, 1)
    assert kinds(issue) == ["created", "customer_linked"]


def test_remove_customer_unlinks_and_records_it(issue, bob):
    dana = CustomerFactory(name="Dana")
    services.add_customer(issue, customer=dana, actor=bob)
    event = services.remove_customer(issue, customer=dana, actor=bob)
    assert (event.kind, event.data["name"]) == (Kind.CUSTOMER_UNLINKED, "Dana")
    assert (fresh(issue).customer_count, list(fresh(issue).customers.all())) == (0, [])


@pytest.mark.parametrize("who", ["alice", "bob", "sam"])
def test_admins_members_and_support_add_customers(request, issue, who):
    user = request.getfixturevalue(who)
    assert services.add_customer(issue, customer=CustomerFactory(), actor=user) is not None


def test_viewers_and_outsiders_cannot_add_or_remove(issue, vera, mallory, sam):
    dana = CustomerFactory()
    with pytest.raises(PermissionDenied):
        services.add_customer(issue, customer=dana, actor=vera)
    with pytest.raises(NotATeamMember):
        services.add_customer(issue, customer=dana, actor=mallory)
    services.add_customer(issue, customer=dana, actor=sam)
    with pytest.raises(PermissionDenied):
        services.remove_customer(issue, customer=dana, actor=vera)
    assert fresh(issue).customer_count == 1


def test_create_issue_takes_one_customer_or_several(eng, sam):
    dana, lee = CustomerFactory(), CustomerFactory()
    one = services.create_issue(eng, actor=sam, title="Refund", customer=dana)
    both = services.create_issue(
        eng, actor=sam, title="Export", customer=dana, customers=[lee, dana]
    )
    assert (one.customer_count, list(one.customers.all())) == (1, [dana])
    assert (both.customer_count, set(both.customers.all())) == (2, {dana, lee})
    created = both.events.get()
    assert created.data["customer_ids"] == [dana.pk, lee.pk]
    assert IssueCustomer.objects.get(issue=both, customer=lee).added_by == sam


def test_update_issue_sets_the_customers_with_one_event_per_change(issue, sam):
    dana, lee, kim = CustomerFactory(), CustomerFactory(), CustomerFactory()
    services.update_issue(issue, actor=sam, customers=[dana, lee])
    events = services.update_issue(issue, actor=sam, customers=[lee, kim])
    assert sorted((e.kind, e.data["customer_id"]) for e in events) == sorted(
        [(Kind.CUSTOMER_UNLINKED, dana.pk), (Kind.CUSTOMER_LINKED, kim.pk)]
    )
    assert (fresh(issue).customer_count, set(fresh(issue).customers.all())) == (2, {lee, kim})
    assert services.update_issue(issue, actor=sam, customers=[kim, lee]) == []


def test_the_timeline_says_who_was_added_and_removed(client_for, issue, sam):
    dana = CustomerFactory(name="Dana Smith")
    services.add_customer(issue, customer=dana, actor=sam)
    services.remove_customer(issue, customer=dana, actor=sam)
    page = client_for(sam).get(issue.get_absolute_url()).content.decode()
    assert "added the affected customer <b>Dana Smith</b>" in page
    assert "removed the affected customer <b>Dana Smith</b>" in page


def test_the_list_filters_by_affected_customer_and_sorts_by_their_number(client_for, eng, bob):
    dana, lee, kim = CustomerFactory(), CustomerFactory(), CustomerFactory()
    none = services.create_issue(eng, actor=bob, title="Nobody", priority=1)
    two = services.create_issue(eng, actor=bob, title="Two", customers=[dana, lee], priority=5)
    three = services.create_issue(eng, actor=bob, title="Three", customers=[dana, lee, kim])
    one = services.create_issue(eng, actor=bob, title="One", customers=[kim])
    client = client_for(bob)

    def keys(query):
        page = client.get(f"/teams/ENG/issues/?{query}").content.decode()
        found = [i for i in (none, two, three, one) if f">{i.title}</a>" in page]
        return sorted(found, key=lambda i: page.index(f">{i.title}</a>"))

    assert keys("sort=customers") == [three, two, one, none]
    assert keys(f"customer={dana.pk}&sort=customers") == [three, two]
    api = client.get("/api/v1/issues/?team=ENG&sort=customers").json()["results"]
    assert [(i["title"], i["customer_count"]) for i in api] == [
        ("Three", 3), ("Two", 2), ("One", 1), ("Nobody", 0),
    ]  # fmt: skip


def test_the_issue_page_lists_customers_and_viewers_cannot_change_them(client_for, issue, vera):
    dana = CustomerFactory(name="Dana Smith", email="dana@acme.example", organization="Acme")
    services.add_customer(issue, customer=dana, actor=None)
    client = client_for(vera)
    page = client.get(issue.get_absolute_url()).content.decode()
    assert "Dana Smith" in page and "dana@acme.example" in page and "Acme" in page
    assert f"/issues/{issue.key}/customers/" not in page
    response = client.post(f"/issues/{issue.key}/customers/{dana.pk}/remove/")
    assert response.status_code == 403
    assert fresh(issue).customer_count == 1


def test_outsiders_get_404_adding_or_removing(client_for, issue, mallory):
    dana = CustomerFactory(email="dana@acme.example")
    client = client_for(mallory)
    assert client.post(f"/issues/{issue.key}/customers/", {"email": dana.email}).status_code == 404
    assert client.post(f"/issues/{issue.key}/customers/{dana.pk}/remove/").status_code == 404
    assert fresh(issue).customer_count == 0


def test_the_issue_page_finds_customers_to_add_as_you_type(client_for, issue, sam, mallory):
    dana = CustomerFactory(name="Dana Smith", organization="Acme Corp", email="")
    client = client_for(sam)
    found = client.get(f"/issues/{issue.key}/customers/search/", {"q": "acme"}).content.decode()
    assert "Dana Smith" in found and f'name="customer" value="{dana.pk}"' in found
    response = client.post(
        f"/issues/{issue.key}/customers/", {"customer": dana.pk}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and "Dana Smith" in response.content.decode()
    assert list(fresh(issue).customers.all()) == [dana]
    outsider = client_for(mallory).get(f"/issues/{issue.key}/customers/search/", {"q": "acme"})
    assert outsider.status_code == 404
