"""REST API views, under /api/v1/. Each reads: access helper (404 for outsiders),
input serializer, service, output serializer. Reads use the selectors in
issues/api/selectors.py; errors become problem details in issuetracker/exceptions.py.
"""

from .attachments import IssueAttachmentContent, IssueAttachmentDetail, IssueAttachments
from .customers import CustomerDetail, CustomerListCreate, OrganizationDetail, OrganizationList
from .issues import IssueComments, IssueDetail, IssueListCreate, IssueStatusLink, IssueTimeline
from .notifications import NotificationList, NotificationRead, NotificationReadAll
from .people import MeView, TeamDetail, TeamList
from .plumbing import NotFoundView, ProblemTypeView
from .reports import IssueStatusPeriods, TeamReport
from .webhooks import WebhookDetail, WebhookList

__all__ = [
    "CustomerDetail",
    "CustomerListCreate",
    "IssueAttachmentContent",
    "IssueAttachmentDetail",
    "IssueAttachments",
    "IssueComments",
    "IssueDetail",
    "IssueListCreate",
    "IssueStatusLink",
    "IssueStatusPeriods",
    "IssueTimeline",
    "MeView",
    "NotFoundView",
    "NotificationList",
    "NotificationRead",
    "NotificationReadAll",
    "OrganizationDetail",
    "OrganizationList",
    "ProblemTypeView",
    "TeamDetail",
    "TeamList",
    "TeamReport",
    "WebhookDetail",
    "WebhookList",
]
