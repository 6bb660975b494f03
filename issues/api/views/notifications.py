"""Your notifications: /notifications/."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import services as notifications_services

from .. import examples
from .. import selectors as api_selectors
from ..base import ID_SCHEMA, ApiViewMixin
from ..pagination import KeysetPagination
from ..serializers import NotificationOutput, ReadCountOutput


class _NotificationFilter(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)


class NotificationList(ApiViewMixin, generics.ListAPIView):
    serializer_class = NotificationOutput
    pagination_class = KeysetPagination

    def get_queryset(self):
        params = _NotificationFilter(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return api_selectors.list_notifications(
            self.request.user, unread=params.validated_data["unread"]
        )

    def get_ordering(self):
        return "newest", ("-created_at", "-id")

    @extend_schema(
        tags=["notifications"],
        summary="Your notifications",
        description="Newest first. `unread=true` for unread ones only.",
        parameters=[OpenApiParameter("unread", bool, description="true: only unread ones.")],
        examples=[examples.ok("notifications", examples.NOTIFICATION_EXAMPLE)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(
    tags=["notifications"],
    summary="Mark a notification read",
    description="Marking a read notification again changes nothing.",
    parameters=[
        OpenApiParameter("id", ID_SCHEMA, OpenApiParameter.PATH, description="Notification id.")
    ],
    request=None,
    responses={200: NotificationOutput},
    examples=[examples.ok("read", examples.READ_RESPONSE)],
)
class NotificationRead(ApiViewMixin, APIView):
    def post(self, request, **kwargs):
        note = api_selectors.get_notification_for_user(request.user, int(kwargs["id"]))
        notifications_services.mark_read(request.user, [note.pk])
        note = api_selectors.list_notifications(request.user).get(pk=note.pk)
        return Response(NotificationOutput(note).data)


@extend_schema(
    tags=["notifications"],
    summary="Mark all notifications read",
    request=None,
    responses={200: ReadCountOutput},
    description="Marks every unread notification of yours read; says how many.",
    examples=[examples.ok("read all", examples.READ_ALL_RESPONSE)],
)
class NotificationReadAll(ApiViewMixin, APIView):
    def post(self, request):
        return Response({"marked_read": notifications_services.mark_read(request.user)})
