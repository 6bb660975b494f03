"""Customer and organization pages: search, open counts, issues of my teams only, edits."""

import pytest
from django.contrib.auth import get_user_model

from issues import services
from issues.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(eng, ops, bob, mallory, status):
    dana = CustomerFactory(name="Dana Smith", email="dana@acme.example", organization="Acme Corp")
    services.create_issue(eng, actor=bob, title="ENG open for Dana", customer=dana)
    done = services.create_issue(eng, actor=bob, title="ENG fixed for Dana", customer=dana)
    services.change_status(done, to=status("Resolved"), actor=bob)
    services.create_issue(ops, actor=mallory, title="OPS secret for Dana", customer=dana)
    return dana


def test_the_list_searches_and_counts_open_issues_in_my_teams(client_for, bob, dana):
    CustomerFactory(name="Lee Park", organization="Globex")
    client = client_for(bob)
    page = client.get("/customers/", {"q": "acme"}).content.decode()
    assert "Dana Smith" in page and "Lee Park" not in page
    row = page[page.index("Dana Smith") :]
    assert '<td class="num">1</td>' in row[: row.index("</tr>")]  # OPS's issue is not counted
    assert "Lee Park" in client.get("/customers/", {"q": "globex"}).content.decode()


def test_the_customer_page_shows_only_issues_of_my_teams(client_for, bob, mallory, dana):
    page = client_for(bob).get(dana.get_absolute_url()).content.decode()
    assert "ENG open for Dana" in page and "ENG fixed for Dana" in page
    assert "OPS secret" not in page
    assert page.index("ENG open for Dana") < page.index("ENG fixed for Dana")  # open first
    assert "dana@acme.example" in page and "Acme Corp" in page
    theirs = client_for(mallory).get(dana.get_absolute_url()).content.decode()
    assert "OPS secret for Dana" in theirs and "ENG open" not in theirs


def test_the_organization_page_lists_customers_and_their_issues(client_for, bob, dana):
    CustomerFactory(name="Kim Lee", organization="acme corp")
    page = client_for(bob).get(dana.organization.get_absolute_url()).content.decode()
    assert "Dana Smith" in page and "Kim Lee" in page
    assert "ENG open for Dana" in page and "OPS secret" not in page


def test_people_in_no_team_get_404(client, dana):
    loner = get_user_model().objects.create_user("loner", "loner@example.com", "pw")
    client.force_login(loner)
    assert client.get("/customers/").status_code == 404
    assert client.get(dana.get_absolute_url()).status_code == 404
    assert client.get(dana.organization.get_absolute_url()).status_code == 404
    assert client.get("/customers/999999/").status_code == 404


def test_support_edits_a_customer_and_viewers_cannot(client_for, sam, vera, dana):
    response = client_for(sam).post(
        dana.get_absolute_url(),
        {"name": "Dana Smith-Jones", "email": "dana@acme.example", "organization": "Initech"},
    )
    assert response.status_code == 302
    dana.refresh_from_db()
    assert (dana.name, dana.organization.name) == ("Dana Smith-Jones", "Initech")
    viewer = client_for(vera)
    assert "Edit details" not in viewer.get(dana.get_absolute_url()).content.decode()
    assert viewer.post(dana.get_absolute_url(), {"name": "X"}).status_code == 403
    assert Customer.objects.get().name == "Dana Smith-Jones"


def test_an_edit_with_a_taken_email_is_refused_naming_the_field(client_for, sam, dana):
    CustomerFactory(email="lee@globex.example")
    response = client_for(sam).post(
        dana.get_absolute_url(), {"name": "Dana", "email": "LEE@globex.example"}
    )
    assert response.status_code == 400
    assert "exists already" in response.content.decode()
    dana.refresh_from_db()
    assert dana.email == "dana@acme.example"


def test_pages_cost_a_fixed_number_of_queries(
    client_for, eng, bob, dana, django_assert_num_queries
):
    client = client_for(bob)

    def grow():
        for i in range(5):
            c = CustomerFactory(organization="Acme Corp")
            services.create_issue(eng, actor=bob, title=f"more {i}", customers=[c, dana])

    for _ in range(2):
        # user, my teams (may I see and edit customers; the header's), count, page
        with django_assert_num_queries(4):
            client.get("/customers/")
        # user, my teams, customer, issues
        with django_assert_num_queries(4):
            client.get(dana.get_absolute_url())
        # user, my teams, org, customers, issues, their links
        with django_assert_num_queries(6):
            client.get(dana.organization.get_absolute_url())
        grow()
