"""Attachments: sniffed types, size limit with nothing left behind, team-only downloads
with safe headers, and the same through the API."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from issues import attachments, services
from issues.models import Attachment, IssueEvent

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def files_on_disk(media_root) -> list:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


def upload(content: bytes, name: str, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- service --------------------------------------------------------------------


def test_attaching_records_the_file_and_an_event(issue, sam, _media_root):
    attachment = services.add_attachment(
        issue, file=upload(PNG, "../../etc/screen shot.png", "text/html"), actor=sam
    )
    assert attachment.filename == "screen shot.png"
    assert attachment.content_type == "image/png"  # from the bytes, not the client
    assert attachment.size == len(PNG)
    assert attachment.sha256 == hashlib.sha256(PNG).hexdigest()
    assert attachment.file.read() == PNG
    event = IssueEvent.objects.get(issue=issue, kind=IssueEvent.Kind.ATTACHMENT_ADDED)
    assert event.actor == sam
    assert event.data["filename"] == "screen shot.png"
    issue.refresh_from_db()
    assert issue.version == 2
    assert len(files_on_disk(_media_root)) == 1


@pytest.mark.parametrize(
    ("content", "kind"),
    [(SVG, "image/svg+xml"), (b"<!DOCTYPE html><p>hi", "text/html"), (b"MZ\x90\x00\x03", None)],
)
def test_disallowed_types_are_refused_by_their_bytes(issue, sam, content, kind, _media_root):
    with pytest.raises(services.DomainError) as error:
        services.add_attachment(issue, file=upload(content, "harmless.png", "image/png"), actor=sam)
    assert error.value.field == "file"
    if kind:
        assert kind in error.value.message
    assert not Attachment.objects.exists()
    assert files_on_disk(_media_root) == []


def test_oversize_file_saves_nothing_and_leaves_no_file(issue, sam, settings, _media_root):
    settings.ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(services.AttachmentTooLarge) as error:
        services.add_attachment(issue, file=upload(b"a" * 101, "big.txt"), actor=sam)
    assert "larger than the 100 bytes limit" in error.value.message
    assert not Attachment.objects.exists()
    assert not IssueEvent.objects.filter(kind=IssueEvent.Kind.ATTACHMENT_ADDED).exists()
    assert files_on_disk(_media_root) == []


def test_rolled_back_transaction_removes_the_written_file(issue, sam, _media_root):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic(), services.files_removed_on_rollback():
        services.add_attachment(issue, file=upload(PDF, "a.pdf"), actor=sam)
        assert len(files_on_disk(_media_root)) == 1
        raise RuntimeError("later step failed")
    assert not Attachment.objects.exists()
    assert files_on_disk(_media_root) == []


def test_viewer_cannot_attach(issue, vera):
    with pytest.raises(services.permissions.PermissionDenied):
        services.add_attachment(issue, file=upload(PDF, "a.pdf"), actor=vera)


def test_uploader_and_admin_may_remove_others_may_not(
    issue, sam, bob, alice, _media_root, django_capture_on_commit_callbacks
):
    first = services.add_attachment(issue, file=upload(PDF, "a.pdf"), actor=sam)
    second = services.add_attachment(issue, file=upload(PDF, "b.pdf"), actor=sam)
    with pytest.raises(services.permissions.PermissionDenied):
        services.remove_attachment(first, actor=bob)
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_attachment(first, actor=sam)
        services.remove_attachment(second, actor=alice)
    assert not Attachment.objects.exists()
    assert files_on_disk(_media_root) == []
    removed = IssueEvent.objects.filter(kind=IssueEvent.Kind.ATTACHMENT_REMOVED)
    assert sorted(removed.values_list("data__filename", flat=True)) == ["a.pdf", "b.pdf"]


def test_clean_filename_keeps_the_extension_and_drops_paths():
    assert attachments.clean_filename('C:\\evil\\"q".pdf') == "_q_.pdf"
    assert attachments.clean_filename(".htaccess") == "htaccess"
    assert attachments.clean_filename("") == "attachment"
    long = attachments.clean_filename("x" * 500 + ".png")
    assert len(long) == attachments.FILENAME_MAX and long.endswith(".png")


# --- pages ----------------------------------------------------------------------


def _download(issue, attachment):
    return reverse("issues:attachment", args=[issue.key, attachment.pk])


def test_download_permission_matrix(client, issue, alice, bob, sam, vera, mallory):
    attachment = services.add_attachment(issue, file=upload(PDF, "a.pdf"), actor=sam)
    codes = []
    for user in [alice, bob, sam, vera, mallory]:
        client.force_login(user)
        codes.append(client.get(_download(issue, attachment)).status_code)
    client.logout()
    codes.append(client.get(_download(issue, attachment)).status_code)
    assert codes == [200, 200, 200, 200, 404, 302]


def test_download_headers_keep_files_inert(client, issue, sam):
    pdf = services.add_attachment(issue, file=upload(PDF, "report.pdf"), actor=sam)
    png = services.add_attachment(issue, file=upload(PNG, "shot.png"), actor=sam)
    client.force_login(sam)
    response = client.get(_download(issue, pdf))
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="report.pdf"' in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PDF
    response = client.get(_download(issue, png))
    assert response["Content-Disposition"].startswith("inline;")


def test_svg_is_never_served_inline_even_when_allowed(client, issue, sam, settings):
    settings.ATTACHMENT_CONTENT_TYPES = [*settings.ATTACHMENT_CONTENT_TYPES, "image/svg+xml"]
    svg = services.add_attachment(issue, file=upload(SVG, "logo.svg"), actor=sam)
    client.force_login(sam)
    response = client.get(_download(issue, svg))
    assert response["Content-Disposition"].startswith("attachment;")


def test_upload_on_the_issue_page_lists_the_file(client, issue, sam):
    client.force_login(sam)
    response = client.post(
        reverse("issues:attach", args=[issue.key]), {"files": [upload(PDF, "invoice.pdf")]}
    )
    assert response.status_code == 302
    page = client.get(issue.get_absolute_url()).content.decode()
    assert "invoice.pdf" in page
    assert "attached <b>invoice.pdf</b>" in page


def test_comment_with_a_refused_file_saves_neither(client, issue, sam, _media_root):
    client.force_login(sam)
    response = client.post(
        reverse("issues:comment", args=[issue.key]),
        {"body": "see attached", "files": [upload(PDF, "ok.pdf"), upload(SVG, "bad.svg")]},
        follow=True,
    )
    assert "bad.svg is image/svg+xml, which cannot be attached" in response.content.decode()
    assert not issue.comments.exists()
    assert not Attachment.objects.exists()
    assert files_on_disk(_media_root) == []


def test_comment_with_files_shows_them_under_the_comment(client, issue, sam):
    client.force_login(sam)
    client.post(
        reverse("issues:comment", args=[issue.key]),
        {"body": "logs attached", "files": [upload(b"trace\n", "trace.txt")]},
    )
    attachment = Attachment.objects.get()
    assert attachment.comment == issue.comments.get()
    page = client.get(issue.get_absolute_url()).content.decode()
    assert f'href="{_download(issue, attachment)}">trace.txt</a>' in page


def test_remove_from_the_page(client, issue, sam, vera):
    attachment = services.add_attachment(issue, file=upload(PDF, "a.pdf"), actor=sam)
    url = reverse("issues:remove-attachment", args=[issue.key, attachment.pk])
    client.force_login(vera)
    assert client.post(url).status_code == 403
    client.force_login(sam)
    assert client.post(url).status_code == 302
    assert not Attachment.objects.exists()
