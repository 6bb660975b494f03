"""Attachments on the issue page: upload, download (team members only) and removal.

Downloads are served by Django after the access check, never from a public media URL,
with headers that keep a hostile file inert in the browser."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from . import attachments, selectors, services


def attachment_response(attachment) -> FileResponse:
    """The file with safe headers: a download unless it is an image that is safe inline,
    `nosniff`, and a CSP under which nothing in it can run."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    inline = attachment.content_type in attachments.INLINE_TYPES
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = attachments.ATTACHMENT_CSP
    response["Cache-Control"] = "private, max-age=0, must-revalidate"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@login_required
@require_GET
def download(request, key, pk):
    return attachment_response(selectors.get_attachment_for_user(request.user, key, pk))


@login_required
@require_POST
def upload(request, key):
    """Standalone upload on the issue page (one or more files, all or none)."""
    issue = selectors.get_issue_for_user(request.user, key)
    files = request.FILES.getlist("files")
    if not files:
        messages.error(request, "Choose a file to attach.")
    else:
        try:
            with transaction.atomic(), services.files_removed_on_rollback():
                for file in files:
                    services.add_attachment(issue, file=file, actor=request.user)
            messages.success(request, f"Attached {len(files)} file{'s' if len(files) > 1 else ''}.")
        except services.DomainError as error:
            messages.error(request, error.message)
    return redirect(reverse("issues:detail", args=[issue.key]) + "#attachments")


@login_required
@require_POST
def remove(request, key, pk):
    attachment = selectors.get_attachment_for_user(request.user, key, pk)
    try:
        services.remove_attachment(attachment, actor=request.user)
        messages.success(request, f"Removed {attachment.filename}.")
    except services.DomainError as error:
        messages.error(request, error.message)
    return redirect(reverse("issues:detail", args=[key.upper()]) + "#attachments")
