"""Admin for the issue domain. Issue changes go through issues/services.py, so the
admin writes the same timeline events as the pages and the API; the timeline itself
is read-only."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import PermissionDenied

from accounts.admin import ReadOnlyAdmin

from . import services
from .models import (
    Assignment,
    Attachment,
    Comment,
    Customer,
    IntakeMessage,
    Issue,
    IssueCustomer,
    IssueEvent,
    Label,
    Organization,
    SavedView,
    Status,
    StatusPeriod,
)


@admin.register(Status)
class StatusAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "category", "position", "stale_after")
    list_filter = ("team", "category")
    ordering = ("team", "position")


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "color")
    list_filter = ("team",)
    search_fields = ("name",)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "organization", "created_at")
    search_fields = ("name", "email", "organization__name")
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fk_name = "issue"
    fields = ("user", "assigned_by", "assigned_at")
    readonly_fields = fields


class CustomerLinkInline(ReadOnlyInline):
    model = IssueCustomer
    fk_name = "issue"
    fields = ("customer", "added_by", "added_at")
    readonly_fields = fields
    verbose_name = "affected customer"


class EventInline(ReadOnlyInline):
    model = IssueEvent
    fields = ("created_at", "actor", "kind", "from_status", "to_status", "data")
    readonly_fields = fields
    ordering = ("created_at", "id")


class IssueAdminForm(forms.ModelForm):
    # A custom through model (who linked them, when) is not editable by the admin itself;
    # this field feeds create_issue / update_issue, which write those rows and the events.
    affected_customers = forms.ModelMultipleChoiceField(
        queryset=Customer.objects.order_by("name", "pk"),
        required=False,
        widget=FilteredSelectMultiple("customers", is_stacked=False),
        label="Affected customers",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["affected_customers"] = list(
                self.instance.customer_links.values_list("customer_id", flat=True)
            )

    class Meta:
        model = Issue
        fields = (
            "team",
            "title",
            "description",
            "kind",
            "priority",
            "status",
            "channel",
            "due_date",
            "duplicate_of",
            "reporter",
        )

    def clean(self):
        data = super().clean()
        team = data.get("team") or getattr(self.instance, "team", None)
        status = data.get("status")
        if team and status and status.team_id != team.pk:
            self.add_error("status", "This status belongs to another team.")
        return data


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    form = IssueAdminForm
    list_display = ("__str__", "status", "priority", "kind", "last_activity_at")
    list_filter = ("team", "kind", "priority", "channel")
    search_fields = ("title",)
    list_select_related = ("team", "status")
    raw_id_fields = ("duplicate_of", "reporter")
    fields = (
        "team",
        "title",
        "description",
        "kind",
        "priority",
        "status",
        "channel",
        "affected_customers",
        "due_date",
        "duplicate_of",
        "reporter",
        "version",
        "created_at",
        "resolved_at",
        "last_activity_at",
    )
    readonly_fields = ("version", "created_at", "resolved_at", "last_activity_at")
    inlines = [AssignmentInline, CustomerLinkInline, EventInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return (*self.readonly_fields, "team", "reporter")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        try:
            if not change:
                created = services.create_issue(
                    obj.team,
                    actor=request.user,
                    title=obj.title,
                    description=obj.description,
                    kind=obj.kind,
                    priority=obj.priority,
                    status=obj.status,
                    customers=form.cleaned_data.get("affected_customers") or [],
                    channel=obj.channel,
                    due_date=obj.due_date,
                    reporter=obj.reporter,
                )
                obj.pk, obj.number = created.pk, created.number
                obj._state.adding = False
                return
            changes = {
                f: form.cleaned_data[f] for f in form.changed_data if f in services.EDITABLE_FIELDS
            }
            if "affected_customers" in form.changed_data:
                changes["customers"] = form.cleaned_data["affected_customers"]
            current = Issue.objects.get(pk=obj.pk)
            services.update_issue(current, actor=request.user, **changes)
        except (services.DomainError, PermissionDenied) as error:
            messages.error(request, str(error))

    def has_add_permission(self, request):
        # Filing is an act in a team; only superusers act in every team from here.
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        # Deleting would erase history; close the issue instead.
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "author", "is_public", "created_at", "edited_at")
    list_filter = ("is_public",)
    readonly_fields = ("issue", "author", "body", "is_public", "created_at", "edited_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IssueEvent)
class IssueEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "issue", "actor", "kind")
    list_filter = ("kind",)
    list_select_related = ("issue__team", "actor")
    raw_id_fields = ("issue",)


@admin.register(StatusPeriod)
class StatusPeriodAdmin(ReadOnlyAdmin):
    list_display = ("entered_at", "issue", "status", "left_at", "entered_by")
    list_filter = ("team",)
    list_select_related = ("issue__team", "status", "entered_by")
    raw_id_fields = ("issue", "entered_event")


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "owner", "created_at")
    list_filter = ("team",)
    list_select_related = ("team", "owner")


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("filename", "issue", "content_type", "size", "uploaded_by", "created_at")
    list_filter = ("content_type",)
    list_select_related = ("issue__team", "uploaded_by")
    raw_id_fields = ("issue", "comment")


@admin.register(IntakeMessage)
class IntakeMessageAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "team", "sender", "issue", "message_id")
    list_filter = ("team",)
    list_select_related = ("team", "issue__team")
    search_fields = ("message_id", "sender")
