from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Membership, Team, User


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
