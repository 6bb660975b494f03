"""Team settings pages (admins): members and roles, statuses, labels, webhooks."""

from django.urls import path

from notifications import webhook_views

from . import team_settings_views as views

app_name = "team_settings"

urlpatterns = [
    path("", views.index, name="index"),
    path("members/", views.members, name="members"),
    path("members/<int:membership_id>/role/", views.member_role, name="member-role"),
    path("members/<int:membership_id>/remove/", views.member_remove, name="member-remove"),
    path("statuses/", views.statuses, name="statuses"),
    path("statuses/<int:status_id>/", views.status_update, name="status-update"),
    path("statuses/<int:status_id>/move/", views.status_move, name="status-move"),
    path("statuses/<int:status_id>/delete/", views.status_delete, name="status-delete"),
    path("labels/", views.labels, name="labels"),
    path("labels/<int:label_id>/", views.label_update, name="label-update"),
    path("labels/<int:label_id>/delete/", views.label_delete, name="label-delete"),
    path("audit/", views.audit_log, name="audit"),
    path("support/", views.support, name="support"),
    path("webhooks/", webhook_views.webhook_list, name="webhooks"),
    path("webhooks/<int:webhook_id>/", webhook_views.webhook_update, name="webhook-update"),
    path("webhooks/<int:webhook_id>/delete/", webhook_views.webhook_delete, name="webhook-delete"),
    path(
        "webhooks/<int:webhook_id>/secret/",
        webhook_views.webhook_rotate_secret,
        name="webhook-rotate-secret",
    ),
    path("webhooks/<int:webhook_id>/enable/", webhook_views.webhook_enable, name="webhook-enable"),
    path("webhooks/<int:webhook_id>/ping/", webhook_views.webhook_ping, name="webhook-ping"),
    path(
        "webhooks/<int:webhook_id>/deliveries/",
        webhook_views.webhook_deliveries,
        name="webhook-deliveries",
    ),
]
