"""Sign-in throttling: repeated failures are refused for a while, per account and address."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_WINDOW = 600
    cache.clear()
    yield
    cache.clear()


def _sign_in(client, username, password, address="198.51.100.1"):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_after_the_limit_even_the_right_password_is_refused_until_the_window_passes(client, bob):
    for _ in range(3):
        assert _sign_in(client, "bob", "wrong").status_code == 200
    refused = _sign_in(client, "bob", "pw-for-tests-only")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "600"
    assert "Too many failed sign-ins" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="login_throttled", subject_name="bob").count() == 1

    cache.clear()  # the window passed
    assert _sign_in(client, "bob", "pw-for-tests-only").status_code == 302


def test_the_account_key_ignores_case_and_email_spelling_is_its_own_key(client, bob):
    for name in ("bob", "BOB", " Bob "):
        _sign_in(client, name, "wrong")
    assert _sign_in(client, "bob", "pw-for-tests-only").status_code == 429


def test_someone_elsewhere_cannot_lock_a_person_out(client, bob):
    for _ in range(5):
        _sign_in(client, "bob", "wrong", address="203.0.113.9")
    assert _sign_in(client, "bob", "pw-for-tests-only", address="198.51.100.1").status_code == 302


def test_spraying_many_accounts_from_one_address_is_stopped(client, bob):
    for n in range(30):  # ten times the per-account limit, over many accounts
        _sign_in(client, f"user{n}", "guess")
    assert _sign_in(client, "bob", "pw-for-tests-only").status_code == 429
    assert _sign_in(client, "bob", "pw-for-tests-only", address="198.51.100.2").status_code == 302


def test_a_success_clears_the_account_counter(client, bob):
    _sign_in(client, "bob", "wrong")
    _sign_in(client, "bob", "wrong")
    assert _sign_in(client, "bob", "pw-for-tests-only").status_code == 302
    client.logout()
    _sign_in(client, "bob", "wrong")
    _sign_in(client, "bob", "wrong")
    assert _sign_in(client, "bob", "pw-for-tests-only").status_code == 302


def test_a_forged_forwarded_for_header_does_not_reset_the_count(client, bob):
    for n in range(3):
        client.post(
            reverse("accounts:login"),
            {"username": "bob", "password": "wrong"},
            REMOTE_ADDR="198.51.100.1",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
    assert _sign_in(client, "bob", "pw-for-tests-only").status_code == 429


def test_zero_switches_throttling_off(client, bob, settings):
    settings.LOGIN_FAILURE_LIMIT = 0
    for _ in range(10):
        _sign_in(client, "bob", "wrong")
    assert _sign_in(client, "bob", "pw-for-tests-only").status_code == 302
