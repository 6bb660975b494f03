"""Rate limits for the API (DRF throttles, counted in the cache).

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (API_RATE_LIMIT_USER and
API_RATE_LIMIT_ANON in the environment) and are read per request, so tests can change
them. Throttles keep one client from crowding out the others; they are not a security
control (they count in the cache and can race).
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _RateFromSettings(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        return (api_settings.DEFAULT_THROTTLE_RATES or {}).get(self.scope)


class UserRateThrottle(_RateFromSettings):
    """One budget per person, shared by their tokens and their browser session (so
    creating more tokens does not buy more requests)."""

    scope = "user"

    def get_cache_key(self, request, view) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonRateThrottle(_RateFromSettings):
    """Per client address, for callers without valid credentials (also bad tokens)."""

    scope = "anon"

    def get_cache_key(self, request, view) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
