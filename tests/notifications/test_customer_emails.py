"""Emails to customers: public comments and resolution, once per customer and event,
never internal comments, with Reply-To the intake address and the status link."""

import pytest

from accounts.models import Team
from issues import services
from notifications import customer_emails
from notifications.models import CustomerEmail
from notifications.services import load_events
from notifications.tasks import send_customer_email
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana():
    return CustomerFactory(name="Dana", email="dana@client.example")


@pytest.fixture
def ticket(eng, sam, dana):
    Team.objects.filter(pk=eng.pk).update(intake_email="help@eng.example")
    eng.refresh_from_db()
    return services.create_issue(eng, actor=sam, title="Export fails", customer=dana)


def customer_mail(mailoutbox):
    return [m for m in mailoutbox if "dana@client.example" in m.to]


def test_public_comment_is_emailed_to_the_customer(
    ticket, sam, mailoutbox, django_capture_on_commit_callbacks
):
    services.create_status_link(ticket, actor=sam)
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(ticket, body="We found the cause.", public=True, actor=sam)
    (message,) = customer_mail(mailoutbox)
    assert message.subject == "[ENG-1] Export fails"
    assert message.reply_to == ["help@eng.example"]
    assert "We found the cause." in message.body
    from issues.customer_links import status_url

    ticket.refresh_from_db()
    assert status_url(ticket) in message.body
    html = message.alternatives[0].content
    assert "We found the cause." in html


def test_internal_comments_never_reach_the_customer(
    ticket, sam, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(ticket, body="Secret: they are on the old plan", actor=sam)
    assert customer_mail(mailoutbox) == []
    assert not CustomerEmail.objects.exists()


def test_resolution_is_emailed(
    ticket, alice, status, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(ticket, to=status("In progress"), actor=alice)
        services.change_status(ticket, to=status("Resolved"), actor=alice)
    (message,) = customer_mail(mailoutbox)
    assert message.subject == "[ENG-1] Resolved: Export fails"
    assert "Status: Resolved" in message.body


def test_the_customers_own_reply_is_not_mailed_back(
    ticket, sam, dana, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(ticket, body="Still broken", customer=dana, actor=None)
    assert customer_mail(mailoutbox) == []


def test_opted_out_customers_and_teams_without_customer_emails_get_nothing(
    ticket, eng, sam, dana, mailoutbox, django_capture_on_commit_callbacks
):
    services.set_customer_emails(ticket, customer=dana, enabled=False, actor=sam)
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(ticket, body="One", public=True, actor=sam)
    assert customer_mail(mailoutbox) == []
    services.set_customer_emails(ticket, customer=dana, enabled=True, actor=sam)
    Team.objects.filter(pk=eng.pk).update(is_emailing_customers=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(ticket, body="Two", public=True, actor=sam)
    assert customer_mail(mailoutbox) == []


def test_customers_without_email_are_skipped_and_each_other_customer_mailed(
    ticket, sam, mailoutbox, django_capture_on_commit_callbacks
):
    services.add_customer(ticket, customer=CustomerFactory(email=""), actor=sam)
    services.add_customer(ticket, customer=CustomerFactory(email="lee@client.example"), actor=sam)
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(ticket, body="Fixed", public=True, actor=sam)
    assert sorted(m.to[0] for m in mailoutbox if m.to[0].endswith("client.example")) == [
        "dana@client.example",
        "lee@client.example",
    ]


def test_processing_twice_and_sending_twice_mail_once(
    ticket, sam, mailoutbox, django_capture_on_commit_callbacks
):
    comment = services.add_comment(ticket, body="Fixed", public=True, actor=sam)
    event = comment.events.get()
    with django_capture_on_commit_callbacks(execute=True):
        first = customer_emails.create_deliveries(load_events([event.pk]))
        again = customer_emails.create_deliveries(load_events([event.pk]))
    assert len(first) == 1 and again == []
    assert send_customer_email.apply(args=[first[0].pk]).get() is False  # already sent
    assert len(customer_mail(mailoutbox)) == 1
    assert CustomerEmail.objects.get().sent_at is not None


def test_a_failed_send_releases_the_claim_for_the_retry(
    ticket, sam, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    import smtplib

    comment = services.add_comment(ticket, body="Fixed", public=True, actor=sam)
    (row,) = customer_emails.create_deliveries(load_events([comment.events.get().pk]))

    def down(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    from django.core.mail import EmailMultiAlternatives

    with monkeypatch.context() as patch:
        patch.setattr(EmailMultiAlternatives, "send", down)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            customer_emails.send(row.pk)
    row.refresh_from_db()
    assert row.claimed_at is None and row.sent_at is None
    assert customer_emails.send(row.pk) is True


def test_the_issue_page_turns_emails_off_for_one_customer(client, ticket, sam, dana, vera):
    from django.urls import reverse

    url = reverse("issues:customer-emails", args=[ticket.key, dana.pk])
    client.force_login(vera)
    assert client.post(url, {"enabled": "0"}).status_code == 403
    client.force_login(sam)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "Emailed about public replies and resolution" in page
    response = client.post(url, {"enabled": "0"}, follow=True)
    assert "Dana will not be emailed about ENG-1." in response.content.decode()
    assert "turned off emails to <b>Dana</b>" in response.content.decode()
    assert ticket.customer_links.get().is_notified is False
