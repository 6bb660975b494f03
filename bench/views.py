"""The floors: what Django, and Django with PostgreSQL, cost under the same gunicorn,
middleware and settings as the app.

Floor (b): two anonymous views that touch no database, a constant 50-item JSON list (the
size of an API page) and a trivial template. Floor (c): the issue's "minimal Django view
doing one raw query", the list's page (a team's open issues of a status category, by
priority, 50 rows) read by one hand-written SQL statement on the app's own connection
and returned in floor (b)'s JSON shape: no sign-in, no ORM, no filters, no pickers.
Floor (d): floor (b) behind the app's sign-in (session for the page, bearer token for
the API), which every page a user gets pays before its own work."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

ITEMS = [
    {
        "id": n,
        "key": f"ENG-{n}",
        "title": f"Checkout fails for EU cards when the basket holds item {n}",
        "priority": n % 5 + 1,
        "status": "Todo",
        "assignees": ["bob"],
        "last_activity_at": "2026-01-01T12:00:00Z",
    }
    for n in range(1, 51)
]


def floor_json(request: HttpRequest) -> HttpResponse:
    return JsonResponse(ITEMS, safe=False)


def floor_template(request: HttpRequest) -> HttpResponse:
    return render(request, "bench/floor.html", {"title": "Floor", "count": len(ITEMS)})


# The list's order over the partial index on open issues (issues_open_team_prio_idx),
# read in order and stopped at 50 rows: the team's id is looked up first (an InitPlan),
# since joining the team by its key made the planner read all of the team's open issues
# of the category and sort them (18 ms instead of 1.7 at 100,000 issues). Each row
# carries its status's name and its assignees' usernames, as the list shows.
LIST_PAGE_SQL = """
SELECT i.id, t.key || '-' || i.number, i.title, i.priority, s.name,
       ARRAY(SELECT u.username FROM issues_assignment a
             JOIN accounts_user u ON u.id = a.user_id
             WHERE a.issue_id = i.id ORDER BY u.username),
       i.last_activity_at
FROM issues_issue i
JOIN accounts_team t ON t.id = i.team_id
JOIN issues_status s ON s.id = i.status_id
WHERE i.team_id = (SELECT id FROM accounts_team WHERE key = %s)
  AND i.resolved_at IS NULL AND s.category = %s
ORDER BY i.priority, i.last_activity_at DESC, i.id DESC
LIMIT 50
"""
FIELDS = ("id", "key", "title", "priority", "status", "assignees", "last_activity_at")


def floor_query(request: HttpRequest) -> HttpResponse:
    """Floor (c), PostgreSQL only (the benchmark's database): `?team=KEY&category=C`."""
    with connection.cursor() as cursor:
        cursor.execute(
            LIST_PAGE_SQL, [request.GET.get("team", ""), request.GET.get("category", "")]
        )
        rows = cursor.fetchall()
    # JsonResponse's encoder writes the datetimes as ISO 8601, as DRF does.
    return JsonResponse([dict(zip(FIELDS, row, strict=True)) for row in rows], safe=False)


# Floor (d): floor (b) behind the app's own sign-in, as every page and endpoint a user
# gets is. The page reads the session and the signed-in user (the app's prepared lookup,
# with the unread count every page shows); the endpoint goes through DRF with the API's
# settings: bearer token, IsAuthenticated and the per-user throttle. Nothing else: what
# knowing who asks costs before a page does any work of its own.
@login_required
def floor_signed_in(request: HttpRequest) -> HttpResponse:
    return render(request, "bench/floor.html", {"title": request.user.username, "count": 50})


class FloorTokenView(APIView):
    def get(self, request: Request) -> Response:
        return Response(ITEMS)


floor_token = FloorTokenView.as_view()
