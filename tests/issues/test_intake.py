"""Email intake: real messages sent with smtplib to the running intake server (aiosmtpd
in a thread, against the test database)."""

import smtplib
import socket
from email.message import EmailMessage

import pytest

from accounts.models import Team
from issues import intake, services
from issues.intake_smtp import controller
from issues.models import Attachment, Comment, Customer, IntakeMessage, Issue, IssueEvent
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

INTAKE = "help@eng.example"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def eng_intake(eng):
    Team.objects.filter(pk=eng.pk).update(intake_email=INTAKE)
    eng.refresh_from_db()
    return eng


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(eng_intake):
    """An SMTP client connected to a running intake server on a free port."""
    port = free_port()
    server = controller("127.0.0.1", port)
    server.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            yield client
    finally:
        server.stop()


def mail(
    subject="Printer on fire",
    body="It is on fire.\n",
    sender="Dana Scully <Dana@Client.example>",
    to=INTAKE,
    message_id="<m1@client.example>",
    **headers,
):
    message = EmailMessage()
    if sender:
        message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def send(smtp, message, to=INTAKE):
    return smtp.send_message(message, from_addr="bounce@client.example", to_addrs=[to])


def test_new_email_becomes_an_issue_with_its_customer_and_files(smtp, eng_intake):
    message = mail()
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="invoice.pdf")
    message.add_attachment(SVG, maintype="image", subtype="svg+xml", filename="logo.svg")
    send(smtp, message)

    issue = Issue.objects.get()
    assert issue.key == "ENG-1"
    assert issue.title == "Printer on fire"
    assert issue.channel == Issue.Channel.EMAIL
    assert issue.reporter is None
    assert issue.description.startswith("It is on fire.")
    assert "Attachments not kept:" in issue.description
    assert "logo.svg is image/svg+xml" in issue.description
    customer = Customer.objects.get()
    assert (customer.name, customer.email) == ("Dana Scully", "dana@client.example")
    assert list(issue.customers.all()) == [customer]
    created = IssueEvent.objects.get(issue=issue, kind=IssueEvent.Kind.CREATED)
    assert created.actor is None
    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.content_type) == ("invoice.pdf", "application/pdf")
    assert attachment.uploaded_by is None
    assert attachment.file.read() == PDF


def test_known_sender_is_found_whatever_the_case(smtp, eng_intake):
    existing = CustomerFactory(name="Dana S.", email="dana@client.example")
    send(smtp, mail(), to="HELP@ENG.example")
    assert list(Issue.objects.get().customers.all()) == [existing]
    assert Customer.objects.count() == 1


def test_html_only_mail_becomes_text_without_markup(smtp, eng_intake):
    message = mail()
    message.set_content(
        "<html><head><style>p{}</style></head><body><p>Hello&nbsp;team</p>"
        "<script>alert(1)</script><p>It <b>broke</b></p></body></html>",
        subtype="html",
    )
    send(smtp, message)
    assert Issue.objects.get().description == "Hello team\nIt broke"


def test_reply_with_the_key_becomes_a_public_comment_by_the_customer(
    smtp, eng_intake, alice, client
):
    dana = CustomerFactory(name="Dana", email="dana@client.example")
    issue = services.create_issue(eng_intake, actor=alice, title="Printer", customer=dana)
    reply = mail(
        subject="Re: [ENG-1] Printer",
        body="Still broken after the update.\n\nOn Mon, support wrote:\n> Try the update\n",
        sender="dana@client.example",
        message_id="<m2@client.example>",
    )
    reply.add_attachment(b"log line\n", maintype="text", subtype="plain", filename="log.txt")
    send(smtp, reply)

    comment = Comment.objects.get()
    assert comment.issue == issue
    assert comment.is_public
    assert comment.customer == dana
    assert comment.author is None
    assert comment.body == "Still broken after the update."
    assert Attachment.objects.get().comment == comment
    assert Issue.objects.count() == 1
    client.force_login(alice)
    page = client.get(issue.get_absolute_url()).content.decode()
    assert '<b>Dana</b> <span class="muted">(customer)</span>' in page


def test_reply_from_someone_not_on_the_issue_opens_a_linked_issue(smtp, eng_intake, alice):
    dana = CustomerFactory(email="dana@client.example")
    services.create_issue(eng_intake, actor=alice, title="Printer", customer=dana)
    send(smtp, mail(subject="Re: ENG-1 Printer", sender="eve@other.example"))

    new = Issue.objects.get(number=2)
    assert new.description.startswith("Follow-up to ENG-1 (Printer).")
    created = IssueEvent.objects.get(issue=new, kind=IssueEvent.Kind.CREATED)
    assert created.data["follow_up_of"] == "ENG-1"
    assert not Comment.objects.exists()


def test_reply_to_a_closed_issue_reopens_nothing_and_opens_a_linked_issue(
    smtp, eng_intake, alice, status
):
    dana = CustomerFactory(email="dana@client.example")
    old = services.create_issue(eng_intake, actor=alice, title="Printer", customer=dana)
    services.change_status(old, to=status("Resolved"), actor=alice)
    send(smtp, mail(subject="Re: [ENG-1] Printer", sender="dana@client.example"))

    old.refresh_from_db()
    assert old.status.name == "Resolved"
    assert not old.comments.exists()
    new = Issue.objects.get(number=2)
    assert list(new.customers.all()) == [dana]
    assert "Follow-up to ENG-1" in new.description


def test_the_same_message_id_twice_creates_one_issue(smtp, eng_intake):
    send(smtp, mail())
    send(smtp, mail())
    assert Issue.objects.count() == 1
    assert IntakeMessage.objects.get().issue == Issue.objects.get()


def test_unknown_recipient_is_refused_with_550(smtp, eng_intake):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as error:
        send(smtp, mail(to="nobody@eng.example"), to="nobody@eng.example")
    assert error.value.recipients["nobody@eng.example"][0] == 550
    assert not Issue.objects.exists()


def test_mail_without_from_is_refused_and_nothing_saved(smtp, eng_intake):
    with pytest.raises(smtplib.SMTPDataError) as error:
        send(smtp, mail(sender=None))
    assert error.value.smtp_code == 550
    assert not Issue.objects.exists()
    assert not Customer.objects.exists()
    assert not IntakeMessage.objects.exists()


@pytest.mark.parametrize("where", ["smtp", "handler"])
def test_oversized_mail_is_refused_with_552_and_logged(eng_intake, settings, caplog, where):
    """aiosmtpd's data_size_limit refuses it while reading; the handler checks again
    (the limit may have been lowered since the server started)."""
    if where == "smtp":
        settings.INTAKE_MAX_BYTES = 2000
    server = controller("127.0.0.1", free_port())
    settings.INTAKE_MAX_BYTES = 2000
    server.start()
    try:
        with (
            smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client,
            pytest.raises(smtplib.SMTPException) as error,
        ):
            send(client, mail(body="x" * 5000))
    finally:
        server.stop()
    assert "552" in str(error.value)
    assert "intake refused" in caplog.text
    assert not Issue.objects.exists()
    assert not IntakeMessage.objects.exists()


def test_a_failure_midway_saves_nothing_and_asks_for_a_retry(
    smtp, eng_intake, monkeypatch, _media_root
):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "add_attachment", broken)
    message = mail()
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="invoice.pdf")
    with pytest.raises(smtplib.SMTPDataError) as error:
        send(smtp, message)
    assert error.value.smtp_code == 451
    assert not Issue.objects.exists()
    assert not Customer.objects.exists()
    assert not IntakeMessage.objects.exists()


def test_strip_quoted_reply_keeps_only_the_new_text():
    text = "Thanks!\n\nOn Tue, 3 Mar 2026, Sam wrote:\n> old\n> older"
    assert intake.strip_quoted_reply(text) == "Thanks!"
    assert intake.strip_quoted_reply("new\n> quoted\n>") == "new"


def test_customer_reply_by_email_moves_a_waiting_issue_back(smtp, eng_intake, alice, status):
    dana = CustomerFactory(name="Dana", email="dana@client.example")
    issue = services.create_issue(eng_intake, actor=alice, title="Printer", customer=dana)
    services.change_status(issue, to=status("In progress"), actor=alice)
    services.change_status(issue, to=status("Waiting on customer"), actor=alice)
    send(
        smtp,
        mail(subject="Re: [ENG-1] Printer", body="Logs attached.", sender="dana@client.example"),
    )
    issue.refresh_from_db()
    assert issue.status.name == "In progress"
    assert issue.comments.get().customer == dana
