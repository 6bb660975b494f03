from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, AuditEntry, IdempotencyKey, Membership, Team, User


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records the application writes and nobody edits: timelines, the audit log."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Profile", {"fields": ("display_name",)}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),
    )
    list_display = ("username", "email", "display_name", "is_staff", "is_active")
    search_fields = ("username", "email", "display_name", "first_name", "last_name")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "next_number", "created_at")
    search_fields = ("key", "name")
    readonly_fields = ("next_number",)
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # New teams get the default workflow, exactly as through the service.
        from issues.services import create_team

        team = create_team(key=obj.key, name=obj.name, actor=None)
        if obj.description:
            team.description = obj.description
            team.save(update_fields=["description"])
        obj.pk = team.pk
        obj._state.adding = False
        obj._state.db = team._state.db


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "team", "role", "created_at")
    list_filter = ("team", "role")
    autocomplete_fields = ("user", "team")
    search_fields = ("user__username", "team__key")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created by their owners (or create_api_token); here they can be seen
    and revoked. The digest is not shown: it is of no use to anyone."""

    list_display = (
        "name",
        "user",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username")
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ("key", "user", "response_status", "created_at")
    search_fields = ("key", "user__username")
    readonly_fields = (
        "user", "key", "fingerprint", "response_status", "response_body", "response_headers",
        "created_at",
    )  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The log is written by the application and never edited."""

    list_display = ("created_at", "actor_name", "action", "team", "subject_name", "target", "ip")
    list_filter = ("action", "team")
    search_fields = ("actor_name", "subject_name", "target", "ip")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]
