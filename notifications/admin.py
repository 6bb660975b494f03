from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "issue", "created_at", "read_at")
    list_filter = ("kind",)
    list_select_related = ("recipient", "issue__team")
    raw_id_fields = ("recipient", "issue", "event")
    readonly_fields = ("recipient", "kind", "issue", "event", "created_at", "emailed_at")

    def has_add_permission(self, request):
        return False
