from django.contrib import admin

from .models import CustomerEmail, Notification, Outbox, Preference, Webhook, WebhookDelivery


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "recipient",
        "kind",
        "issue",
        "created_at",
        "read_at",
        "email_mode",
        "emailed_at",
    )
    list_filter = ("kind", "email_mode")
    list_select_related = ("recipient", "issue__team")
    raw_id_fields = ("recipient", "issue", "event")
    readonly_fields = (
        "recipient", "kind", "issue", "event", "created_at", "email_mode", "email_claimed_at",
        "emailed_at",
    )  # fmt: skip

    def has_add_permission(self, request):
        return False


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "last_digest_at")
    raw_id_fields = ("user",)


@admin.register(Outbox)
class OutboxAdmin(admin.ModelAdmin):
    """Read-only: what is waiting to be turned into notifications."""

    list_display = ("pk", "created_at", "processed_at", "attempts")
    list_filter = (("processed_at", admin.EmptyFieldListFilter),)
    readonly_fields = ("event_ids", "created_at", "processed_at", "attempts")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """Read-only: team admins manage webhooks on their team's settings page (which
    generates the secret and validates the URL); here they can only be deleted."""

    list_display = ("url", "team", "is_active", "consecutive_failures", "disabled_at")
    list_filter = ("is_active",)
    list_select_related = ("team",)
    search_fields = ("url",)
    exclude = ("secret",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Read-only: what was sent to each webhook, and how it went."""

    list_display = (
        "event_name", "webhook", "status", "attempts", "response_code", "created_at",
        "delivered_at",
    )  # fmt: skip
    list_filter = ("status", "event_name")
    list_select_related = ("webhook",)
    raw_id_fields = ("webhook", "event")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CustomerEmail)
class CustomerEmailAdmin(admin.ModelAdmin):
    """Read-only: emails to customers, one per (event, customer)."""

    list_display = ("to", "event", "created_at", "sent_at")
    list_filter = (("sent_at", admin.EmptyFieldListFilter),)
    list_select_related = ("event__issue__team",)
    readonly_fields = ("event", "customer", "to", "created_at", "claimed_at", "sent_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
