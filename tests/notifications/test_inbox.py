import pytest
from django.urls import reverse

from issues import services
from notifications import services as notify
from notifications.models import Notification, Outbox

pytestmark = pytest.mark.django_db


def deliver():
    for pk in Outbox.objects.values_list("pk", flat=True):
        notify.process_outbox(pk)


@pytest.fixture
def bobs_inbox(eng, alice, bob):
    issues = [
        services.create_issue(eng, actor=alice, title=f"Thing {i}", assignees=[bob])
        for i in range(3)
    ]
    deliver()
    return issues


def test_inbox_lists_unread_first_and_counts_them_in_the_header(client, bob, bobs_inbox):
    first = Notification.objects.filter(recipient=bob).order_by("created_at").first()
    notify.mark_read(bob, [first.pk])
    client.force_login(bob)
    body = client.get(reverse("notifications:inbox")).content.decode()
    assert 'aria-label="2 unread notifications"' in body
    # Unread newest first, then the read one.
    assert body.index("Thing 2") < body.index("Thing 1") < body.index("Thing 0")


def test_the_header_counts_up_to_99_and_then_says_99_plus(client, bob, bobs_inbox):
    from accounts.backends import UNREAD_CAP

    issue = bobs_inbox[0]
    events = [issue.events.create(kind="commented", data={}) for _ in range(UNREAD_CAP - 4)]
    client.force_login(bob)
    Notification.objects.bulk_create(
        Notification(recipient=bob, kind="commented", issue=issue, event=event) for event in events
    )  # 3 + 96 = 99 unread
    assert 'aria-label="99 unread notifications"' in client.get("/").content.decode()
    event = issue.events.create(kind="commented", data={})
    Notification.objects.create(recipient=bob, kind="commented", issue=issue, event=event)
    body = client.get("/").content.decode()
    assert 'aria-label="99+ unread notifications"' in body
    assert '<span class="badge" id="unread-count">99+</span>' in body
    assert "<strong>99+</strong> unread notifications" in body


def test_opening_a_notification_marks_it_read_and_goes_to_the_issue(client, bob, bobs_inbox):
    note = Notification.objects.filter(recipient=bob).first()
    client.force_login(bob)
    response = client.post(reverse("notifications:read", args=[note.pk]), {"open": "1"})
    assert response.status_code == 302 and response.url == note.issue.get_absolute_url()
    note.refresh_from_db()
    assert note.read_at is not None


def test_mark_all_read(client, bob, bobs_inbox):
    client.force_login(bob)
    response = client.post(reverse("notifications:read-all"), follow=True)
    assert "Marked 3 notifications read." in response.content.decode()
    assert not Notification.objects.filter(recipient=bob, read_at__isnull=True).exists()


def test_someone_elses_notification_is_404(client, alice, bob, bobs_inbox):
    note = Notification.objects.filter(recipient=bob).first()
    client.force_login(alice)
    assert client.post(reverse("notifications:read", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_inbox_query_count_is_fixed(client, eng, alice, bob, django_assert_num_queries):
    def grow(n):
        for i in range(n):
            services.create_issue(eng, actor=alice, title=f"x{i}", assignees=[bob])
        deliver()

    client.force_login(bob)
    grow(2)
    # user (with the unread count), count, page; the header's teams
    with django_assert_num_queries(4):
        client.get(reverse("notifications:inbox"))
    grow(12)
    with django_assert_num_queries(4):
        client.get(reverse("notifications:inbox"))


def test_preferences_page_saves_a_choice_per_kind(client, bob):
    client.force_login(bob)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert "Assigned to you" in page and "Daily digest email" in page
    data = {kind: "in_app" for kind, _ in Notification.Kind.choices} | {"assigned": "digest"}
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 302
    assert notify.preference_for(bob.pk).channel_for("assigned") == "digest"
    assert client.post(reverse("notifications:preferences"), {"assigned": "x"}).status_code == 400


def test_inbox_requires_sign_in(client):
    assert client.get(reverse("notifications:inbox")).status_code == 302


def test_an_inbox_page_is_read_in_order_from_its_index(bob, bobs_inbox):
    """The inbox's order is notif_inbox_idx's, so a page stops after 50 index entries
    instead of sorting every notification the person ever had: no sort in the plan."""
    from django.db import connection

    page = notify.inbox(bob)[:50]
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The table is tiny here, where a sort is cheapest: ask for the plan that
            # avoids one. If the index could not give the order, a Sort would remain.
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                cursor.execute(f"SET LOCAL {setting} = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "notif_inbox_idx" in plan and "Sort" not in plan, plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "notif_inbox_idx" in plan and "ORDER BY" not in plan, plan
    assert [n.issue for n in page] == bobs_inbox[::-1]  # newest first, all unread
