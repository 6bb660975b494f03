"""Not endpoints: problem type descriptions and the API's 404."""

from __future__ import annotations

from django.urls import Resolver404, resolve
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from issuetracker.exceptions import PROBLEMS, problem_type

from ..base import ApiViewMixin


@extend_schema(exclude=True)
class ProblemTypeView(APIView):
    """What a problem `type` means: its URI dereferences here."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get(self, request, name):
        if name not in PROBLEMS:
            raise NotFound("No such problem type.")
        status_code, title, description = PROBLEMS[name]
        return Response(
            {
                "type": problem_type(name),
                "title": title,
                "status": status_code,
                "description": description,
            }
        )


@extend_schema(exclude=True)
class NotFoundView(ApiViewMixin, APIView):
    """Anything under /api/ that is not an endpoint: a problem-details 404."""

    permission_classes = [AllowAny]

    def http_method_not_allowed(self, request, *args, **kwargs):
        path = request.path_info
        if not path.endswith("/") and _is_endpoint(path + "/"):
            raise NotFound(f"No such endpoint; did you mean {path}/ (with a slash at the end)?")
        raise NotFound("No such endpoint. See /api/docs/.")

    get = post = put = patch = delete = head = options = http_method_not_allowed


def _is_endpoint(path: str) -> bool:
    try:
        return resolve(path).func.view_class is not NotFoundView
    except Resolver404:
        return False
