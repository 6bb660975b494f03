from django.urls import path

from . import attachment_views, customer_views, report_views, views

app_name = "issues"

urlpatterns = [
    path("teams/<str:team_key>/issues/", views.issue_list, name="list"),
    path("teams/<str:team_key>/board/", views.board, name="board"),
    path("teams/<str:team_key>/reports/", report_views.team_reports, name="reports"),
    path("teams/<str:team_key>/issues/bulk/", views.bulk, name="bulk"),
    path("teams/<str:team_key>/views/", views.save_view, name="save-view"),
    path("teams/<str:team_key>/views/<int:pk>/delete/", views.delete_view, name="delete-view"),
    path("issues/new/", views.new_issue, name="new"),
    path("quick-log/", customer_views.quick_log, name="quick-log"),
    path("quick-log/similar/", customer_views.quick_log_similar, name="quick-log-similar"),
    path("quick-log/customer/", customer_views.quick_log_customer, name="quick-log-customer"),
    path("quick-log/add-to/<str:key>/", customer_views.quick_log_add_to, name="quick-log-add-to"),
    path("customers/", customer_views.customer_list, name="customers"),
    path("customers/<int:pk>/", customer_views.customer_detail, name="customer"),
    path("organizations/<int:pk>/", customer_views.organization_detail, name="organization"),
    path("issues/similar/", views.similar, name="similar"),
    path("markdown/preview/", views.preview, name="preview"),
    path("issues/<str:key>/", views.issue_detail, name="detail"),
    path("issues/<str:key>/edit/", views.edit_issue, name="edit"),
    path("issues/<str:key>/properties/", views.update_properties, name="properties"),
    path("issues/<str:key>/comments/", views.add_comment, name="comment"),
    path("issues/<str:key>/attachments/", attachment_views.upload, name="attach"),
    path(
        "issues/<str:key>/attachments/<int:pk>/",
        attachment_views.download,
        name="attachment",
    ),
    path(
        "issues/<str:key>/attachments/<int:pk>/remove/",
        attachment_views.remove,
        name="remove-attachment",
    ),
    path("issues/<str:key>/watch/", views.toggle_watch, name="watch"),
    path("issues/<str:key>/duplicate/", views.mark_duplicate, name="duplicate"),
    path("issues/<str:key>/move/", views.move, name="move"),
    path(
        "issues/<str:key>/customers/",
        customer_views.add_issue_customer,
        name="add-customer",
    ),
    path(
        "issues/<str:key>/customers/search/",
        customer_views.issue_customer_search,
        name="issue-customer-search",
    ),
    path("issues/<str:key>/status-link/", customer_views.status_link, name="status-link"),
    path(
        "issues/<str:key>/customers/<int:customer_id>/remove/",
        customer_views.remove_issue_customer,
        name="remove-customer",
    ),
    path(
        "issues/<str:key>/customers/<int:customer_id>/emails/",
        customer_views.customer_emails,
        name="customer-emails",
    ),
]
