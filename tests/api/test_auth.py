"""Personal access tokens: stored hashed, shown once, revocable, expiring, and carrying
exactly their user's current roles; the browser session works too, with CSRF."""

import datetime as dt
import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts import tokens
from accounts.models import ApiToken, Membership

pytestmark = pytest.mark.django_db


def bearer(raw):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_only_a_hash_of_the_token_is_stored(bob):
    token, raw = tokens.create_token(bob, name="CI", actor=bob)
    assert raw.startswith("itk_") and len(raw) > 40
    row = ApiToken.objects.values().get(pk=token.pk)
    assert raw not in {str(value) for value in row.values()}
    assert row["digest"] == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(row["prefix"]) and len(row["prefix"]) == 12


def test_a_token_authenticates_as_its_user(bob, issue):
    _, raw = tokens.create_token(bob, name="CI", actor=bob)
    response = bearer(raw).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "bob"


def test_no_credentials_is_401_with_a_bearer_challenge(api, eng):
    response = api.get("/api/v1/issues/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer itk_not-a-real-token",
        "Bearer",
        "Bearer two parts",
        "Bearer nonsense",
        "Bearer itk_\u00e9t\u00e9",
    ],
)
def test_a_bad_token_is_401_never_a_fallback(header, client, bob):
    client.force_login(bob)  # even with a session, a bad token is refused
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=header.encode().decode("latin-1"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_and_expired_tokens_are_401(bob):
    revoked, revoked_raw = tokens.create_token(bob, name="old", actor=bob)
    tokens.revoke(revoked, actor=bob)
    now = timezone.now()
    expired, expired_raw = tokens.create_token(
        bob, name="short", actor=bob, expires_at=now + dt.timedelta(minutes=1), now=now
    )
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=now - dt.timedelta(seconds=1))
    for raw in (revoked_raw, expired_raw):
        response = bearer(raw).get("/api/v1/me/")
        assert response.status_code == 401
        assert response.json()["detail"] == "Invalid, expired or revoked token."


def test_a_deactivated_user_s_tokens_stop_working(bob):
    _, raw = tokens.create_token(bob, name="CI", actor=bob)
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    assert bearer(raw).get("/api/v1/me/").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(bob):
    token, raw = tokens.create_token(bob, name="CI", actor=bob)
    start = timezone.now()
    assert tokens.authenticate(raw, now=start).last_used_at == start
    tokens.authenticate(raw, now=start + dt.timedelta(seconds=30))
    token.refresh_from_db()
    assert token.last_used_at == start
    later = start + dt.timedelta(seconds=61)
    tokens.authenticate(raw, now=later)
    token.refresh_from_db()
    assert token.last_used_at == later


def test_an_api_request_within_the_minute_does_not_write(bob, django_assert_num_queries):
    _, raw = tokens.create_token(bob, name="CI", actor=bob)
    client = bearer(raw)
    with django_assert_num_queries(3):  # token lookup, its last_used_at update, memberships
        client.get("/api/v1/me/")
    with django_assert_num_queries(2):
        client.get("/api/v1/me/")


def test_a_token_carries_its_user_s_role_and_no_more(api_as, vera, issue):
    client = api_as(vera)
    assert client.get(f"/api/v1/issues/{issue.key}/").status_code == 200
    response = client.patch(f"/api/v1/issues/{issue.key}/", {"title": "Viewer edit"})
    assert response.status_code == 403
    assert response.json()["type"] == "/api/problems/permission-denied"


def test_removing_someone_from_the_team_takes_effect_on_their_next_request(
    api_as, alice, bob, issue
):
    client = api_as(bob)
    assert client.get(f"/api/v1/issues/{issue.key}/").status_code == 200
    account_services.remove_member(Membership.objects.get(user=bob), actor=alice)
    assert client.get(f"/api/v1/issues/{issue.key}/").status_code == 404
    assert client.get("/api/v1/issues/").json()["results"] == []


def test_people_create_tokens_only_for_themselves(alice, bob):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        tokens.create_token(bob, name="sneaky", actor=alice)
    token, _ = tokens.create_token(bob, name="mine", actor=bob)
    with pytest.raises(PermissionDenied):
        tokens.revoke(token, actor=alice)


# --- the browser session -------------------------------------------------------------


def test_the_session_works_for_the_api_with_csrf_on_writes(bob, eng):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(bob)
    assert client.get("/api/v1/me/").status_code == 200
    body = {"team": "ENG", "title": "From the docs page"}
    refused = client.post("/api/v1/issues/", body, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    client.get(reverse("accounts:tokens"))  # any page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    created = client.post("/api/v1/issues/", body, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert created.status_code == 201, created.json()


# --- the management command ------------------------------------------------------------


def test_create_api_token_prints_the_token_once(bob):
    out, err = StringIO(), StringIO()
    call_command("create_api_token", "bob", "--name", "Support desk", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(user=bob)
    assert (token.name, token.expires_at) == ("Support desk", None)
    assert token.digest == tokens.digest(raw) and raw not in err.getvalue()
    assert bearer(raw).get("/api/v1/me/").status_code == 200


def test_create_api_token_can_expire_and_refuses_unknown_users(bob):
    from django.core.management.base import CommandError

    call_command(
        "create_api_token", "bob", "--expires-days", "30", stdout=StringIO(), stderr=StringIO()
    )
    token = ApiToken.objects.get(user=bob)
    assert token.expires_at - token.created_at == dt.timedelta(days=30)
    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_token", "nobody", stdout=StringIO(), stderr=StringIO())


# --- the API tokens page -------------------------------------------------------------------


def test_tokens_page_needs_sign_in(client):
    response = client.get(reverse("accounts:tokens"))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_creating_a_token_on_the_page_shows_it_once(client, bob):
    client.force_login(bob)
    response = client.post(reverse("accounts:tokens"), {"name": "Zapier", "expires": "30"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=bob)
    body = response.content.decode()
    raw = body.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    assert tokens.digest(raw) == token.digest
    assert token.expires_at is not None

    again = client.get(reverse("accounts:tokens")).content.decode()
    assert raw not in again and token.prefix in again and "Zapier" in again
    assert bearer(raw).get("/api/v1/me/").status_code == 200


def test_the_page_refuses_a_token_without_a_name(client, bob):
    client.force_login(bob)
    response = client.post(reverse("accounts:tokens"), {"name": "  ", "expires": ""})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoking_on_the_page_stops_the_token(client, bob):
    token, raw = tokens.create_token(bob, name="CI", actor=bob)
    client.force_login(bob)
    response = client.post(reverse("accounts:token-revoke", args=[token.pk]))
    assert response.status_code == 302
    assert bearer(raw).get("/api/v1/me/").status_code == 401
    assert "revoked" in client.get(reverse("accounts:tokens")).content.decode()


def test_nobody_sees_or_revokes_someone_else_s_token(client, alice, bob):
    token, raw = tokens.create_token(bob, name="Bob's CI", actor=bob)
    client.force_login(alice)
    assert "Bob&#x27;s CI" not in client.get(reverse("accounts:tokens")).content.decode()
    assert client.post(reverse("accounts:token-revoke", args=[token.pk])).status_code == 404
    assert bearer(raw).get("/api/v1/me/").status_code == 200
