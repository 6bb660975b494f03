"""Attachments through the API: multipart upload, list, download, delete; 413 for
oversize files; outsiders get 404."""

from django.core.files.base import ContentFile

from issues import services
from issues.models import Attachment
from tests.issues.test_attachments import PDF, PNG, SVG, files_on_disk, upload

API = "/api/v1/issues/ENG-1/attachments/"


def test_api_upload_list_download_delete(api_as, issue, sam, django_assert_num_queries):
    client = api_as(sam)
    response = client.post(API, {"file": upload(PNG, "shot.png")}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["filename"] == "shot.png"
    assert body["content_type"] == "image/png"
    assert body["uploaded_by"] == "sam"
    for i in range(3):
        services.add_attachment(issue, file=ContentFile(b"x", name=f"{i}.txt"), actor=sam)
    # token, the caller's teams (with roles), issue, attachments page
    with django_assert_num_queries(4):
        listed = client.get(API)
    assert [a["filename"] for a in listed.json()["results"]] == [
        "shot.png",
        "0.txt",
        "1.txt",
        "2.txt",
    ]
    content = client.get(body["download_url"])
    assert b"".join(content.streaming_content) == PNG
    assert content["X-Content-Type-Options"] == "nosniff"
    assert client.delete(f"{API}{body['id']}/").status_code == 204
    assert client.get(f"{API}{body['id']}/").status_code == 404


def test_api_oversize_is_413_and_saves_nothing(api_as, issue, sam, settings, _media_root):
    settings.ATTACHMENT_MAX_BYTES = 10
    response = api_as(sam).post(API, {"file": upload(b"x" * 11, "a.txt")}, format="multipart")
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
    assert not Attachment.objects.exists()
    assert files_on_disk(_media_root) == []


def test_api_refused_type_names_the_field(api_as, issue, sam):
    response = api_as(sam).post(API, {"file": upload(SVG, "a.png")}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_api_comment_must_belong_to_the_issue(api_as, issue, sam, eng, alice):
    other = services.create_issue(eng, actor=alice, title="other")
    foreign = services.add_comment(other, body="x", actor=alice)
    response = api_as(sam).post(
        API, {"file": upload(PDF, "a.pdf"), "comment": foreign.pk}, format="multipart"
    )
    assert response.status_code == 400
    assert "comment" in response.json()["errors"]


def test_api_outsider_gets_404_everywhere(api_as, issue, sam, mallory):
    attachment = services.add_attachment(issue, file=upload(PDF, "a.pdf"), actor=sam)
    client = api_as(mallory)
    assert client.get(API).status_code == 404
    assert client.get(f"{API}{attachment.pk}/").status_code == 404
    assert client.get(f"{API}{attachment.pk}/content/").status_code == 404
    assert client.delete(f"{API}{attachment.pk}/").status_code == 404
    assert client.post(API, {"file": upload(PDF, "a.pdf")}, format="multipart").status_code == 404
