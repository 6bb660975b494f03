"""Who you are and your teams: /me/, /teams/."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from ... import selectors
from .. import examples
from .. import selectors as api_selectors
from ..base import TEAM_KEY_PATTERN, ApiViewMixin
from ..pagination import KeysetPagination
from ..serializers import MeOutput, TeamDetailOutput, TeamOutput


@extend_schema(
    tags=["me"],
    summary="The current user",
    description="Who the token (or session) acts as, with their teams and roles.",
    responses=MeOutput,
    examples=[examples.ok("me", examples.ME_RESPONSE)],
)
class MeView(ApiViewMixin, APIView):
    def get(self, request):
        return Response(MeOutput(api_selectors.get_me(request.user)).data)


@extend_schema_view(
    get=extend_schema(
        tags=["teams"],
        summary="Your teams",
        description="The teams you are a member of, by key, with your role in each.",
        examples=[examples.ok("teams", examples.TEAMS_RESPONSE)],
    )
)
class TeamList(ApiViewMixin, generics.ListAPIView):
    serializer_class = TeamOutput
    pagination_class = KeysetPagination

    def get_queryset(self):
        return api_selectors.list_teams(self.request.user)

    def get_ordering(self):
        return "key", ("key",)


@extend_schema(
    tags=["teams"],
    summary="A team",
    description=(
        "One of your teams with its workflow (statuses in order, each in a category), its "
        "labels and its members with their roles: the names the issue endpoints accept."
    ),
    parameters=[
        OpenApiParameter(
            "key",
            str,
            OpenApiParameter.PATH,
            description="The team key, e.g. ENG.",
            pattern=TEAM_KEY_PATTERN,
            examples=[OpenApiExample("ENG", value="ENG")],
        )
    ],
    responses=TeamDetailOutput,
    examples=[examples.ok("team", examples.TEAM_RESPONSE)],
)
class TeamDetail(ApiViewMixin, APIView):
    def get(self, request, key):
        team = api_selectors.get_team_detail(selectors.get_team_for_user(request.user, key))
        return Response(TeamDetailOutput(team, context={"request": request}).data)
