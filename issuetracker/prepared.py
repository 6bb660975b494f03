"""Queries compiled once per process, then run with new values.

Every request asks the same few lookups: the signed-in user, their teams, the issue by
its key, its timeline. Their shape never changes, only the ids; yet the ORM builds and
compiles each one anew, and compiling (joins, selected columns, annotations, ordering)
costs more CPU than PostgreSQL spends answering them. `Prepared` compiles a query the
first time it runs on a database and keeps its SQL; later runs put the new ids into the
kept parameters and let Django read the rows exactly as it would have (select_related,
annotations, converters, prefetches): the same SQL, the same objects, less work.

Only integers and strings (ids, numbers, keys, digests) and querysets (a subquery:
`pk__in=ids`, the ids a filtered query picks) are prepared. Anything else (None, a
bool, a list) runs the query the ordinary way, since such values can change the SQL
itself (`IS NULL`, `IN (...)`). A subquery is compiled on each run (it is what varies)
and its SQL put in its place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.expressions import RawSQL

# Two sets of stand-in values, compiled one after the other: a parameter that differs
# between the two compilations is a value, one that does not is part of the query. The
# numbers are inside PostgreSQL's integer range (an out-of-range value empties an
# integer lookup); the strings could not be typed by anyone.
_FIRST = 2_000_000_000
_SECOND = 2_100_000_000


def _kind(value: Any) -> type | None:
    if isinstance(value, QuerySet):
        return QuerySet
    return type(value) if type(value) in (int, str) else None


def _stand_in(kind: type, index: int, base: int) -> Any:
    if kind is int:
        return base + index
    if kind is str:
        return f"\x00prepared {base + index}"
    # A subquery: compiled as a marked one-parameter SELECT, which each run replaces
    # with the SQL of the queryset given.
    return RawSQL(_subquery_mark(index), (base + index,))  # noqa: S611  # nosec B611


def _subquery_mark(index: int) -> str:
    return f"SELECT %s /* prepared subquery {index} */"


@dataclass(frozen=True)
class _Compiled:
    queryset: QuerySet
    compiler_class: type
    state: dict[str, Any]  # what compiling set on the compiler: select, klass_info, ...
    sql: str
    params: tuple
    # (parameter position, value index, the type the backend passes it as: psycopg's
    # Int4 for an integer column on PostgreSQL, the value's own type otherwise; QuerySet
    # for a subquery), by position
    slots: tuple[tuple[int, int, type], ...]


class Prepared[M: Model]:
    """`build(*values)` returns the queryset; `prepared(*values)` runs it and returns its
    rows as a list. `build` must use each value as it is, as a parameter of the query
    (a filter or an annotation's argument): compiling checks that and raises TypeError
    otherwise, on the first run, so a test of the caller finds it."""

    def __init__(self, build: Callable[..., QuerySet[M]]):
        self.build = build
        self._model: type[Model] | None = None
        # By database and the values' types.
        self._compiled: dict[tuple[str, tuple[type, ...]], _Compiled] = {}
        self._lock = threading.Lock()

    def __call__(self, *values: Any) -> list[M]:
        kinds = tuple(_kind(value) for value in values)
        if None in kinds:
            return list(self.build(*values))
        compiled = None
        if self._model is not None:
            database = router.db_for_read(self._model) or "default"
            compiled = self._compiled.get((database, kinds))
        if compiled is None:
            compiled = self._compile(kinds)
        try:
            queryset = _with_sql(compiled, values)
        except EmptyResultSet:  # a subquery that can match nothing (`pk__in=[]`)
            return []
        return list(queryset)

    def one(self, *values: Any) -> M | None:
        """The first row, or None: for a query sliced to one row (`the_one`'s lookups)."""
        rows = self(*values)
        return rows[0] if rows else None

    def _compile(self, kinds: tuple[type, ...]) -> _Compiled:
        with self._lock:
            first_values = tuple(_stand_in(k, i, _FIRST) for i, k in enumerate(kinds))
            second_values = tuple(_stand_in(k, i, _SECOND) for i, k in enumerate(kinds))
            queryset = self.build(*first_values)
            self._model = queryset.model
            if compiled := self._compiled.get((queryset.db, kinds)):
                return compiled
            name = queryset.model.__name__
            compiler = queryset.query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
            second = self.build(*second_values).query.get_compiler(using=queryset.db)
            other_sql, other_params = second.as_sql()
            if sql != other_sql or len(params) != len(other_params):
                raise TypeError(f"{name}: the SQL depends on the values")
            plain = [
                _FIRST + i if k is QuerySet else v
                for i, (k, v) in enumerate(zip(kinds, first_values, strict=True))
            ]
            index_of = {value: index for index, value in enumerate(plain)}
            slots = []
            for position, (first, other) in enumerate(zip(params, other_params, strict=True)):
                if first == other:
                    continue
                index = index_of.get(first, -1) if type(first) is not bool else -1
                if index < 0 or other != (
                    _SECOND + index if kinds[index] is QuerySet else second_values[index]
                ):
                    raise TypeError(
                        f"{name}: parameter {position} is not a value as given (prepared "
                        "values must be used unchanged)"
                    )
                if kinds[index] is QuerySet:
                    if sql.count(_subquery_mark(index)) != 1:
                        raise TypeError(f"{name}: subquery {index} is not used once")
                    slots.append((position, index, QuerySet))
                else:
                    slots.append((position, index, type(first)))
            if {index for _, index, _ in slots} != set(range(len(kinds))):
                raise TypeError(f"{name}: a value is not a parameter")
            state = {
                attribute: value
                for attribute, value in vars(compiler).items()
                if attribute not in {"query", "connection", "using", "elide_empty", "quote_cache"}
            }
            compiled = _Compiled(
                queryset=queryset,
                compiler_class=type(compiler),
                state=state,
                sql=sql,
                params=tuple(params),
                slots=tuple(slots),
            )
            self._compiled[queryset.db, kinds] = compiled
            return compiled


def _subquery_sql(queryset: QuerySet) -> tuple[str, tuple]:
    """The SQL of `queryset` as `pk__in=queryset` makes it a subquery: without an
    ordering it does not need (one that a slice needs stays), its primary key alone
    unless it selects a column of its own."""
    query = queryset.query.clone()
    query.clear_ordering(clear_default=True)
    if not query.has_select_fields:
        query.clear_select_clause()
        query.add_fields(["pk"])
    sql, params = query.get_compiler(using=queryset.db).as_sql()
    return sql, tuple(params)


def _with_sql(compiled: _Compiled, values: tuple) -> QuerySet:
    """A fresh copy of the compiled queryset whose compiler hands out the kept SQL with
    `values` in their places, already set up as compiling would have set it up. A
    subquery's SQL takes the place of its mark, its parameters the place of the mark's
    one (from the last position back, so the earlier ones stay where they are)."""
    sql, params = compiled.sql, list(compiled.params)
    for position, index, kind in reversed(compiled.slots):
        value = values[index]
        if kind is QuerySet:
            inner_sql, inner_params = _subquery_sql(value)
            sql = sql.replace(_subquery_mark(index), inner_sql)
            params[position : position + 1] = inner_params
        else:
            params[position] = value if type(value) is kind else kind(value)
    params = tuple(params)
    queryset = compiled.queryset._chain()
    query = queryset.query

    def get_compiler(using=None, connection=None, elide_empty=True):
        connection = connection or connections[using]
        compiler = compiled.compiler_class(query, connection, using, elide_empty)
        vars(compiler).update(compiled.state)
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        return compiler

    query.get_compiler = get_compiler
    return queryset
