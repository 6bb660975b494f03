"""Helpers the scenarios share: producing assignments and counting what arrived."""

from __future__ import annotations

from collections import Counter

from ..harness import Apps, Http, Response


def api_client(apps: Apps, token: str) -> Http:
    client = Http(apps.web_port)
    client.token = token
    return client


def create_issue(client: Http, team: str, title: str, assignee: str | None = None) -> Response:
    data = {"team": team, "title": title}
    if assignee:
        data["assignees"] = [assignee]
    return client.request("POST", "/api/v1/issues/", data=data)


def create_issue_page(client: Http, team: str, title: str, assignee_pk: int) -> Response:
    """The New issue form, as a signed-in browser posts it."""
    return client.request(
        "POST",
        "/issues/new/",
        form={"team": team, "title": title, "kind": "bug", "priority": "5", "channel": "web",
              "assignees": str(assignee_pk)},
    )  # fmt: skip


def deliveries(apps: Apps, kind: str = "assigned") -> tuple[int, int, int]:
    """(in-app notifications of `kind`, distinct emails, duplicate emails)."""
    from notifications.models import Notification

    notes = Notification.objects.filter(kind=kind).count()
    mail = Counter((tuple(m["to"]), m["subject"]) for m in apps.mail())
    duplicates = sum(count - 1 for count in mail.values())
    return notes, len(mail), duplicates
