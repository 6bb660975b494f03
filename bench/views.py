"""Floor (b): what Django itself costs under the same gunicorn, middleware and settings.

Both views are anonymous and touch no database: a constant 50-item JSON list (the size
of an API page) and a trivial template."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

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
