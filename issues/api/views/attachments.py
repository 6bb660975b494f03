"""Attachments: /issues/{key}/attachments/ (list, multipart upload), /{id}/ (details,
delete) and /{id}/content/ (the file, to team members only)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import generics, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ... import selectors, services
from ...attachment_views import attachment_response
from ...models import Comment
from .. import examples, schema
from ..base import ID_SCHEMA, ApiViewMixin
from ..pagination import KeysetPagination
from ..serializers import AttachmentInput, AttachmentOutput
from .issues import _KEY

_ID = OpenApiParameter("id", ID_SCHEMA, OpenApiParameter.PATH, description="The attachment's id.")


class IssueAttachments(ApiViewMixin, generics.ListAPIView):
    serializer_class = AttachmentOutput
    pagination_class = KeysetPagination
    parser_classes = [MultiPartParser]

    def get_issue(self):
        if not hasattr(self, "_issue"):
            self._issue = selectors.get_issue_for_user(self.request.user, self.kwargs["key"])
        return self._issue

    def get_queryset(self):
        return selectors.list_attachments(self.get_issue())

    def get_ordering(self):
        return "created", ("created_at", "id")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "issue_key": self.get_issue().key}

    @extend_schema(
        tags=["attachments"],
        summary="An issue's attachments",
        description="Oldest first, with who uploaded each (null: email intake).",
        parameters=[_KEY],
        examples=[examples.ok("attachments", examples.ATTACHMENT_EXAMPLE)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["attachments"],
        summary="Attach a file",
        description=(
            "A multipart/form-data upload with one `file` (and optionally the `comment` it "
            "belongs to). The type is detected from the bytes and must be one the server "
            "allows (`ATTACHMENT_CONTENT_TYPES`); a file over `ATTACHMENT_MAX_BYTES` is a "
            "413. The timeline gets `attachment_added`. Viewers cannot attach."
        ),
        parameters=[_KEY],
        request={"multipart/form-data": AttachmentInput},
        responses={
            201: AttachmentOutput,
            413: schema.ProblemOutput,
            422: schema.ProblemOutput,
        },
        examples=[examples.ok("attached", examples.ATTACHMENT_EXAMPLE, status_codes=["201"])],
    )
    def post(self, request, key):
        issue = self.get_issue()
        serializer = AttachmentInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = None
        if "comment" in serializer.validated_data:
            comment = Comment.objects.filter(
                issue=issue, pk=serializer.validated_data["comment"]
            ).first()
            if comment is None:
                raise services.DomainError("No such comment on this issue.", field="comment")
        attachment = services.add_attachment(
            issue, file=serializer.validated_data["file"], comment=comment, actor=request.user
        )
        attachment.uploaded_by = request.user
        data = AttachmentOutput(attachment, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


class _OneAttachment(ApiViewMixin, APIView):
    def get_attachment(self):
        return selectors.get_attachment_for_user(
            self.request.user, self.kwargs["key"], int(self.kwargs["id"])
        )


class IssueAttachmentDetail(_OneAttachment):
    @extend_schema(
        tags=["attachments"],
        summary="An attachment's details",
        description="Name, detected type, size, SHA-256, uploader and the download URL.",
        parameters=[_KEY, _ID],
        responses={200: AttachmentOutput},
        examples=[examples.ok("attachment", examples.ATTACHMENT_EXAMPLE)],
    )
    def get(self, request, key, id):
        attachment = self.get_attachment()
        context = {"request": request, "issue_key": attachment.issue.key}
        return Response(AttachmentOutput(attachment, context=context).data)

    @extend_schema(
        tags=["attachments"],
        summary="Remove an attachment",
        description=(
            "Its uploader or a team admin may. The timeline gets `attachment_removed` "
            "and the file is deleted."
        ),
        parameters=[_KEY, _ID],
        responses={204: None, 403: schema.ProblemOutput},
    )
    def delete(self, request, key, id):
        services.remove_attachment(self.get_attachment(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class IssueAttachmentContent(_OneAttachment):
    @extend_schema(
        tags=["attachments"],
        summary="Download an attachment",
        description=(
            "The file's bytes with its detected type. Always `Content-Disposition: "
            "attachment` except PNG, JPEG, GIF and WebP images; `X-Content-Type-Options: "
            "nosniff` and a sandboxing Content-Security-Policy."
        ),
        parameters=[_KEY, _ID],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file.",
                examples=[
                    OpenApiExample(
                        "pdf",
                        value="%PDF-1.7 ...",
                        response_only=True,
                        media_type="application/octet-stream",
                    )
                ],
            )
        },
    )
    def get(self, request, key, id):
        return attachment_response(self.get_attachment())
