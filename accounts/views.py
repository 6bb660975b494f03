from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from issues import selectors


@login_required
def home(request):
    return render(request, "accounts/home.html", selectors.get_home(request.user))


def healthz(request):
    """Liveness for load balancers and docker-compose: the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means unhealthy
        return JsonResponse({"status": "unavailable"}, status=503)
    return HttpResponse("ok", content_type="text/plain")
