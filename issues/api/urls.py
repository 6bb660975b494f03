"""/api/v1/: mounted by issuetracker/api_urls.py in the `api` namespace.

Path parameters are matched by their format (ENG-42, ENG, digits), so anything else is
the API's 404 rather than a query with an impossible value."""

from django.urls import re_path

from . import views
from .base import ID_PATTERN, ISSUE_KEY_PATTERN, TEAM_KEY_PATTERN

ISSUE_KEY = f"(?P<key>{ISSUE_KEY_PATTERN[1:-1]})"
TEAM_KEY = f"(?P<key>{TEAM_KEY_PATTERN[1:-1]})"
ID = f"(?P<id>{ID_PATTERN[1:-1]})"

urlpatterns = [
    re_path(r"^me/$", views.MeView.as_view(), name="me"),
    re_path(r"^teams/$", views.TeamList.as_view(), name="team-list"),
    re_path(rf"^teams/{TEAM_KEY}/$", views.TeamDetail.as_view(), name="team-detail"),
    re_path(rf"^teams/{TEAM_KEY}/webhooks/$", views.WebhookList.as_view(), name="webhook-list"),
    re_path(
        rf"^teams/{TEAM_KEY}/webhooks/{ID}/$", views.WebhookDetail.as_view(), name="webhook-detail"
    ),
    re_path(r"^issues/$", views.IssueListCreate.as_view(), name="issue-list"),
    re_path(rf"^issues/{ISSUE_KEY}/$", views.IssueDetail.as_view(), name="issue-detail"),
    re_path(
        rf"^issues/{ISSUE_KEY}/comments/$", views.IssueComments.as_view(), name="issue-comments"
    ),
    re_path(
        rf"^issues/{ISSUE_KEY}/attachments/$",
        views.IssueAttachments.as_view(),
        name="issue-attachments",
    ),
    re_path(
        rf"^issues/{ISSUE_KEY}/attachments/{ID}/$",
        views.IssueAttachmentDetail.as_view(),
        name="issue-attachment-detail",
    ),
    re_path(
        rf"^issues/{ISSUE_KEY}/attachments/{ID}/content/$",
        views.IssueAttachmentContent.as_view(),
        name="issue-attachment-content",
    ),
    re_path(
        rf"^issues/{ISSUE_KEY}/timeline/$", views.IssueTimeline.as_view(), name="issue-timeline"
    ),
    re_path(
        rf"^issues/{ISSUE_KEY}/status-link/$",
        views.IssueStatusLink.as_view(),
        name="issue-status-link",
    ),
    re_path(
        rf"^issues/{ISSUE_KEY}/status-periods/$",
        views.IssueStatusPeriods.as_view(),
        name="issue-status-periods",
    ),
    re_path(
        rf"^teams/{TEAM_KEY}/reports/(?P<name>[a-z-]{{1,40}})/$",
        views.TeamReport.as_view(),
        name="team-report",
    ),
    re_path(r"^customers/$", views.CustomerListCreate.as_view(), name="customer-list"),
    re_path(rf"^customers/{ID}/$", views.CustomerDetail.as_view(), name="customer-detail"),
    re_path(r"^organizations/$", views.OrganizationList.as_view(), name="organization-list"),
    re_path(
        rf"^organizations/{ID}/$", views.OrganizationDetail.as_view(), name="organization-detail"
    ),
    re_path(r"^notifications/$", views.NotificationList.as_view(), name="notification-list"),
    re_path(
        r"^notifications/read-all/$",
        views.NotificationReadAll.as_view(),
        name="notification-read-all",
    ),
    re_path(
        rf"^notifications/{ID}/read/$",
        views.NotificationRead.as_view(),
        name="notification-read",
    ),
]
