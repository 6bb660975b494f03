"""One error shape for the whole REST API: RFC 9457 problem details.

Every error response is `application/problem+json` with `type`, `title`, `status` and
`detail`, plus `errors` ({field: [messages]}) when particular inputs are at fault:

    {"type": "/api/problems/validation-error", "title": "Invalid input", "status": 400,
     "detail": "title: This field is required.", "errors": {"title": ["This field is required."]}}

Domain exceptions are mapped here, so views just call the services: DomainError → 400
naming its field, StaleVersion → 412, Django's PermissionDenied → 403 and Http404 → 404.
`type` is a stable identifier per kind of problem; GET it (/api/problems/<name>) for a
description.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings

from issues.services import AttachmentTooLarge, DomainError, StaleVersion

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "/api/problems/"

# name: (status, title, description). The name is the last part of `type`.
PROBLEMS: dict[str, tuple[int, str, str]] = {
    "validation-error": (
        400,
        "Invalid input",
        "One or more inputs were refused; `errors` maps each field (or query or header "
        "parameter) to its messages. Nothing was changed.",
    ),
    "malformed-request": (
        400,
        "Malformed request",
        "The body is not valid JSON, or a header has a value that cannot be read.",
    ),
    "not-authenticated": (
        401,
        "Authentication required",
        "Send a personal access token as `Authorization: Bearer <token>` (or use a browser "
        "session). The token may be wrong, expired or revoked.",
    ),
    "permission-denied": (
        403,
        "Permission denied",
        "Your role in the team does not allow this (for example a viewer writing).",
    ),
    "not-found": (
        404,
        "Not found",
        "No such resource, or it belongs to a team you are not a member of.",
    ),
    "method-not-allowed": (405, "Method not allowed", "See the `Allow` header."),
    "not-acceptable": (406, "Not acceptable", "The API answers with JSON only."),
    "idempotency-conflict": (
        409,
        "Request in progress",
        "A request with the same Idempotency-Key is still being processed; retry shortly.",
    ),
    "stale-version": (
        412,
        "Precondition failed",
        "The issue changed since you read it: its version no longer matches your If-Match. "
        "Nothing was changed; GET the issue again and reapply your change.",
    ),
    "payload-too-large": (413, "Payload too large", "The request body is too large."),
    "unsupported-media-type": (
        415,
        "Unsupported media type",
        "Send request bodies as `Content-Type: application/json`.",
    ),
    "idempotency-key-reused": (
        422,
        "Idempotency-Key reused",
        "This Idempotency-Key was already used with a different request (method, path or "
        "body). Use a new key for a new request.",
    ),
    "rate-limited": (
        429,
        "Too many requests",
        "You sent too many requests; wait the number of seconds in `Retry-After`.",
    ),
}

_BY_STATUS = {status_code: name for name, (status_code, _, _) in PROBLEMS.items()}
_BY_STATUS[400] = "validation-error"


def problem_type(name: str) -> str:
    return TYPE_PREFIX + name


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you read it."
    default_code = "stale-version"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = PROBLEMS["idempotency-key-reused"][2]
    default_code = "idempotency-key-reused"


class IdempotencyConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = PROBLEMS["idempotency-conflict"][2]
    default_code = "idempotency-conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload-too-large"


class MalformedHeader(exceptions.APIException):
    """A header the API reads (If-Match, Idempotency-Key) has an unreadable value."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "malformed-request"

    def __init__(self, header: str, message: str):
        super().__init__(f"{header}: {message}")
        self.errors = {header: [message]}


def field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into {"field": [...], "items.0": [...]}."""
    key = prefix or api_settings.NON_FIELD_ERRORS_KEY
    if isinstance(detail, dict):
        found: dict[str, list[str]] = {}
        for name, value in detail.items():
            for field, messages in field_errors(
                value, f"{prefix}.{name}" if prefix else str(name)
            ).items():
                found.setdefault(field, []).extend(messages)
        return found
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {key: [str(item) for item in detail]} if detail else {}
        found = {}
        for index, item in enumerate(detail):
            if item:
                for field, messages in field_errors(item, f"{key}.{index}").items():
                    found.setdefault(field, []).extend(messages)
        return found
    return {key: [str(detail)]}


def _summary(errors: dict[str, list[str]]) -> str:
    parts = [f"{field}: {' '.join(messages)}" for field, messages in errors.items()]
    return "; ".join(parts) if parts else "Invalid input."


def problem_response(
    status_code: int,
    detail: str,
    *,
    name: str | None = None,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem-details response; `name` picks the type (by default from the status)."""
    name = name or _BY_STATUS.get(status_code)
    if name is None:
        type_, title = "about:blank", f"HTTP {status_code}"
    else:
        type_, title = problem_type(name), PROBLEMS[name][1]
    body: dict[str, Any] = {"type": type_, "title": title, "status": status_code, "detail": detail}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's EXCEPTION_HANDLER: map domain and HTTP errors to problem details."""
    extra: dict[str, Any] = {}
    if isinstance(exc, StaleVersion):
        extra["current_version"] = exc.current_version
        exc = PreconditionFailed(exc.message)
    elif isinstance(exc, AttachmentTooLarge):
        exc = PayloadTooLarge(exc.message)
    elif isinstance(exc, DomainError):
        exc = exceptions.ValidationError(
            {exc.field or api_settings.NON_FIELD_ERRORS_KEY: [exc.message]}
        )
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        # "No Issue matches the given query." and the like say nothing more than 404.
        exc = exceptions.NotFound(
            str(exc) if exc.args and "matches the given" not in str(exc) else None
        )

    from rest_framework.views import exception_handler  # here: DRF's views load our settings

    response = exception_handler(exc, context)
    if response is None:
        return None

    errors = None
    name = (
        getattr(exc, "default_code", None) if getattr(exc, "default_code", "") in PROBLEMS else None
    )
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        detail = _summary(errors)
        name = "validation-error"
    elif isinstance(exc, MalformedHeader):
        errors = exc.errors
        detail = str(exc.detail)
    elif isinstance(exc, exceptions.ParseError):
        detail = str(exc.detail)
        name = "malformed-request"
    elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        detail = str(exc.detail)
        name = "not-authenticated"
    elif isinstance(exc, exceptions.Throttled):
        detail = (
            f"Too many requests. Retry in {exc.wait:.0f} seconds." if exc.wait else str(exc.detail)
        )
        name = "rate-limited"
    else:
        detail = (
            str(exc.detail)
            if not isinstance(exc.detail, (list, dict))
            else _summary(field_errors(exc.detail))
        )
    headers = {
        key: value
        for key, value in response.items()
        if key.lower() in {"www-authenticate", "retry-after", "allow"}
    }
    return problem_response(
        response.status_code, detail, name=name, errors=errors, headers=headers, **extra
    )
