"""Refuse sign-in attempts after repeated failures.

Two counters in the cache, each for LOGIN_FAILURE_WINDOW seconds from its first
failure: failures for one account from one client address (LOGIN_FAILURE_LIMIT), and
failures from one client address over all accounts (ten times that). Counting per
account *and* address means an attacker elsewhere cannot lock a person out of their
own account, while guessing one account's password, or spraying many accounts from
one address, stops after a handful of tries. Once blocked, attempts are refused
without checking the password; a successful sign-in clears the account's counter.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.dispatch import receiver

from . import audit

ADDRESS_FACTOR = 10


def _keys(username: str, ip: str | None) -> tuple[str, str]:
    account = hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()[:32]
    return f"login-fail:account:{account}:{ip}", f"login-fail:address:{ip}"


def _limits() -> tuple[int, int]:
    limit = settings.LOGIN_FAILURE_LIMIT
    return limit, limit * ADDRESS_FACTOR


def is_blocked(request, username: str) -> bool:
    if settings.LOGIN_FAILURE_LIMIT <= 0:
        return False
    account_key, address_key = _keys(username, audit.client_ip(request))
    counts = cache.get_many([account_key, address_key])
    account_limit, address_limit = _limits()
    return (
        counts.get(account_key, 0) >= account_limit or counts.get(address_key, 0) >= address_limit
    )


def _count(key: str) -> int:
    cache.add(key, 0, timeout=settings.LOGIN_FAILURE_WINDOW)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW)
        return 1


@receiver(user_login_failed, dispatch_uid="login-throttle-failed")
def _failed(sender, credentials, request=None, **kwargs) -> None:
    if request is None or settings.LOGIN_FAILURE_LIMIT <= 0:
        return
    username = str(credentials.get("username", ""))
    account_key, address_key = _keys(username, audit.client_ip(request))
    account_limit, address_limit = _limits()
    if _count(account_key) == account_limit or _count(address_key) == address_limit:
        # Recorded once, when the block starts, not for every refused attempt.
        audit.record(audit.Action.LOGIN_THROTTLED, actor=None, subject_name=username[:254])


@receiver(user_logged_in, dispatch_uid="login-throttle-success")
def _succeeded(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    username = request.POST.get("username", "") if request.method == "POST" else ""
    if username:
        cache.delete(_keys(username, audit.client_ip(request))[0])
