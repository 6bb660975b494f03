"""The header every signed-in page shows (accounts/templatetags/site_tags.py)."""

from django.test import Client


def test_the_header_escapes_the_name_and_marks_the_current_team(client_for, bob, eng):
    bob.display_name = '<img src=x onerror="alert(1)">'
    bob.save(update_fields=["display_name"])
    body = client_for(bob).get(f"/teams/{eng.key}/issues/").content.decode()
    header = body[body.index('<header class="topbar">') : body.index("</header>")]
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in header
    assert "<img" not in header
    assert f'<a href="/teams/{eng.key}/issues/" aria-current="page">{eng.key}</a>' in header
    assert 'name="csrfmiddlewaretoken"' in header  # the sign-out form posts


def test_a_signed_out_page_has_no_account_links(db):
    body = Client().get("/accounts/login/").content.decode()
    assert "Sign out" not in body and "teams-nav" not in body
