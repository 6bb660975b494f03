"""What every API view shares: the treatment of unauthenticated callers, OPTIONS,
path formats, ETags and If-Match."""

from __future__ import annotations

import re

from rest_framework import exceptions
from rest_framework.metadata import SimpleMetadata

from issuetracker.exceptions import MalformedHeader, PreconditionFailed


class ApiViewMixin:
    """Mixed into every API view before DRF's classes."""

    def initial(self, request, *args, **kwargs):
        try:
            super().initial(request, *args, **kwargs)
        except (exceptions.NotAuthenticated, exceptions.AuthenticationFailed):
            # DRF checks throttles after authentication, so without this a client could
            # try tokens as fast as it likes. Failed attempts count as anonymous.
            self.check_throttles(request)
            raise


# Path parameters, matched by format in urls.py and documented in the schema.
ISSUE_KEY_PATTERN = r"^[A-Za-z][A-Za-z0-9]{1,9}-[0-9]{1,9}$"
TEAM_KEY_PATTERN = r"^[A-Za-z][A-Za-z0-9]{1,9}$"
ID_PATTERN = r"^[0-9]{1,18}$"
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}


# --- ETag / If-Match (optimistic concurrency on issues) ---------------------------

_ETAG_RE = re.compile(r'^\s*(?:W/)?"([^"]*)"\s*$')


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request, current: int) -> int | None:
    """The version the client's If-Match names, or None without one (or with `*`).

    Raises PreconditionFailed (412) at once when it cannot match, so a PATCH with a
    stale or unreadable ETag changes nothing; the service checks again under the row
    lock, which is what makes the check safe against a concurrent writer.
    """
    header = request.headers.get("If-Match")
    if header is None:
        return None
    header = header.strip()
    if header == "*":
        return None
    tags = [part for part in header.split(",") if part.strip()]
    if len(tags) != 1:
        raise MalformedHeader("If-Match", 'Send exactly one ETag, as received, e.g. "3".')
    match = _ETAG_RE.match(tags[0])
    value = match.group(1) if match else tags[0].strip()
    if not value.isdigit() or len(value) > 9 or int(value) != current:
        raise PreconditionFailed(
            f"The issue is at version {current}; your If-Match was {tags[0].strip()[:40]}. "
            "Nothing was changed: GET the issue again and reapply your change."
        )
    return int(value)


class ApiMetadata(SimpleMetadata):
    """OPTIONS answers with the view's name, description and media types. DRF's default
    also describes a form from the view's serializer, which here is the output one: a
    wrong description of what POST accepts. The schema (/api/schema/) is the reference."""

    def determine_actions(self, request, view):
        return {}
