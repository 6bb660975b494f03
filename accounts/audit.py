"""The audit log: who did what to a team's settings, memberships and to accounts.

Services call `record(...)` inside their own transaction, so an entry exists exactly
when the change does. Sign-ins are recorded from Django's auth signals. The client's
address comes from the request being served (`AuditMiddleware` keeps it for the
duration of the request), so services need no request argument. Entries are never
changed or deleted through the application.
"""

from __future__ import annotations

import contextvars
import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models import Q, QuerySet
from django.dispatch import receiver

from .models import AuditEntry, Team

User = get_user_model()
Action = AuditEntry.Action

_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the entry of X-Forwarded-For written by the
    last of TRUSTED_PROXIES trusted proxies. A client cannot choose it by sending its
    own X-Forwarded-For: entries before the trusted ones are ignored."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        header = request.META.get("HTTP_X_FORWARDED_FOR", "")
        forwarded = [part.strip() for part in header.split(",") if part.strip()]
        if len(forwarded) >= proxies:
            remote = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(remote)) if remote else None
    except ValueError:
        return None


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _client_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)


def record(
    action: str,
    *,
    actor: User | None,
    team: Team | None = None,
    subject: User | None = None,
    subject_name: str = "",
    target: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. `actor` None is the system (a command, the admin site's
    services called without a user, an anonymous visitor)."""
    actor = actor if actor is not None and actor.is_authenticated else None
    return AuditEntry.objects.create(
        action=Action(action),
        actor=actor,
        actor_name=actor.username if actor else "",
        team=team,
        subject=subject,
        subject_name=subject_name or (subject.username if subject else ""),
        target=target[:200],
        data=data or {},
        ip=_client_ip.get(),
    )


def for_team(team: Team) -> QuerySet[AuditEntry]:
    """What the team's admins may read: the team's own entries, and account entries
    (tokens, sign-ins, passwords) of the people who are members of it now."""
    members = team.memberships.values("user_id")
    return (
        AuditEntry.objects.filter(Q(team=team) | Q(team__isnull=True, subject__in=members))
        .select_related("actor", "subject")
        .order_by("-created_at", "-pk")
    )


@receiver(user_logged_in, dispatch_uid="audit-login")
def _logged_in(sender, request, user, **kwargs) -> None:
    record(Action.LOGIN_SUCCEEDED, actor=user, subject=user)


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    name = str(credentials.get("username", ""))[:254]
    field = "email__iexact" if "@" in name else "username"
    subject = User._default_manager.filter(**{field: name}).first() if name else None
    record(Action.LOGIN_FAILED, actor=None, subject=subject, subject_name=name)
