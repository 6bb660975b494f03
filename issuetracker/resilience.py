"""Keep the app answering when a backing service is down.

- `DatabaseUnavailableMiddleware` and `server_error`: while PostgreSQL is unreachable
  (stopped, restarting, out of connections) a request answers 503 with `Retry-After`
  and a short plain message (problem details under /api/) instead of a 500 page. The
  middleware catches what views raise; `server_error` (handler500) catches what
  middleware raises before the view (the session or the user lookup).
  With the database up they do nothing. Connections are health-checked at the start of
  each request (CONN_HEALTH_CHECKS), so the app recovers by itself once it is back.
- `FailOpenRedisCache`: the cache holds only counters (API throttles, sign-in
  throttling); with Redis down, reads miss and writes are dropped after one quick
  failure, and Redis is left alone for `CACHE_RETRY_SECONDS`, so no request waits on a
  dead cache. The failure is logged.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views import defaults
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
UNAVAILABLE_MESSAGE = (
    "The tracker cannot reach its database right now. Nothing was saved; "
    "please try again in a few seconds.\n"
)
DATABASE_DOWN = (OperationalError, InterfaceError)


def unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: plain text for pages, problem details for the API."""
    if request.path.startswith("/api/"):
        body = {
            "type": "/api/problems/service-unavailable",
            "title": "Service unavailable",
            "status": 503,
            "detail": UNAVAILABLE_MESSAGE.strip(),
        }
        response = HttpResponse(
            json.dumps(body), status=503, content_type="application/problem+json"
        )
    else:
        response = HttpResponse(
            UNAVAILABLE_MESSAGE, status=503, content_type="text/plain; charset=utf-8"
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_DOWN):
            log.warning("database unavailable: %s %s: %s", request.method, request.path, exception)
            return unavailable(request)
        return None


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """handler500: a database outage raised outside a view is a 503 too."""
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        return unavailable(request)
    return defaults.server_error(request, template_name)


class KeptClientRedisCacheClient(RedisCacheClient):
    """Django's client wraps its connection pool in a new `redis.Redis` on every cache
    call, which copies redis-py's ~300 response callbacks (60 µs; an API request makes
    two calls for its throttle, a page one for its session). One per pool serves them
    all: a `redis.Redis` is safe to share, and the pool stays the one that connects."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class FailOpenRedisCache(RedisCache):
    """RedisCache that misses instead of failing while Redis is unreachable."""

    def __init__(self, server, params):
        params = {**params, "OPTIONS": dict(params.get("OPTIONS", {}))}
        self.retry_seconds = float(params["OPTIONS"].pop("retry_seconds", 5))
        # redis-py retries a refused connection three times with backoff (seconds): retry
        # once, at once, which still replaces a pooled connection the server closed.
        params["OPTIONS"].setdefault("retry", Retry(NoBackoff(), 1))
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient
        self._down_until = 0.0

    def _guard(self, method: str, default: Any, *args: Any, **kwargs: Any) -> Any:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        if time.monotonic() < self._down_until:
            return default
        try:
            return getattr(super(), method)(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError) as error:
            self._down_until = time.monotonic() + self.retry_seconds
            log.warning(
                "cache unavailable (%s); going without it for %ss", error, self.retry_seconds
            )
            return default

    def reachable(self) -> bool:
        """False while Redis is left alone after a failure (`CACHE_RETRY_SECONDS`)."""
        return time.monotonic() >= self._down_until

    def get(self, key, default=None, version=None):
        return self._guard("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._guard("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._guard("has_key", False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("set_many", [], data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("touch", False, key, timeout, version)

    def incr(self, key, delta=1, version=None):
        # A count that cannot be kept is 0: the throttles fail open while Redis is down.
        return self._guard("incr", 0, key, delta, version)

    def delete(self, key, version=None):
        return self._guard("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._guard("delete_many", None, keys, version)

    def clear(self):
        return self._guard("clear", None)
