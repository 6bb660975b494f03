"""Personal access tokens for the REST API: created, checked and revoked only here.

A token is `itk_` plus 43 URL-safe characters (256 random bits). The database keeps
its SHA-256 (`ApiToken.digest`), so a leaked database dump holds no usable token, and
its first characters (`prefix`) so people can tell their tokens apart. Because the
token is random and long, a plain SHA-256 (no salt, no slow hash) is enough: there is
nothing to guess from the digest.

A token authenticates as its user and carries exactly the user's current roles: every
request re-reads the user and their memberships, so removing someone from a team or
deactivating them takes effect on their next request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from issues.services import DomainError
from issuetracker.prepared import Prepared

from . import audit
from .models import ApiToken, User

PREFIX = "itk_"
PREFIX_LENGTH = 12  # "itk_" and 8 random characters: shown in lists, useless alone
NAME_MAX = ApiToken._meta.get_field("name").max_length
# last_used_at is written at most this often, so a busy integration does not turn
# every API request into a write.
TOUCH_INTERVAL = dt.timedelta(minutes=1)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def create_token(
    user: User,
    *,
    name: str,
    expires_at: dt.datetime | None = None,
    actor: User | None,
    now: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for `user` and return it with its secret value, which is not
    stored anywhere: show it once.

    People create tokens for themselves (`actor` None is the system: the management
    command). Raises DomainError for an empty or long name (field "name") or an expiry
    in the past (field "expires_at").
    """
    now = now or timezone.now()
    if actor is not None and actor.pk != user.pk:
        raise PermissionDenied("People create API tokens only for themselves.")
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Give the token a name, e.g. the integration that uses it.", field="name")
    if len(name) > NAME_MAX:
        raise DomainError(f"The name is longer than {NAME_MAX} characters.", field="name")
    if expires_at is not None and expires_at <= now:
        raise DomainError("The expiry date must be in the future.", field="expires_at")
    if not user.is_active:
        raise DomainError(f"{user.username}'s account is deactivated.", field="user")
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:PREFIX_LENGTH],
        digest=digest(raw),
        created_at=now,
        expires_at=expires_at,
    )
    audit.record(
        audit.Action.TOKEN_CREATED,
        actor=actor,
        subject=user,
        target=f"{name} ({token.prefix}…)",
        data={"expires_at": expires_at.isoformat() if expires_at else None},
    )
    return token, raw


@transaction.atomic
def revoke(token: ApiToken, *, actor: User | None, now: dt.datetime | None = None) -> bool:
    """Revoke the token for good. Only its owner (or the system) may. Returns False if
    it was already revoked."""
    if actor is not None and actor.pk != token.user_id:
        raise PermissionDenied("That token belongs to someone else.")
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )
    if changed:
        audit.record(
            audit.Action.TOKEN_REVOKED,
            actor=actor,
            subject=token.user,
            target=f"{token.name} ({token.prefix}…)",
        )
    return bool(changed)


_token_by_digest = Prepared(
    lambda value: ApiToken.objects.select_related("user").filter(digest=value)[:1]
)


def authenticate(raw: str, *, now: dt.datetime | None = None) -> ApiToken | None:
    """The active token with this secret value, with its (active) user; None otherwise.

    Records the use in `last_used_at`, at most once per TOUCH_INTERVAL.
    """
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    now = now or timezone.now()
    # By the unique digest alone, then checked here: the same answer as filtering on
    # `active()` and the user in SQL, for a third of the Python that query cost to build
    # on every API request.
    token = _token_by_digest.one(digest(raw))
    if token is None or not token.user.is_active or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or token.last_used_at <= now - TOUCH_INTERVAL:
        # A conditional update: of concurrent requests only one writes.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOUCH_INTERVAL)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


def list_tokens(user: User):
    """The user's tokens, newest first (revoked and expired ones too, for the record)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
