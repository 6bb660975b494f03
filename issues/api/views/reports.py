"""Reports in the API: an issue's status periods, and the team reports of the reports
page (/teams/<KEY>/reports/), the same numbers as its tables and CSV."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics
from rest_framework.response import Response
from rest_framework.views import APIView

from ... import reports, selectors
from ...forms import ReportFilterForm
from .. import examples, schema
from ..base import ApiViewMixin
from ..pagination import KeysetPagination
from ..serializers import StatusPeriodOutput
from .issues import _KEY
from .webhooks import TEAM_KEY


@extend_schema(
    tags=["issues"],
    summary="An issue's status periods",
    description=(
        "How the issue moved: one entry per stretch in one status, oldest first, with who "
        "moved it in (null: the system). The current status has `left_at` null and its "
        "`duration_seconds` runs up to now. Periods follow each other without gaps; two "
        "moves within the same second give a zero-length period."
    ),
    parameters=[_KEY],
    examples=[examples.ok("periods", examples.STATUS_PERIODS_RESPONSE)],
)
class IssueStatusPeriods(ApiViewMixin, generics.ListAPIView):
    serializer_class = StatusPeriodOutput
    pagination_class = KeysetPagination

    def get_queryset(self):
        issue = selectors.get_issue_for_user(self.request.user, self.kwargs["key"])
        return selectors.list_status_periods(issue).order_by()

    def get_ordering(self):
        return "entered", ("entered_at", "entered_event_id")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}


_FILTERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (default: 90 days ago)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, inclusive (default: today)."),
    OpenApiParameter("kind", str, many=True, description="Issue kinds, e.g. bug (repeatable)."),
    OpenApiParameter(
        "priority", str, many=True, description="urgent, high, medium, low, none (repeatable)."
    ),
    OpenApiParameter("label", str, many=True, description="Label names (repeatable)."),
    OpenApiParameter(
        "customer", str, enum=["linked", "unlinked"], description="Linked to a customer or not."
    ),
]


@extend_schema(
    tags=["reports"],
    summary="A team report",
    description=(
        "The numbers behind one section of the team's reports page, for a window of whole "
        "days (in the server's time zone) and issue filters. Durations are seconds; "
        "percentiles interpolate linearly (as percentile_cont). `name` is one of: "
        + ", ".join(reports.REPORTS)
        + ". Viewers and up; a bad filter is a 400 naming the parameter."
    ),
    parameters=[
        TEAM_KEY,
        OpenApiParameter(
            "name", str, OpenApiParameter.PATH, enum=list(reports.REPORTS), description="Report."
        ),
        *_FILTERS,
    ],
    responses={200: OpenApiTypes.OBJECT, 400: schema.ProblemOutput},
    examples=[examples.ok("time-in-status", examples.TIME_IN_STATUS_RESPONSE)],
)
class TeamReport(ApiViewMixin, APIView):
    def get(self, request, key, name):
        team = selectors.get_team_for_user(request.user, key)
        if name not in reports.REPORTS:
            raise exceptions.NotFound("No such report.")
        form = ReportFilterForm(request.query_params, team=team)
        if not form.is_valid():
            errors = form.errors.get_json_data()
            raise exceptions.ValidationError(
                {field: [e["message"] for e in messages] for field, messages in errors.items()}
            )
        window = form.report_filter()
        data = reports.REPORTS[name](team, window)
        return Response(
            {
                "team": team.key,
                "report": name,
                "start": window.start,
                "end": window.end,
                "now": window.now,
                "data": data,
            }
        )
