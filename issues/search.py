"""Full-text search over title, description and comments.

PostgreSQL: a tsvector per issue (title weight A, description B, comments C) kept by
the services through `reindex`, a GIN index, websearch syntax ("quoted phrase", -not,
or) and ranking. SQLite: every word must appear in the title, description or a comment
(case-insensitive substring), which is slower but needs nothing installed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from .models import Comment, Issue

CONFIG = "english"
_KEY_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]{1,9})-(\d{1,9})\s*$")
_WORD_RE = re.compile(r"\w+", re.UNICODE)
MAX_QUERY = 200

_REINDEX_SQL = """
UPDATE issues_issue AS i SET search_vector =
    setweight(to_tsvector('english', coalesce(i.title, '')), 'A')
    || setweight(to_tsvector('english', coalesce(i.description, '')), 'B')
    || setweight(to_tsvector('english', coalesce(
        (SELECT string_agg(c.body, ' ' ORDER BY c.created_at, c.id) FROM issues_comment AS c
         WHERE c.issue_id = i.id), ''
    )), 'C')
"""


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def reindex(issue_ids: Iterable[int] | None = None) -> None:
    """Recompute the search document of these issues (all when None). PostgreSQL only."""
    if not is_postgres():
        return
    with connection.cursor() as cursor:
        if issue_ids is None:
            cursor.execute(_REINDEX_SQL)
        else:
            cursor.execute(_REINDEX_SQL + " WHERE i.id = ANY(%s)", [list(issue_ids)])


def words(text: str) -> list[str]:
    return _WORD_RE.findall((text or "")[:MAX_QUERY].lower())


def search(qs: QuerySet[Issue], q: str) -> QuerySet[Issue]:
    """Issues of `qs` matching `q`, annotated with `rank` (higher is better).

    A key such as ENG-42 finds that issue directly.
    """
    q = (q or "").strip()[:MAX_QUERY]
    if not q:
        return qs
    key = _KEY_RE.match(q)
    by_key = Q(team__key=key.group(1).upper(), number=int(key.group(2))) if key else Q(pk__in=[])
    if is_postgres():
        query = SearchQuery(q, search_type="websearch", config=CONFIG)
        return qs.filter(Q(search_vector=query) | by_key).annotate(
            rank=SearchRank(F("search_vector"), query)
        )
    terms = words(q)
    if not terms and not key:
        return qs.none().annotate(rank=Value(0, output_field=IntegerField()))
    text_match = Q()
    for term in terms:
        text_match &= (
            Q(title__icontains=term)
            | Q(description__icontains=term)
            | Q(pk__in=Comment.objects.filter(body__icontains=term).values("issue_id"))
        )
    return qs.filter(text_match | by_key).annotate(
        rank=Case(
            When(title__icontains=terms[0] if terms else q, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )


def similar(qs: QuerySet[Issue], text: str, *, limit: int = 5) -> list[Issue]:
    """The issues of `qs` most similar to `text` (a title being typed), best first.

    Any shared word counts (OR), ranked by how well they match; very short and
    common words are ignored.
    """
    terms = [w for w in dict.fromkeys(words(text)) if len(w) > 2][:12]
    if not terms:
        return []
    if is_postgres():
        query = None
        for term in terms:
            part = SearchQuery(term, search_type="plain", config=CONFIG)
            query = part if query is None else query | part
        return list(
            qs.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-last_activity_at")[:limit]
        )
    score = sum(
        (
            Case(
                When(title__icontains=t, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
            for t in terms
        ),
        Value(0),
    )
    any_word = Q()
    for t in terms:
        any_word |= Q(title__icontains=t)
    return list(
        qs.filter(any_word).annotate(rank=score).order_by("-rank", "-last_activity_at")[:limit]
    )
