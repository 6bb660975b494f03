"""What the benchmark asks for is picked from the data by stated rules (PostgreSQL)."""

import pytest
from django.db import connection

from bench.scenario import pick_word
from issues import services
from issues.models import Issue

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="ts_stat is PostgreSQL's"),
]


def test_the_search_word_fills_a_page_of_the_teams_open_issues(eng, alice, status):
    """'walrus' is the rarer word (nearer 1%), but most of the team's walrus issues are
    closed: its search would measure a part-empty page, so the common word wins."""
    closed = status("Closed")
    for i in range(60):
        services.create_issue(
            eng, actor=alice, title=f"walrus report {i}", status=closed if i < 40 else None
        )
    for i in range(60):
        services.create_issue(eng, actor=alice, title=f"report {i}")
    word, count = pick_word(Issue.objects.count(), eng)
    assert (word, count) == ("report", 120)
