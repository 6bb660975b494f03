"""Email intake: one received email becomes a new issue, or a public comment on the issue
its subject names. The SMTP side (aiosmtpd) is in issues/intake_smtp.py; this module is
plain Django, called once per message.

Who acts: intake writes as the system (`actor=None`, which accounts.permissions allows
for every action), because the sender is a customer, not a user. New issues have no
reporter; the customer is the affected customer and the `channel` is email. A reply's
comment has no author and carries `customer`, so the timeline shows "Dana (customer)".

Each message is one transaction: the issue or comment, its attachments and the
IntakeMessage row (unique Message-ID) commit together or not at all, and files written
for a failed message are deleted again.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import html
import logging
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses

import nh3
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts.models import Team

from . import attachments, customer_services, services
from .models import Comment, IntakeMessage, Issue, IssueCustomer

log = logging.getLogger(__name__)

NO_SUBJECT = "(no subject)"


class Rejected(Exception):
    """The message cannot be taken; `reply` is the SMTP answer (a 5xx code)."""

    def __init__(self, reply: str):
        super().__init__(reply)
        self.reply = reply


@dataclass
class Outcome:
    reply: str
    issue: Issue | None = None
    comment: Comment | None = None
    dropped: list[str] = field(default_factory=list)


# --- lookups ------------------------------------------------------------------------


def team_for_address(address: str) -> Team | None:
    """The team whose intake address this is (any case), or None."""
    address = (address or "").strip()
    if not address:
        return None
    return Team.objects.filter(intake_email__iexact=address).first()


def _key_pattern(team: Team) -> re.Pattern:
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(team.key)}-(\d{{1,9}})(?!\d)", re.IGNORECASE)


def _referenced_issue(team: Team, subject: str) -> Issue | None:
    for match in _key_pattern(team).finditer(subject):
        issue = Issue.objects.filter(team=team, number=int(match.group(1))).first()
        if issue is not None:
            return issue
    return None


# --- parsing ------------------------------------------------------------------------

_BLOCK_END = re.compile(r"(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6]|/blockquote)\b[^>]*>")
_QUOTE_HEADER = re.compile(r"^\s*On .{0,300}wrote:\s*$", re.IGNORECASE)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML body: block ends become line breaks, scripts and styles
    vanish with their content, every tag goes (nh3), entities are decoded."""
    markup = _BLOCK_END.sub("\n", markup)
    text = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "head", "title"})
    text = html.unescape(text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # unknown charset, undecodable transfer encoding
        content = part.get_payload(decode=True) or b""
        content = content.decode("utf-8", errors="replace")
    if part.get_content_type() == "text/html":
        content = html_to_text(content)
    return content.replace("\r\n", "\n").strip()


def strip_quoted_reply(text: str) -> str:
    """The new part of a reply: what comes before "On ... wrote:" and the quoted lines."""
    kept: list[str] = []
    for line in text.splitlines():
        if _QUOTE_HEADER.match(line):
            break
        kept.append(line)
    while kept and (kept[-1].startswith(">") or not kept[-1].strip()):
        kept.pop()
    return "\n".join(kept).strip() or text.strip()


def _attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    found = []
    for part in message.iter_attachments():
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True) or b""
        found.append((part.get_filename() or "attachment", data))
    return found


def _sender(message: EmailMessage) -> tuple[str, str]:
    raw = message.get_all("From") or []
    addresses = [(name, addr) for name, addr in getaddresses([str(v) for v in raw]) if addr]
    if len(addresses) != 1:
        raise Rejected("550 5.6.0 The message needs exactly one From address.")
    name, address = addresses[0]
    try:
        validate_email(address)
    except ValidationError:
        raise Rejected("550 5.1.7 The From address is not a valid email address.") from None
    return name.strip(), address.strip().lower()


def _message_id(message: EmailMessage, raw: bytes) -> str:
    value = " ".join(str(message.get("Message-ID", "")).split())
    if value:
        return value[:500]
    # Without a Message-ID the bytes identify the mail: a resent copy is still one issue.
    return "sha256:" + hashlib.sha256(raw).hexdigest()


# --- writing --------------------------------------------------------------------------


def _checked_files(files: list[tuple[str, bytes]]) -> tuple[list[tuple[str, bytes]], list[str]]:
    kept, dropped = [], []
    for name, data in files:
        try:
            attachments.read_upload(ContentFile(data), name)
        except attachments.UploadRefused as refused:
            dropped.append(refused.message)
        else:
            kept.append((name, data))
    return kept, dropped


def _with_dropped(text: str, dropped: list[str]) -> str:
    if not dropped:
        return text
    lines = "\n".join(f"- {reason}" for reason in dropped)
    return f"{text}\n\n---\nAttachments not kept:\n{lines}".strip()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 30].rstrip() + "\n\n[message shortened]"


def receive(raw: bytes, *, recipients: list[str]) -> Outcome:
    """Turn one email into an issue or a comment, once per Message-ID.

    Raises Rejected (nothing saved) when the message is unusable: no known intake
    recipient, no single valid From. Anything else failing rolls the message back and
    propagates, so the SMTP side answers with a temporary error and the sender retries.
    """
    message = email.message_from_bytes(raw, policy=email.policy.default)
    team = next((t for t in map(team_for_address, recipients) if t is not None), None)
    if team is None:
        raise Rejected("550 5.1.1 No such intake address.")
    name, address = _sender(message)
    message_id = _message_id(message, raw)
    subject = " ".join(str(message.get("Subject", "")).split())
    if IntakeMessage.objects.filter(message_id=message_id).exists():
        return Outcome(reply="250 2.0.0 Already received")
    files, dropped = _checked_files(_attachments(message))
    text = _body_text(message)
    try:
        with transaction.atomic(), services.files_removed_on_rollback():
            outcome = _file(team, subject, text, files, dropped, name, address)
            IntakeMessage.objects.create(
                message_id=message_id,
                team=team,
                issue=outcome.issue,
                comment=outcome.comment,
                sender=address,
            )
    except IntegrityError:
        if IntakeMessage.objects.filter(message_id=message_id).exists():
            return Outcome(reply="250 2.0.0 Already received")  # a concurrent delivery won
        raise
    return outcome


def _file(
    team: Team,
    subject: str,
    text: str,
    files: list[tuple[str, bytes]],
    dropped: list[str],
    name: str,
    address: str,
) -> Outcome:
    customer = customer_services.customer_for_email(address, name=name)
    previous = _referenced_issue(team, subject)
    if previous is not None and not previous.status.is_closed:
        on_issue = IssueCustomer.objects.filter(issue=previous, customer=customer).exists()
        if on_issue:
            body = _with_dropped(strip_quoted_reply(text), dropped) or "(no text)"
            comment = services.add_comment(
                previous,
                body=_clip(body, services.TEXT_MAX),
                public=True,
                customer=customer,
                actor=None,
            )
            for filename, data in files:
                services.add_attachment(
                    previous, file=ContentFile(data), filename=filename, comment=comment, actor=None
                )
            return Outcome(
                reply=f"250 2.0.0 OK: comment on {previous.key}",
                issue=previous,
                comment=comment,
                dropped=dropped,
            )
    description = text
    if previous is not None:
        description = f"Follow-up to {previous.key} ({previous.title}).\n\n{text}"
    issue = services.create_issue(
        team,
        actor=None,
        title=(subject or NO_SUBJECT)[: services.TITLE_MAX],
        description=_clip(_with_dropped(description, dropped), services.TEXT_MAX),
        kind=Issue.Kind.QUESTION,
        channel=Issue.Channel.EMAIL,
        customer=customer,
        follow_up_of=previous,
    )
    for filename, data in files:
        services.add_attachment(issue, file=ContentFile(data), filename=filename, actor=None)
    return Outcome(reply=f"250 2.0.0 OK: {issue.key} created", issue=issue, dropped=dropped)
