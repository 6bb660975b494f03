"""Keyset (cursor) pagination for every API list.

DRF's CursorPagination positions on the first ordering field alone and counts ties
with an offset capped at 1000, so a list sorted by priority (five values) breaks past
a thousand issues of one priority. This paginator compares the whole ordering tuple,
which ends in the primary key and so is unique: the next page is "rows after the last
row's (priority, last_activity_at, id)". Pages stay stable while rows are added, each
page is one indexed query whatever its depth, and a cursor never skips or repeats a row
that did not move.

The cursor is opaque to clients: base64 of the ordering name and the boundary row's
values. A cursor from another ordering, or one that does not decode, is a 400.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections import OrderedDict
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class _Params(serializers.Serializer):
    cursor = serializers.CharField(required=False, max_length=1000)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)


class KeysetPagination(BasePagination):
    """Views say how they are ordered with `get_ordering()` -> (name, fields), where the
    fields end in a unique one (the id). A view whose rows are wide may also define
    `load_page_rows(ids, order)`: the page is then picked by id (`ids`, a subquery), and
    only its rows are loaded whole, in `order`."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list:
        params = _Params(data=request.query_params)
        params.is_valid(raise_exception=True)
        self.page_size = params.validated_data.get("page_size", DEFAULT_PAGE_SIZE)
        self.request = request
        self.ordering_name, self.ordering = view.get_ordering()
        self.model = queryset.model
        self.base_url = request.build_absolute_uri()

        raw = params.validated_data.get("cursor")
        position, reverse = self._decode(raw) if raw else (None, False)
        order = [_flip(f) for f in self.ordering] if reverse else list(self.ordering)
        if position is not None:
            queryset = queryset.filter(self._after(order, position))
        page = queryset.order_by(*order)[: self.page_size + 1]
        load_rows = getattr(view, "load_page_rows", None)
        # A view with `load_page_rows` picks the page's ids by the narrow filtered query,
        # as the subquery of the one that loads just those rows whole, in the same order.
        # Loaded by the filtered query itself, every match (thousands) was joined to its
        # related rows and carried whole through the sort before the LIMIT.
        rows = list(page) if load_rows is None else list(load_rows(page.values("pk"), order))
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if reverse:
            rows.reverse()
        self.next_position = self.previous_position = None
        if rows:
            if more or reverse:
                self.next_position = self._values(rows[-1])
            if position is not None and (more or not reverse):
                self.previous_position = self._values(rows[0])
        return rows

    def get_paginated_response(self, data) -> Response:
        return Response(
            OrderedDict(
                [
                    ("next", self._link(self.next_position, reverse=False)),
                    ("previous", self._link(self.previous_position, reverse=True)),
                    ("results", data),
                ]
            )
        )

    # -- cursors ---------------------------------------------------------------------

    def _field(self, name: str) -> models.Field:
        return self.model._meta.get_field(name.lstrip("-"))

    def _values(self, row: Any) -> list:
        values = []
        for name in self.ordering:
            value = getattr(row, self._field(name).attname)
            values.append(value.isoformat() if isinstance(value, dt.datetime) else value)
        return values

    def _link(self, position: list | None, *, reverse: bool) -> str | None:
        if position is None:
            return None
        payload = json.dumps({"o": self.ordering_name, "p": position, "r": int(reverse)})
        token = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def _decode(self, raw: str) -> tuple[list, bool]:
        invalid = serializers.ValidationError(
            {self.cursor_query_param: ["Invalid cursor: use the next or previous link as is."]}
        )
        try:
            payload = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise invalid from None
        if (
            not isinstance(payload, dict)
            or payload.get("o") != self.ordering_name
            or not isinstance(payload.get("p"), list)
            or len(payload["p"]) != len(self.ordering)
            or payload.get("r") not in (0, 1)
        ):
            raise invalid
        values = []
        for name, value in zip(self.ordering, payload["p"], strict=True):
            parsed = self._parse(self._field(name), value)
            if parsed is None:
                raise invalid
            values.append(parsed)
        return values, bool(payload["r"])

    @staticmethod
    def _parse(field: models.Field, value: Any) -> Any:
        if isinstance(field, models.DateTimeField):
            try:
                parsed = parse_datetime(value) if isinstance(value, str) else None
            except ValueError:
                return None
            return parsed if parsed is not None and parsed.tzinfo is not None else None
        if isinstance(field, (models.IntegerField, models.AutoField)):
            ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
            return value if ok else None
        if isinstance(field, models.CharField):
            return value if isinstance(value, str) and "\x00" not in value else None
        return None

    def _after(self, order: list[str], position: list) -> Q:
        """Rows strictly after `position` in `order`: (a > x) or (a = x and b > y) or ..."""
        condition = Q()
        equal = Q()
        for name, value in zip(order, position, strict=True):
            field = self._field(name).attname
            lookup = "lt" if name.startswith("-") else "gt"
            condition |= equal & Q(**{f"{field}__{lookup}": value})
            equal &= Q(**{field: value})
        return condition

    # -- schema ----------------------------------------------------------------------

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: copy it from a `next` or `previous` link.",
                "schema": {"type": "string", "maxLength": 1000},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Results per page (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE})."
                ),
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {
                    **link,
                    "description": "The next page, or null on the last page.",
                    "example": "https://tracker.example.com/api/v1/issues/?cursor=eyJvIjoi",
                },
                "previous": {
                    **link,
                    "description": "The previous page, or null on the first.",
                    "example": None,
                },
                "results": schema,
            },
        }


def _flip(name: str) -> str:
    return name[1:] if name.startswith("-") else f"-{name}"
