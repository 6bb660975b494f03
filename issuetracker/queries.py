"""Small query helpers shared by the apps."""

from __future__ import annotations

from django.db.models import Model, QuerySet


def the_one[M: Model](queryset: QuerySet[M]) -> M | None:
    """The row of a query that matches at most one (by a unique key), or None. Unlike
    `first()` it adds no ORDER BY: ordering is what costs most in compiling a query with
    annotations (each selected expression is hashed), and a key lookup needs none. (The
    lookups every request makes are `Prepared` queries, sliced to one row the same way.)"""
    return next(iter(queryset[:1]), None)
