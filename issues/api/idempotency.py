"""Safe retries for POST: the `Idempotency-Key` header.

A client that did not get an answer (timeout, dropped connection) sends the same POST
again with the same key. If the first one succeeded, the retry gets its answer (same
status, body and headers, plus `Idempotent-Replayed: true`) and nothing new is created.
The same key with a different request (method, path or body) is refused with 422.

Keys are per user and kept for 24 hours (`expire_keys`, which a periodic task should
call; expired keys are also replaced when reused). Only successful answers are kept: a
request refused for bad input can be corrected and sent again with the same key.

Concurrency: the key row is inserted in the same transaction as the object the request
creates, and the unique (user, key) constraint makes a concurrent duplicate wait for
that transaction. When it commits, the duplicate finds the finished answer and replays
it; when it rolls back, the duplicate goes ahead as the first request. (PostgreSQL
blocks the second insert on the unique index; SQLite serializes writers.)
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re

from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.models import IdempotencyKey
from issuetracker.exceptions import IdempotencyConflict, IdempotencyKeyReused, MalformedHeader

HEADER = "Idempotency-Key"
TTL = dt.timedelta(hours=24)
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, e.g. a UUID
_KEPT_HEADERS = ("Location", "ETag")

PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Makes the POST safe to retry: a unique value per intended request (a UUID). A "
        "repeat with the same key and body within 24 hours returns the first answer "
        "without creating anything; the same key with a different body is refused (422). "
        "1 to 255 visible ASCII characters."
    ),
)


def fingerprint(request) -> str:
    try:
        body = request.body
    except RawPostDataException:  # a form body already consumed: not something we accept
        raise exceptions.UnsupportedMediaType(request.content_type) from None
    digest = hashlib.sha256(f"{request.method}\n{request.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def idempotent(post):
    """Decorate an API view's `post`: honour the Idempotency-Key header."""

    @functools.wraps(post)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return post(view, request, *args, **kwargs)
        if not _KEY_RE.match(key):
            raise MalformedHeader(HEADER, "Use 1 to 255 visible ASCII characters, e.g. a UUID.")
        print_ = fingerprint(request)
        now = timezone.now()
        with transaction.atomic():
            IdempotencyKey.objects.filter(
                user=request.user, key=key, created_at__lte=now - TTL
            ).delete()
            try:
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(
                        user=request.user,
                        key=key,
                        fingerprint=print_,
                        response_status=0,
                        created_at=now,
                    )
            except IntegrityError:
                record = None  # taken: by a finished request, or one we just waited for
            if record is not None:
                try:
                    response = post(view, request, *args, **kwargs)
                except Exception as exc:  # answered like DRF would, but inside our transaction
                    response = view.handle_exception(exc)
                if 200 <= response.status_code < 300:
                    record.response_status = response.status_code
                    record.response_body = json.loads(JSONRenderer().render(response.data))
                    record.response_headers = {
                        name: response[name] for name in _KEPT_HEADERS if name in response
                    }
                    record.save(
                        update_fields=["response_status", "response_body", "response_headers"]
                    )
                else:
                    transaction.set_rollback(True)
                return response
        return _replay(request, key, print_)

    return wrapper


def _replay(request, key: str, print_: str) -> Response:
    record = IdempotencyKey.objects.filter(user=request.user, key=key).first()
    if record is None or record.response_status == 0:
        raise IdempotencyConflict()
    if record.fingerprint != print_:
        raise IdempotencyKeyReused()
    return Response(
        record.response_body,
        status=record.response_status,
        headers={**record.response_headers, "Idempotent-Replayed": "true"},
    )


def expire_keys(*, now: dt.datetime | None = None) -> int:
    """Delete keys older than 24 hours; returns how many. For a periodic task."""
    now = now or timezone.now()
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=now - TTL).delete()
    return deleted
