"""Quick-log: find or create the customer, catch duplicates, file in one transaction."""

import pytest

from issues import search, services
from issues.models import Comment, Customer, Issue, IssueEvent, Organization
from tests.conftest import is_postgres  # noqa: F401  (skipif strings)
from tests.factories import CustomerFactory

Kind = IssueEvent.Kind
pytestmark = pytest.mark.django_db


def form(**overrides):
    data = {
        "team": "ENG",
        "channel": "phone",
        "kind": "bug",
        "title": "Login fails on Safari",
        "description": "Since the update she cannot sign in on her Mac.",
        "priority": "2",
        "note": "internal",
    }
    data.update(overrides)
    return data


def test_support_logs_an_issue_for_a_new_customer(client_for, sam):
    response = client_for(sam).post(
        "/quick-log/",
        form(new_name="Dana Smith", new_email="Dana@Acme.example", new_organization="acme corp"),
    )
    issue = Issue.objects.get()
    assert response.status_code == 302 and response["Location"] == issue.get_absolute_url()
    dana = Customer.objects.get()
    assert (dana.name, dana.email, dana.organization.name) == (
        "Dana Smith", "dana@acme.example", "acme corp",
    )  # fmt: skip
    assert list(issue.customers.all()) == [dana]
    assert (issue.channel, issue.kind, issue.priority, issue.reporter) == ("phone", "bug", 2, sam)
    assert issue.events.get().data["customer_ids"] == [dana.pk]


def test_a_new_customer_joins_an_existing_organization_whatever_its_case(client_for, sam):
    acme = Organization.objects.create(name="Acme Corp")
    client_for(sam).post("/quick-log/", form(new_name="Lee", new_organization="ACME CORP"))
    assert Customer.objects.get().organization == acme


def test_support_picks_an_existing_customer(client_for, sam):
    dana = CustomerFactory(name="Dana Smith")
    client_for(sam).post("/quick-log/", form(customer=dana.pk))
    assert list(Issue.objects.get().customers.all()) == [dana]
    assert Customer.objects.count() == 1


def test_nothing_is_saved_when_the_issue_is_invalid(client_for, sam):
    response = client_for(sam).post(
        "/quick-log/", form(title="   ", new_name="Dana", new_email="dana@acme.example")
    )
    assert response.status_code == 400
    assert not Customer.objects.exists() and not Issue.objects.exists()


def test_nothing_is_saved_when_the_new_customer_is_invalid(client_for, sam):
    CustomerFactory(email="dana@acme.example")
    response = client_for(sam).post(
        "/quick-log/", form(new_name="Dana", new_email="DANA@acme.example")
    )
    assert response.status_code == 400
    assert "exists already" in response.content.decode()
    assert Customer.objects.count() == 1 and not Issue.objects.exists()


def test_a_customer_is_required(client_for, sam):
    response = client_for(sam).post("/quick-log/", form())
    assert response.status_code == 400
    assert "Pick a customer from the search" in response.content.decode()
    assert not Issue.objects.exists()


def test_a_bad_email_names_the_field(client_for, sam):
    response = client_for(sam).post("/quick-log/", form(new_name="Dana", new_email="not-an-email"))
    assert response.status_code == 400
    assert 'id="id_new_email-error"' in response.content.decode()
    assert not Customer.objects.exists()


def test_affects_this_customer_too_adds_them_and_a_note_instead_of_a_duplicate(
    client_for, sam, eng, bob
):
    existing = services.create_issue(eng, actor=bob, title="Safari login failure")
    dana = CustomerFactory(name="Dana Smith")
    client = client_for(sam)
    response = client.post(f"/quick-log/add-to/{existing.key}/", form(customer=dana.pk))
    assert response.status_code == 302 and response["Location"] == existing.get_absolute_url()
    assert Issue.objects.count() == 1
    existing.refresh_from_db()
    assert (list(existing.customers.all()), existing.customer_count) == ([dana], 1)
    note = Comment.objects.get(issue=existing)
    assert not note.is_public and "Dana Smith reported this too (phone)" in note.body
    assert "cannot sign in on her Mac" in note.body
    page = client.get(response["Location"]).content.decode()
    assert "Dana Smith is now affected by" in page and "Dana Smith</b></a>" in page


def test_affects_too_can_create_the_customer_and_skip_the_note(client_for, sam, eng, bob):
    existing = services.create_issue(eng, actor=bob, title="Safari login failure")
    client_for(sam).post(
        f"/quick-log/add-to/{existing.key}/", form(new_name="Lee Park", note="none")
    )
    assert list(existing.customers.values_list("name", flat=True)) == ["Lee Park"]
    assert not Comment.objects.exists()


def test_affects_too_is_404_for_an_issue_of_another_team(client_for, sam, ops, mallory):
    theirs = services.create_issue(ops, actor=mallory, title="Safari login failure")
    response = client_for(sam).post(f"/quick-log/add-to/{theirs.key}/", form(new_name="Lee"))
    assert response.status_code == 404
    assert not Customer.objects.exists() and theirs.customer_count == 0


def test_viewers_cannot_quick_log(client_for, vera):
    assert client_for(vera).get("/quick-log/").status_code == 403


def test_the_customer_search_finds_by_name_email_or_organization(client_for, sam):
    CustomerFactory(name="Dana Smith", email="dana@acme.example", organization="Acme Corp")
    CustomerFactory(name="Lee Park", email="lee@globex.example", organization="Globex")
    client = client_for(sam)

    def names(q):
        page = client.get("/quick-log/customer/", {"q": q}).content.decode()
        return [n for n in ("Dana Smith", "Lee Park") if n in page]

    assert names("dana") == ["Dana Smith"]
    assert names("globex.example") == ["Lee Park"]
    assert names("acme") == ["Dana Smith"]
    assert (
        "New customer “nobody”"
        in client.get("/quick-log/customer/", {"q": "nobody"}).content.decode()
    )


def test_picking_a_customer_puts_them_in_the_form(client_for, sam):
    dana = CustomerFactory(name="Dana Smith")
    page = client_for(sam).get("/quick-log/customer/", {"id": dana.pk}).content.decode()
    assert f'name="customer" value="{dana.pk}"' in page and "Change" in page


def test_the_similar_panel_shows_status_and_affected_count(client_for, sam, eng, bob):
    existing = services.create_issue(
        eng, actor=bob, title="Safari login failure", customers=[CustomerFactory()]
    )
    page = (
        client_for(sam)
        .get("/quick-log/similar/", {"team": "ENG", "title": "Login fails on Safari"})
        .content.decode()
    )
    assert existing.key in page and "New" in page and "1 customer affected" in page
    assert f"/quick-log/add-to/{existing.key}/" in page


# --- duplicate suggestions: ranking, open only, team-scoped --------------------------------


def similar_titles(eng, text, **kwargs):
    qs = Issue.objects.filter(team=eng).open()
    return [i.title for i in search.similar(qs, text, **kwargs)]


def test_similar_titles_rank_above_unrelated_ones(eng, bob):
    for title in ["Billing export broken", "Safari login failure", "Login page typo"]:
        services.create_issue(eng, actor=bob, title=title)
    found = similar_titles(eng, "Login fails on Safari")
    assert found[0] == "Safari login failure"
    assert "Billing export broken" not in found[:2]
    if "Billing export broken" in found:
        assert found.index("Billing export broken") > found.index("Safari login failure")


def test_similar_suggests_open_issues_only(eng, bob, status):
    closed = services.create_issue(eng, actor=bob, title="Safari login failure")
    services.change_status(closed, to=status("Resolved"), actor=bob)
    assert similar_titles(eng, "Login fails on Safari") == []


def test_similar_is_scoped_to_the_team_and_never_leaks(client_for, eng, ops, bob, mallory, sam):
    services.create_issue(ops, actor=mallory, title="Safari login failure (OPS secret)")
    assert similar_titles(eng, "Login fails on Safari") == []
    client = client_for(sam)
    assert (
        "OPS secret"
        not in client.get(
            "/quick-log/similar/", {"team": "ENG", "title": "Safari login"}
        ).content.decode()
    )
    assert client.get("/quick-log/similar/", {"team": "OPS", "title": "Safari"}).status_code == 404


@pytest.mark.skipif("not is_postgres()")
def test_trigram_similarity_catches_other_word_forms_on_postgres(eng, bob):
    services.create_issue(eng, actor=bob, title="Cannot logon with Safari browser")
    services.create_issue(eng, actor=bob, title="Invoices show wrong currency")
    assert similar_titles(eng, "safari log-in broken") == ["Cannot logon with Safari browser"]


@pytest.mark.skipif("not is_postgres()")
def test_the_description_text_counts_on_postgres(eng, bob):
    services.create_issue(
        eng, actor=bob, title="Checkout problem", description="Apple Pay sheet never opens"
    )
    services.create_issue(eng, actor=bob, title="Checkout slow")
    found = similar_titles(eng, "Checkout problem", description="apple pay does nothing")
    assert found[0] == "Checkout problem"


def test_quick_log_from_a_customer_page_starts_with_them_picked(client_for, sam):
    dana = CustomerFactory(name="Dana Smith")
    page = client_for(sam).get("/quick-log/", {"customer": dana.pk}).content.decode()
    assert f'name="customer" value="{dana.pk}"' in page


def test_the_quick_log_page_costs_a_fixed_number_of_queries(
    client_for, sam, eng, ops, django_assert_num_queries
):
    from accounts.models import Membership

    Membership.objects.create(user=sam, team=ops, role=Membership.Role.SUPPORT)
    client = client_for(sam)
    # user (with the unread count), my teams with my roles (the header's too)
    with django_assert_num_queries(2):
        assert client.get("/quick-log/").status_code == 200


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # user, my teams (the team among them), the similar open issues
        ("/quick-log/similar/?team=ENG&title=Login+fails", 3),
        # user, my teams (whether I may see and manage customers), the matches
        ("/quick-log/customer/?q=Dana", 3),
        # user, issue (with my role), my teams (may I see customers), the matches
        ("/issues/ENG-1/customers/search/?q=Dana", 4),
    ],
)
def test_live_searches_cost_the_same_however_many_match(
    client_for, sam, alice, eng, url, queries, django_assert_num_queries
):
    client = client_for(sam)
    for size in (1, 8):
        for n in range(size):
            customer = CustomerFactory(name=f"Dana {size}-{n}")
            services.create_issue(eng, actor=alice, title=f"Login fails {n}", customer=customer)
        with django_assert_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200
        assert "Dana" in response.content.decode() or "Login fails" in response.content.decode()
