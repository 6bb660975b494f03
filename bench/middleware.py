"""Counts the SQL queries of each request and says so in a response header (bench only).

`X-Bench-Queries: <n>` and `X-Bench-Worker: <pid>` (the gunicorn worker that answered,
which the load process uses to spread its connections over the workers) on every
response. A request that sends `X-Bench-Capture: 1` also
gets `X-Bench-SQL`: the statements as the server sent them (parameters bound), base64 of
zlib-compressed JSON, which the benchmark replays under EXPLAIN ANALYZE (floor a).

The cost is one context manager per request and one extra Python call per query: the
benchmark measures it and prints it beside the results.
"""

from __future__ import annotations

import base64
import json
import os
import zlib
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse

COUNT_HEADER = "X-Bench-Queries"
WORKER_HEADER = "X-Bench-Worker"
CAPTURE_HEADER = "X-Bench-Capture"
CAPTURE_META = "HTTP_X_BENCH_CAPTURE"
SQL_HEADER = "X-Bench-SQL"


class _Counter:
    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class _Recorder(_Counter):
    __slots__ = ("statements",)

    def __init__(self) -> None:
        super().__init__()
        self.statements: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        result = super().__call__(execute, sql, params, many, context)
        raw = context["cursor"].cursor
        if many:
            self.statements.append(sql)
        else:
            self.statements.append(connection.ops.last_executed_query(raw, sql, params))
        return result


def encode_statements(statements: list[str]) -> str:
    return base64.b64encode(zlib.compress(json.dumps(statements).encode())).decode("ascii")


def decode_statements(value: str) -> list[str]:
    return json.loads(zlib.decompress(base64.b64decode(value)))


class QueryCountMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        capture = request.META.get(CAPTURE_META) == "1"
        counter = _Recorder() if capture else _Counter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response[COUNT_HEADER] = str(counter.count)
        response[WORKER_HEADER] = str(os.getpid())
        if capture:
            response[SQL_HEADER] = encode_statements(counter.statements)
        return response
