import pytest
from django.urls import reverse

from issues import services

pytestmark = pytest.mark.django_db


def test_sign_in_with_username_or_email_any_case(client, bob):
    for login in ("bob", "BOB@example.com"):
        client.logout()
        response = client.post(
            reverse("accounts:login"), {"username": login, "password": "pw-for-tests-only"}
        )
        assert response.status_code == 302, login
        assert response.url == reverse("home")


def test_wrong_password_shows_a_message_not_a_500(client, bob):
    response = client.post(reverse("accounts:login"), {"username": "bob", "password": "nope"})
    assert response.status_code == 200
    assert "do not match" in response.content.decode()


def test_sign_out_is_post_only(client, bob):
    client.force_login(bob)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_home_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_home_lists_my_open_issues_and_only_my_teams(
    client, eng, ops, alice, bob, mallory, django_assert_num_queries
):
    mine = services.create_issue(eng, actor=alice, title="Bob's bug", assignees=[bob])
    services.create_issue(eng, actor=alice, title="Not assigned to bob")
    services.create_issue(ops, actor=mallory, title="Secret ops work", assignees=[mallory])
    client.force_login(bob)
    # user (with the unread count), teams with open counts, my issues, followed issues;
    # the header's teams
    with django_assert_num_queries(5):
        body = client.get(reverse("home")).content.decode()
    assert mine.title.replace("'", "&#x27;") in body
    assert "Not assigned to bob" not in body
    assert "OPS" not in body and "Secret ops work" not in body


def test_home_query_count_does_not_grow_with_issues(
    client, eng, alice, bob, django_assert_num_queries
):
    for i in range(15):
        services.create_issue(eng, actor=alice, title=f"issue {i}", assignees=[bob])
    client.force_login(bob)
    with django_assert_num_queries(5):
        client.get(reverse("home"))


def test_healthz(client):
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok")


def test_pages_carry_a_strict_csp(client, bob):
    client.force_login(bob)
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
