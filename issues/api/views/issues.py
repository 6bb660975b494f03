"""Issues, their comments and timeline: /issues/..."""

from __future__ import annotations

import re

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from accounts.models import team_key_validator

from ... import selectors, services
from ...filters import SORTS
from ...models import Comment
from .. import examples, schema
from .. import selectors as api_selectors
from ..base import ISSUE_KEY_PATTERN, ApiViewMixin, etag, expected_version
from ..filters import ApiIssueFilterSet, IssueFilterBackend
from ..idempotency import PARAMETER as IDEMPOTENCY_KEY
from ..idempotency import idempotent
from ..pagination import KeysetPagination
from ..serializers import (
    CommentInput,
    CommentOutput,
    IssueCreateInput,
    IssueEventOutput,
    IssueOutput,
    IssueUpdateInput,
    StatusLinkOutput,
)


def _issue_url(request, issue) -> str:
    return request.build_absolute_uri(reverse("api:issue-detail", args=[issue.key]))


def _loaded(user, key: str):
    return api_selectors.load_issue(selectors.get_issue_for_user(user, key))


_LIST_DESCRIPTION = """\
Issues of your teams, filtered with the same parameters as the team pages. Without
`state`, `status` or `category` only open issues are listed (`state=all` for every
issue). Parameters that take several values accept repeats or commas:
`priority=urgent,high` or `priority=urgent&priority=high`. A bad value is a 400 naming
the parameter.

Ordering is `sort` (default `priority`: urgent first, then most recently active;
`updated`; `created`: newest first; `age`: oldest first; `customers`: most affected
customers first). `customer=<id>` lists the issues that affect that customer. A text
search `q` does not
change the order. Pages are cursor-based: follow `next` until it is null.

Example: a team's open urgent issues, `GET /api/v1/issues/?team=ENG&priority=urgent`.
"""


class IssueListCreate(ApiViewMixin, generics.ListAPIView):
    serializer_class = IssueOutput
    filter_backends = [IssueFilterBackend]
    filterset_class = ApiIssueFilterSet
    pagination_class = KeysetPagination
    sort_key = "priority"

    def get_queryset(self):
        return api_selectors.list_issues(self.request.user)

    def get_ordering(self):
        return self.sort_key, SORTS[self.sort_key]

    def load_page_rows(self, ids, order):
        """The page's issues, whole: the base list without the filters, which the ids
        have already passed."""
        return api_selectors.list_page_issues(self.request.user, ids, order=order)

    @extend_schema(
        tags=["issues"],
        summary="List issues",
        description=_LIST_DESCRIPTION,
        examples=[examples.ok("issues", examples.ISSUE_EXAMPLE)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["issues"],
        summary="Create an issue",
        description=(
            "Files an issue in one of your teams (support, member or admin). It starts in "
            "the team's first triage status unless `status` is given; `channel` is `api` "
            "unless given. Assignees and labels need the triage right (member or admin). "
            "The timeline gets `created` and one `assigned` per assignee, and watchers "
            "are notified, exactly as for an issue filed on the page. Send an "
            "Idempotency-Key to make retries safe."
        ),
        parameters=[IDEMPOTENCY_KEY, schema.ETAG, schema.LOCATION],
        request=IssueCreateInput,
        responses={
            201: IssueOutput,
            409: schema.ProblemOutput,
            422: schema.ProblemOutput,
        },
        examples=[
            examples.request("create", examples.CREATE_REQUEST),
            examples.request("for a customer", examples.CREATE_FOR_CUSTOMER_REQUEST),
            examples.ok("created", examples.ISSUE_EXAMPLE, status_codes=["201"]),
        ],
    )
    @idempotent
    def post(self, request, *args, **kwargs):
        self._check_may_create(request)
        serializer = IssueCreateInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        issue = services.create_issue(data.pop("team"), actor=request.user, **data)
        # The returned issue already holds its team, status and reporter (the objects
        # passed in), and its people and labels are the ones just given.
        issue = api_selectors.load_created_issue(
            issue, assignees=data.get("assignees") or (), labels=data.get("labels") or ()
        )
        return Response(
            IssueOutput(issue, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": _issue_url(request, issue), "ETag": etag(issue.version)},
        )

    @staticmethod
    def _check_may_create(request) -> None:
        """A role that may not file issues gets 403 before its input is looked at."""
        key = request.data.get("team") if isinstance(request.data, dict) else None
        if not isinstance(key, str) or not re.match(team_key_validator.regex, key.upper()):
            return  # the serializer names the problem
        try:
            team = selectors.get_team_for_user(request.user, key)
        except Http404:
            return
        permissions.require(request.user, "create", team)


_KEY = OpenApiParameter(
    "key",
    str,
    OpenApiParameter.PATH,
    description="The issue key: the team key, a dash and the issue's number.",
    pattern=ISSUE_KEY_PATTERN,
    examples=[OpenApiExample("ENG-1", value="ENG-1")],
)


@extend_schema(parameters=[_KEY])
class IssueDetail(ApiViewMixin, APIView):
    @extend_schema(
        tags=["issues"],
        summary="An issue",
        description="The issue, with an `ETag` carrying its version for a later PATCH.",
        parameters=[schema.ETAG],
        responses=IssueOutput,
        examples=[examples.ok("issue", examples.ISSUE_EXAMPLE)],
    )
    def get(self, request, key):
        issue = _loaded(request.user, key)
        return Response(
            IssueOutput(issue, context={"request": request}).data,
            headers={"ETag": etag(issue.version)},
        )

    @extend_schema(
        tags=["issues"],
        summary="Change an issue",
        description=(
            "Send only the fields to change; they are applied together as one edit (one "
            "version bump) with exactly the timeline events the same change on the page "
            "writes: `status_changed`, `assigned`/`unassigned` per person, `labeled`/"
            "`unlabeled` per label, `priority_changed`, ... Unchanged fields write "
            "nothing. Status needs a role that may change status, assignees and labels "
            "the triage right, the rest the edit right; viewers cannot change issues.\n\n"
            "Send `If-Match` with the ETag you read to be sure nobody changed the issue "
            "meanwhile: if they did, the answer is 412 and nothing changes."
        ),
        parameters=[schema.IF_MATCH, schema.ETAG],
        request=IssueUpdateInput,
        responses={200: IssueOutput, 412: schema.ProblemOutput},
        examples=[
            examples.request("triage", examples.TRIAGE_REQUEST),
            examples.request("affected customers", examples.CUSTOMERS_REQUEST),
            examples.ok("changed", examples.ISSUE_EXAMPLE),
        ],
    )
    def patch(self, request, key):
        issue = selectors.get_issue_for_user(request.user, key)
        permissions.require(request.user, "edit", issue.team)
        version = expected_version(request, issue.version)
        serializer = IssueUpdateInput(
            data=request.data, context={"request": request, "issue": issue}
        )
        serializer.is_valid(raise_exception=True)
        services.update_issue(
            issue, actor=request.user, expected_version=version, **serializer.validated_data
        )
        issue = _loaded(request.user, key)
        return Response(
            IssueOutput(issue, context={"request": request}).data,
            headers={"ETag": etag(issue.version)},
        )


class _IssueChildList(ApiViewMixin, generics.ListAPIView):
    pagination_class = KeysetPagination

    def get_issue(self):
        if not hasattr(self, "_issue"):
            self._issue = selectors.get_issue_for_user(self.request.user, self.kwargs["key"])
        return self._issue


@extend_schema(parameters=[_KEY])
class IssueComments(_IssueChildList):
    serializer_class = CommentOutput

    def get_queryset(self):
        return api_selectors.list_comments(self.get_issue())

    def get_ordering(self):
        return "created", ("created_at", "id")

    @extend_schema(
        tags=["comments"],
        summary="An issue's comments",
        description="Oldest first. Internal and public comments; `public` tells them apart.",
        examples=[examples.ok("comments", examples.COMMENTS_RESPONSE)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["comments"],
        summary="Comment on an issue",
        description=(
            "Adds a comment (internal unless `public`). The timeline gets `commented`; "
            "watchers and @mentioned team members are notified. Viewers cannot comment. "
            "Send an Idempotency-Key to make retries safe."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=CommentInput,
        responses={201: CommentOutput, 409: schema.ProblemOutput, 422: schema.ProblemOutput},
        examples=[
            examples.request("comment", examples.COMMENT_REQUEST),
            examples.ok("commented", examples.COMMENTED_RESPONSE, status_codes=["201"]),
        ],
    )
    @idempotent
    def post(self, request, key):
        issue = self.get_issue()
        permissions.require(request.user, "comment", issue.team)
        serializer = CommentInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = None
        if "customer" in serializer.validated_data:
            customer = issue.customers.filter(pk=serializer.validated_data["customer"]).first()
            if customer is None:
                raise services.DomainError(
                    "That customer is not affected by this issue.", field="customer"
                )
        comment = services.add_comment(
            issue,
            body=serializer.validated_data["body"],
            public=serializer.validated_data["public"],
            customer=customer,
            actor=request.user,
        )
        comment = Comment.objects.select_related("author", "customer").get(pk=comment.pk)
        return Response(CommentOutput(comment).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[_KEY])
@extend_schema_view(
    get=extend_schema(
        tags=["issues"],
        summary="An issue's timeline",
        description=(
            "Every fact recorded on the issue, oldest first: `created`, `status_changed` "
            "(with `from_status`/`to_status`), `assigned`/`unassigned` (`subject_user`), "
            "`labeled`, `commented` (`comment`), `priority_changed`, `became_stale`, ... "
            "`data` holds the details of each kind (e.g. `from` and `to`)."
        ),
        examples=[examples.ok("timeline", examples.TIMELINE_RESPONSE)],
    )
)
class IssueTimeline(_IssueChildList):
    serializer_class = IssueEventOutput

    def get_queryset(self):
        return api_selectors.list_timeline(self.get_issue())

    def get_ordering(self):
        return "created", ("created_at", "id")


@extend_schema(parameters=[_KEY])
class IssueStatusLink(ApiViewMixin, APIView):
    """The customer status link of an issue: create it, or revoke it."""

    @extend_schema(
        tags=["issues"],
        summary="Create the customer status link",
        description=(
            "Gives an issue that affects a customer a private public page (title, status "
            "in plain words, public comments only) and answers its URL: 201 when created, "
            "200 when it already existed (the same URL). 400 if the issue has no customer. "
            "Support, members and admins; the timeline gets `status_link_created`."
        ),
        request=None,
        responses={201: StatusLinkOutput, 200: StatusLinkOutput, 400: schema.ProblemOutput},
        examples=[examples.ok("link", examples.STATUS_LINK_RESPONSE, status_codes=["201"])],
    )
    def post(self, request, key):
        issue = selectors.get_issue_for_user(request.user, key)
        event = services.create_status_link(issue, actor=request.user)
        return Response(
            StatusLinkOutput(issue).data,
            status=status.HTTP_201_CREATED if event else status.HTTP_200_OK,
        )

    @extend_schema(
        tags=["issues"],
        summary="Revoke the customer status link",
        description=(
            "The link's URL answers 404 from now on; a link created later is a new URL. "
            "204 also when there was none. The timeline gets `status_link_revoked`."
        ),
        request=None,
        responses={204: None},
    )
    def delete(self, request, key):
        issue = selectors.get_issue_for_user(request.user, key)
        services.revoke_status_link(issue, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
