"""API clients per persona: `api_as(bob)` sends bob's personal access token."""

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import tokens
from accounts.models import ApiToken


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    """Throttles count in the cache: start each test from zero, with room to spare.
    Tests about rate limits set their own rates."""
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "100000/minute", "anon": "100000/minute"},
    }
    yield
    cache.clear()


@pytest.fixture
def api():
    """An anonymous API client."""
    return APIClient()


@pytest.fixture
def token_for(db):
    def create(user, name="tests"):
        token, raw = tokens.create_token(user, name=name, actor=None)
        # Already used this minute: requests in query-count tests do not write.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return raw

    return create


@pytest.fixture
def api_as(token_for):
    """A client that authenticates as `user` with a fresh token."""

    def client(user):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        return api

    return client


def keys(response) -> list[str]:
    """The issue keys of a list response, in order."""
    assert response.status_code == 200, response.json()
    return [issue["key"] for issue in response.json()["results"]]
