"""A team's webhooks, for its admins: /teams/{key}/webhooks/."""

from __future__ import annotations

from django.core.validators import URLValidator
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from issues import selectors
from notifications import webhooks
from notifications.models import Webhook, WebhookDelivery

from .. import examples, schema
from ..base import ID_SCHEMA, TEAM_KEY_PATTERN, ApiViewMixin
from ..serializers import _StrictInput

TEAM_KEY = OpenApiParameter(
    "key",
    str,
    OpenApiParameter.PATH,
    description="The team key, e.g. ENG.",
    pattern=TEAM_KEY_PATTERN,
    examples=[OpenApiExample("ENG", value="ENG")],
)
WEBHOOK_ID = OpenApiParameter("id", ID_SCHEMA, OpenApiParameter.PATH, description="Webhook id.")

WEBHOOK_EXAMPLE = {
    "id": 3,
    "url": "https://ci.example.com/hooks/tracker",
    "events": ["issue.created", "issue.status_changed"],
    "is_active": True,
    "secret": "q6Yq0w9kR1n0oXk9QmWc3l8J2bV5sT7uZ1aE4dF6gH8",
    "consecutive_failures": 0,
    "disabled_at": None,
    "disabled_reason": "",
    "created_at": "2026-03-01T09:00:00Z",
    "recent_deliveries": [
        {
            "id": "5b0e4c1e-3f7a-4a53-9a57-8d1f2c3b4a5e",
            "event_name": "issue.created",
            "status": "succeeded",
            "attempts": 1,
            "response_code": 200,
            "created_at": "2026-03-01T09:05:00Z",
            "delivered_at": "2026-03-01T09:05:01Z",
        }
    ],
}
WEBHOOK_REQUEST = {
    "url": "https://ci.example.com/hooks/tracker",
    "events": ["issue.created", "issue.status_changed"],
}


class DeliveryOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = (
            "id", "event_name", "status", "attempts", "response_code", "created_at",
            "delivered_at",
        )  # fmt: skip
        read_only_fields = fields


class WebhookOutput(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.CharField())
    recent_deliveries = DeliveryOutput(many=True, source="recent", read_only=True)

    class Meta:
        model = Webhook
        fields = (
            "id", "url", "events", "is_active", "secret", "consecutive_failures",
            "disabled_at", "disabled_reason", "created_at", "recent_deliveries",
        )  # fmt: skip
        read_only_fields = fields


HTTP_ONLY = URLValidator(schemes=["http", "https"], message="Use an http:// or https:// URL.")


class WebhookInput(_StrictInput):
    url = serializers.URLField(max_length=2000, validators=[HTTP_ONLY])
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Webhook.Event.values),
        required=False,
        max_length=20,
        help_text="Event names; empty or missing means all events.",
    )
    is_active = serializers.BooleanField(required=False, default=True)


class WebhookUpdateInput(_StrictInput):
    url = serializers.URLField(max_length=2000, required=False, validators=[HTTP_ONLY])
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Webhook.Event.values), required=False, max_length=20
    )
    is_active = serializers.BooleanField(required=False)


def _admin_team(request, key):
    team = selectors.get_team_for_user(request.user, key)
    permissions.require(request.user, "admin", team)
    return team


def _with_recent(webhook: Webhook) -> Webhook:
    webhook.recent = list(webhooks.list_recent_deliveries(webhook, limit=10))
    return webhook


class WebhookList(ApiViewMixin, APIView):
    @extend_schema(
        tags=["webhooks"],
        summary="A team's webhooks",
        description="Team admins only. Each webhook with its secret (to verify signatures).",
        parameters=[TEAM_KEY],
        responses=WebhookOutput(many=True),
        examples=[examples.ok("webhooks", [WEBHOOK_EXAMPLE])],
    )
    def get(self, request, key):
        team = _admin_team(request, key)
        hooks = list(Webhook.objects.filter(team=team).order_by("id")[:100])
        for hook in hooks:
            hook.recent = []
        return Response(WebhookOutput(hooks, many=True).data)

    @extend_schema(
        tags=["webhooks"],
        summary="Register a webhook",
        description=(
            "Team admins only. Deliveries are JSON POSTs signed with HMAC-SHA256 of "
            "`<X-Tracker-Timestamp>.<body>` with the secret, in `X-Tracker-Signature`."
        ),
        parameters=[TEAM_KEY],
        request=WebhookInput,
        responses={201: WebhookOutput, 400: schema.ProblemOutput},
        examples=[
            examples.request("webhook", WEBHOOK_REQUEST),
            examples.ok("created", WEBHOOK_EXAMPLE, status_codes=["201"]),
        ],
    )
    def post(self, request, key):
        team = _admin_team(request, key)
        data = WebhookInput(data=request.data)
        data.is_valid(raise_exception=True)
        hook = webhooks.create_webhook(team, actor=request.user, **data.validated_data)
        hook.recent = []
        url = request.build_absolute_uri(reverse("api:webhook-detail", args=[team.key, hook.pk]))
        return Response(
            WebhookOutput(hook).data, status=status.HTTP_201_CREATED, headers={"Location": url}
        )


class WebhookDetail(ApiViewMixin, APIView):
    def _get(self, request, key, id):
        team = _admin_team(request, key)
        hook = Webhook.objects.filter(team=team, pk=int(id)).first()
        if hook is None:
            raise Http404("No such webhook.")
        return hook

    @extend_schema(
        tags=["webhooks"],
        summary="A webhook and its last deliveries",
        description="Team admins only. The ten most recent deliveries, newest first.",
        parameters=[TEAM_KEY, WEBHOOK_ID],
        responses=WebhookOutput,
        examples=[examples.ok("webhook", WEBHOOK_EXAMPLE)],
    )
    def get(self, request, key, id):
        return Response(WebhookOutput(_with_recent(self._get(request, key, id))).data)

    @extend_schema(
        tags=["webhooks"],
        summary="Change a webhook",
        description="URL, events or is_active; re-enabling or a new URL clears the failures.",
        parameters=[TEAM_KEY, WEBHOOK_ID],
        request=WebhookUpdateInput,
        responses={200: WebhookOutput, 400: schema.ProblemOutput},
        examples=[
            examples.request("pause", {"is_active": False}),
            examples.ok("webhook", WEBHOOK_EXAMPLE),
        ],
    )
    def patch(self, request, key, id):
        hook = self._get(request, key, id)
        data = WebhookUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        webhooks.update_webhook(hook, actor=request.user, **data.validated_data)
        hook.refresh_from_db()
        return Response(WebhookOutput(_with_recent(hook)).data)

    @extend_schema(
        tags=["webhooks"],
        summary="Delete a webhook",
        description="Team admins only. Its deliveries are deleted with it.",
        parameters=[TEAM_KEY, WEBHOOK_ID],
        responses={204: None},
    )
    def delete(self, request, key, id):
        webhooks.delete_webhook(self._get(request, key, id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
