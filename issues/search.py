"""Full-text search over title, description and comments.

PostgreSQL: a tsvector per issue (title weight A, description B, comments C) kept by
the services through `reindex`, a GIN index, websearch syntax ("quoted phrase", -not,
or) and ranking. SQLite: every word must appear in the title, description or a comment
(case-insensitive substring), which is slower but needs nothing installed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from .models import Comment, Issue

CONFIG = "english"
_KEY_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]{1,9})-(\d{1,9})\s*$")
_WORD_RE = re.compile(r"\w+", re.UNICODE)
MAX_QUERY = 200


def weighted_sql(text: str, weight: str) -> str:
    """The SQL expression of one weighted part of the search document."""
    return f"setweight(to_tsvector('{CONFIG}', coalesce({text}, '')), '{weight}')"


def document_sql(title: str, description: str, comments: str) -> str:
    """The SQL expression of an issue's search document, from SQL expressions for its
    title, its description and its comments' bodies joined by spaces in time order."""
    return " || ".join(
        (weighted_sql(title, "A"), weighted_sql(description, "B"), weighted_sql(comments, "C"))
    )


# A fixed statement: document_sql only joins these constant expressions.
_REINDEX_SQL = "UPDATE issues_issue AS i SET search_vector = " + document_sql(  # noqa: S608  # nosec B608
    "i.title",
    "i.description",
    "(SELECT string_agg(c.body, ' ' ORDER BY c.created_at, c.id) FROM issues_comment AS c"
    " WHERE c.issue_id = i.id)",
)


def new_document(title: str, description: str) -> SearchVector | None:
    """The search document of a new issue (no comments yet) from its values, for the
    INSERT to write: what `reindex` computes from the row (keep the two in step).
    None off PostgreSQL."""
    if not is_postgres():
        return None
    return SearchVector(Value(title), weight="A", config=CONFIG) + SearchVector(
        Value(description), weight="B", config=CONFIG
    )


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


def _significant(text: str, limit: int) -> list[str]:
    return [w for w in dict.fromkeys(words(text)) if len(w) > 2][:limit]


# A title this trigram-similar (0..1) to the typed one is a candidate even without a
# shared word ("Safari login failure" for "Login fails on Safari").
TRIGRAM_MIN = 0.2


def similar(
    qs: QuerySet[Issue], text: str, *, description: str = "", limit: int = 5
) -> list[Issue]:
    """The issues of `qs` most like a title being typed (and, optionally, the text that
    goes with it), best first, each with a `similarity` score. Callers scope `qs` (one
    team's open issues); nothing here widens it.

    PostgreSQL: trigram similarity of the titles (pg_trgm; the better of whole-title and
    word similarity, so word order and endings matter little; a GIN trigram index serves
    the candidate filter) plus the full-text rank of the title's and description's words
    against each issue's document (title, description, comments). SQLite: the number of
    significant title words the titles share.
    """
    text = (text or "")[:MAX_QUERY]
    terms = _significant(text, 12)
    if not terms:
        return []
    if is_postgres():
        return _similar_postgres(qs, text, terms, _significant(description, 12), limit)
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
        qs.filter(any_word)
        .annotate(rank=score, similarity=score)
        .order_by("-rank", "-last_activity_at", "-pk")[:limit]
    )


def _similar_postgres(qs, text, terms, extra_terms, limit) -> list[Issue]:
    from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
    from django.db.models import FloatField
    from django.db.models.functions import Cast, Greatest

    query = None
    for term in dict.fromkeys([*terms, *extra_terms]):
        part = SearchQuery(term, search_type="plain", config=CONFIG)
        query = part if query is None else query | part
    title_score = Greatest(TrigramSimilarity("title", text), TrigramWordSimilarity(text, "title"))
    return list(
        qs.filter(
            Q(title__trigram_similar=text)
            | Q(title__trigram_word_similar=text)
            | Q(search_vector=query)
        )
        .annotate(
            title_score=title_score,
            rank=Cast(SearchRank(F("search_vector"), query), FloatField()),
        )
        .annotate(similarity=F("title_score") + F("rank"))
        .filter(Q(title_score__gte=TRIGRAM_MIN) | Q(search_vector=query))
        .order_by("-similarity", "-last_activity_at", "-pk")[:limit]
    )
