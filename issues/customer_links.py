"""The customer status link: an unguessable, revocable URL that shows a customer where
their issue stands, without a login.

The URL is /status/<issue id>-<mac>/ where mac = HMAC-SHA256(SECRET_KEY, "id:nonce")
and the nonce is a random value stored on the issue. The database holds the nonce only,
so a copy of it cannot rebuild a link without the secret key; revoking clears the nonce
(and a new link gets a new one), so every older URL answers 404. Links are created and
revoked through issues.services, which write the timeline.
"""

from __future__ import annotations

import base64
import re
import secrets

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import Issue, Status

_SALT = "issues.customer_links.status"
_TOKEN_RE = re.compile(r"^(\d{1,18})-([A-Za-z0-9_-]{43})$")

# What a customer reads for each status category.
PLAIN_STATUS = {
    Status.Category.TRIAGE: "We've received it",
    Status.Category.TODO: "We're working on it",
    Status.Category.IN_PROGRESS: "We're working on it",
    Status.Category.WAITING: "Waiting for your reply",
    Status.Category.DONE: "Resolved",
    Status.Category.CANCELLED: "Closed",
}


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def _mac(issue_id: int, nonce: str) -> str:
    digest = salted_hmac(_SALT, f"{issue_id}:{nonce}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token(issue: Issue) -> str | None:
    """The token of the issue's active link, or None."""
    if not issue.status_link_nonce:
        return None
    return f"{issue.pk}-{_mac(issue.pk, issue.status_link_nonce)}"


def status_path(issue: Issue) -> str | None:
    value = token(issue)
    return reverse("customer-status", args=[value]) if value else None


def status_url(issue: Issue) -> str | None:
    """The absolute URL of the issue's active status link (settings.SITE_URL), or None
    when it has none. For customer emails; costs no query."""
    path = status_path(issue)
    return settings.SITE_URL.rstrip("/") + path if path else None


def issue_for_token(value: str) -> Issue | None:
    """The issue an active link points to, or None (malformed, tampered or revoked)."""
    match = _TOKEN_RE.match(value or "")
    if not match:
        return None
    issue = (
        Issue.objects.select_related("team", "status")
        .exclude(status_link_nonce="")
        .filter(pk=int(match.group(1)))
        .first()
    )
    if issue is None or not constant_time_compare(
        _mac(issue.pk, issue.status_link_nonce), match.group(2)
    ):
        return None
    return issue


def plain_status(issue: Issue) -> str:
    return PLAIN_STATUS.get(issue.status.category, "We're working on it")
