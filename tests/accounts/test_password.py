import re

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db

OLD = "pw-for-tests-only"
NEW = "a-much-better-passphrase-42"


@pytest.fixture(autouse=True)
def _mail_to_outbox(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.SITE_URL = "https://tracker.example"


def test_password_pages_resolve_in_the_accounts_namespace():
    assert reverse("accounts:password_change") == "/accounts/password/change/"
    assert reverse("accounts:password_change_done") == "/accounts/password/change/done/"
    assert reverse("accounts:password_reset") == "/accounts/password/reset/"
    assert reverse("accounts:password_reset_done") == "/accounts/password/reset/sent/"
    assert reverse("accounts:password_reset_complete") == "/accounts/password/reset/complete/"


def test_changing_the_password_needs_sign_in(client):
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_change_password_works_and_the_old_one_stops_working(client, bob):
    client.force_login(bob)
    page = client.get(reverse("accounts:password_change"))
    assert page.status_code == 200
    assert page.templates[0].name == "accounts/password_change_form.html"
    assert '<label for="id_old_password">' in page.content.decode()

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_change_done")
    # Still signed in on this device.
    assert client.get(reverse("accounts:password_change_done")).status_code == 200
    assert authenticate(username="bob", password=OLD) is None
    assert authenticate(username="bob", password=NEW) == bob


def test_wrong_old_password_shows_an_error_on_the_field(client, bob):
    client.force_login(bob)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "not-my-password", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    body = response.content.decode()
    assert 'id="id_old_password_error"' in body and 'aria-invalid="true"' in body
    bob.refresh_from_db()
    assert bob.check_password(OLD)


def _reset_link(message) -> str:
    match = re.search(r"https://tracker\.example(/accounts/password/reset/\S+/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_reset_email_goes_to_a_known_address_and_its_link_sets_a_new_password(client, bob):
    response = client.post(reverse("accounts:password_reset"), {"email": "BOB@example.com"})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["bob@example.com"]
    assert "password" in message.subject.lower()

    page = client.get(_reset_link(message), follow=True)
    assert page.status_code == 200 and page.context["validlink"]
    set_password_url = page.redirect_chain[-1][0]
    response = client.post(set_password_url, {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_complete")
    assert authenticate(username="bob", password=NEW) == bob
    assert authenticate(username="bob", password=OLD) is None
    # The link works once.
    again = client.get(_reset_link(message), follow=True)
    assert not again.context["validlink"]


def test_unknown_address_gets_the_same_page_and_no_mail(client, bob):
    known = client.post(reverse("accounts:password_reset"), {"email": "bob@example.com"})
    unknown = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    done = client.get(unknown.url)
    assert "If an account uses that address" in done.content.decode()


def test_sign_in_page_links_to_password_reset(client):
    body = client.get(reverse("accounts:login")).content.decode()
    assert f'href="{reverse("accounts:password_reset")}"' in body
    assert "Forgot your password?" in body
