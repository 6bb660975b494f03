"""The issue domain: statuses, labels, customers, issues, comments and the timeline.

Fields of Issue, Assignment, Comment and IssueEvent are written only by
issues/services.py, so the timeline and notifications always match the data.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Cast, Lower
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone

from accounts.models import Team


class Status(models.Model):
    """One step of a team's workflow. Its category says what the step means."""

    class Category(models.TextChoices):
        TRIAGE = "triage", "Triage"
        TODO = "todo", "To do"
        IN_PROGRESS = "in_progress", "In progress"
        WAITING = "waiting", "Waiting"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    CLOSED_CATEGORIES = frozenset({Category.DONE, Category.CANCELLED})

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="statuses")
    name = models.CharField(max_length=60)
    category = models.CharField(max_length=12, choices=Category.choices)
    position = models.PositiveSmallIntegerField(default=0)
    stale_after = models.DurationField(
        null=True, blank=True, help_text="An issue here with no activity for this long is stale."
    )

    class Meta:
        verbose_name_plural = "statuses"
        constraints = [
            models.UniqueConstraint(Lower("name"), "team", name="issues_status_unique_team_name"),
            models.CheckConstraint(
                condition=Q(
                    category__in=["triage", "todo", "in_progress", "waiting", "done", "cancelled"]
                ),
                name="issues_status_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(stale_after__isnull=True) | Q(stale_after__gt=timedelta(0)),
                name="issues_status_stale_after_positive",
            ),
        ]
        indexes = [models.Index(fields=["team", "position"], name="issues_status_team_pos_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.category in self.CLOSED_CATEGORIES


DEFAULT_WORKFLOW: list[tuple[str, str, int | None]] = [
    # name, category, stale after (days)
    ("New", Status.Category.TRIAGE, 2),
    ("Triaged", Status.Category.TODO, 14),
    ("In progress", Status.Category.IN_PROGRESS, 7),
    ("Waiting on customer", Status.Category.WAITING, 5),
    ("Resolved", Status.Category.DONE, None),
    ("Closed", Status.Category.DONE, None),
    ("Won't fix", Status.Category.CANCELLED, None),
]

color_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour is #RRGGBB, e.g. #d73a4a.")


class Label(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=50)
    color = models.CharField(max_length=7, default="#6b7280", validators=[color_validator])
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("name"), "team", name="issues_label_unique_team_name"),
            models.CheckConstraint(
                condition=Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="issues_label_color_hex"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Organization(models.Model):
    """A company or group that customers belong to; names are unique whatever their case."""

    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("name"), name="issues_organization_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("issues:organization", kwargs={"pk": self.pk})


class Customer(models.Model):
    """Someone outside the teams who reports problems; support links issues to them."""

    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
    )
    phone = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="issues_customer_unique_email"
            ),
        ]
        indexes = [
            models.Index(Lower("name"), name="issues_customer_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("issues:customer", kwargs={"pk": self.pk})

    @property
    def organization_name(self) -> str:
        """The organization's name, or "" (load with select_related("organization"))."""
        return self.organization.name if self.organization_id else ""


# Open issues not yet escalated in their current quiet spell: all that a stale sweep can
# still have to report (one escalated for its spell was reported too). The same Q is the
# condition of the issues_stale_sweep_idx index, so PostgreSQL can prove the index
# applies, and a sweep reads only issues quiet past their status's limit and not done
# with, instead of every stale issue each time.
STALE_SWEEP_Q = Q(resolved_at__isnull=True) & (
    Q(stale_escalated_for__isnull=True) | ~Q(stale_escalated_for=F("last_activity_at"))
)
_KEY_URLS: dict[tuple, tuple[str, str]] = {}


def key_url_parts(view_name: str) -> tuple[str, str]:
    """reverse(view_name, key=...) as the parts before and after the issue key, resolved
    once per view and URL configuration: a list links every row, and keys ("ENG-42":
    letters, digits, a dash) need no quoting."""
    where = (view_name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    parts = _KEY_URLS.get(where)
    if parts is None:
        head, _, tail = reverse(view_name, kwargs={"key": "KEY-0"}).rpartition("KEY-0")
        parts = _KEY_URLS[where] = (head, tail)
    return parts


def issue_url(key: str) -> str:
    """reverse("issues:detail", key=key), without resolving the URL each time."""
    head, tail = key_url_parts("issues:detail")
    return head + key + tail


def _where_set(field: str, name: str) -> list[models.Index]:
    """An index on a nullable foreign key over the rows where it is set."""
    return [models.Index(fields=[field], condition=Q(**{f"{field}__isnull": False}), name=name)]


class IssueQuerySet(models.QuerySet):
    def visible_to(self, user) -> "IssueQuerySet":
        """Issues of the teams `user` belongs to (all, for superusers)."""
        return self.filter(team__in=Team.objects.visible_to(user).values("pk"))

    def of_teams(self, *team_ids: int) -> "IssueQuerySet":
        """Issues of these teams, the ids typed as the column is (bigint).

        psycopg writes a Python int into the SQL as an integer literal, and PostgreSQL
        uses the (team, search document) GIN index of open issues (btree_gin's bigint
        operators, which do not compare across types) only for `team_id = '1'::bigint`:
        a team's search at 1,000,000 issues then reads the few hundred matches straight
        from that index (5.6 ms) instead of intersecting the word's 10,000 matches with a
        bitmap of the team's 48,808 open issues (10.8 ms). Several teams are an IN list,
        which no GIN index serves, so they are compared as usual."""
        if len(team_ids) == 1:
            return self.filter(team_id=Cast(Value(team_ids[0]), models.BigIntegerField()))
        return self.filter(team_id__in=team_ids)

    def open(self) -> "IssueQuerySet":
        return self.filter(resolved_at__isnull=True)

    def closed(self) -> "IssueQuerySet":
        return self.filter(resolved_at__isnull=False)

    def with_list_columns(self) -> "IssueQuerySet":
        """The joins a list row needs: team, status, reporter, assignees, labels."""
        return self.select_related("team", "status", "reporter").prefetch_related(
            "assignees", "labels"
        )


class Issue(models.Model):
    class Kind(models.TextChoices):
        BUG = "bug", "Bug"
        QUESTION = "question", "Question"
        COMPLAINT = "complaint", "Complaint"
        FEEDBACK = "feedback", "Feedback"
        FEATURE = "feature", "Feature request"
        TASK = "task", "Task"

    class Priority(models.IntegerChoices):
        # Stored as numbers so "sort by priority" is an index scan: urgent first, none last.
        URGENT = 1, "Urgent"
        HIGH = 2, "High"
        MEDIUM = 3, "Medium"
        LOW = 4, "Low"
        NONE = 5, "No priority"

    class Channel(models.TextChoices):
        WEB = "web", "Web"
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        CHAT = "chat", "Chat"
        API = "api", "API"

    # No index of their own for team, status and reporter: the composite indexes below
    # lead with them (team: the unique (team, number) and every team_* index), and each
    # index is one more write on every insert and update of an issue.
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="issues", db_index=False)
    number = models.PositiveIntegerField(editable=False)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    description_html = models.TextField(blank=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.BUG)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NONE)
    status = models.ForeignKey(
        Status, on_delete=models.PROTECT, related_name="issues", db_index=False
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_issues",
        db_index=False,
    )
    customers = models.ManyToManyField(
        Customer,
        through="IssueCustomer",
        through_fields=("issue", "customer"),
        related_name="issues",
        blank=True,
    )
    # How many customers this affects: kept by the services with the IssueCustomer rows,
    # so the list can sort by it through an index instead of counting per row.
    customer_count = models.PositiveIntegerField(default=0, editable=False)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Assignment",
        through_fields=("issue", "user"),
        related_name="assigned_issues",
        blank=True,
    )
    labels = models.ManyToManyField(Label, related_name="issues", blank=True)
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="watched_issues", blank=True
    )
    due_date = models.DateField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        db_index=False,  # a partial index (few issues are duplicates): see Meta
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_activity_at = models.DateTimeField(default=timezone.now, editable=False)
    # When the issue first entered an in-progress status (where its cycle time starts):
    # the earliest `entered_at` of its periods in in-progress statuses, NULL if none.
    # Kept by the services with the periods (services._enter_status); re-derived by
    # `derive_started_at` when the periods are rebuilt or a status moves into or out of
    # the in-progress category. The cycle-time report reads it from an index instead of
    # searching every resolved issue's periods.
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Bumped by every change; pages and the API send it back to detect concurrent edits.
    version = models.PositiveIntegerField(default=1, editable=False)
    # PostgreSQL full-text document (title A, description B, comments C), kept by the
    # services; GIN-indexed by a PostgreSQL-only migration. Unused (NULL) on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)
    # The stale sweep's memory: the last_activity_at of the quiet spell it already reported
    # (and escalated). Any activity moves last_activity_at, which starts a new spell.
    stale_reported_for = models.DateTimeField(null=True, blank=True, editable=False)
    stale_escalated_for = models.DateTimeField(null=True, blank=True, editable=False)
    # The "waiting on customer" clock. Entering a waiting status remembers when, who moved
    # it there and the active status it came from (where a customer reply sends it
    # back); leaving clears them. The follow-up sweep remembers the spell it reported.
    waiting_since = models.DateTimeField(null=True, blank=True, editable=False)
    waiting_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,  # partial, see Meta
    )
    resume_status = models.ForeignKey(
        Status,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,  # partial, see Meta
    )
    follow_up_reported_for = models.DateTimeField(null=True, blank=True, editable=False)
    # The customer status link: a random nonce, never the link itself. The URL carries an
    # HMAC of (issue id, nonce) under SECRET_KEY (issues/customer_links.py), so reading
    # the database is not enough to rebuild a link; revoking clears the nonce and a new
    # link gets a new one, so every earlier URL stops working.
    status_link_nonce = models.CharField(max_length=64, blank=True, editable=False)
    status_link_created_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = IssueQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "number"], name="issues_issue_unique_team_number"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="issues_issue_number_positive"),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=5), name="issues_issue_priority_valid"
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=models.F("pk")), name="issues_issue_not_own_duplicate"
            ),
        ]
        indexes = [
            # The team list: open issues sorted by priority, then by activity. With the id
            # (the sort's last key) and the status in the index, a page of a status or a
            # category is read in order from the index alone and stops at 50 rows. The
            # creation time makes the aging report (open issues by status and age, the
            # stale ones first) an index-only scan too.
            models.Index(
                fields=["team", "priority", "-last_activity_at", "-id"],
                include=["status", "created_at"],
                condition=Q(resolved_at__isnull=True),
                name="issues_open_team_prio_idx",
            ),
            models.Index(
                fields=["team", "status", "-last_activity_at"], name="issues_team_status_idx"
            ),
            # The status and category filters over open issues, and the page's count of
            # them: an index-only scan per status instead of intersecting two bitmaps.
            models.Index(
                fields=["team", "status"],
                condition=Q(resolved_at__isnull=True),
                name="issues_open_team_status_idx",
            ),
            models.Index(fields=["team", "-last_activity_at"], name="issues_team_activity_idx"),
            models.Index(fields=["team", "-created_at"], name="issues_team_created_idx"),
            models.Index(fields=["team", "kind"], name="issues_team_kind_idx"),
            models.Index(fields=["team", "channel"], name="issues_team_channel_idx"),
            models.Index(fields=["status", "last_activity_at"], name="issues_status_activity_idx"),
            # Issues resolved in a window: the created-vs-resolved, resolution-time and
            # cycle-time reports, read from the index alone.
            models.Index(
                fields=["team", "resolved_at"],
                include=["created_at", "started_at", "priority", "status"],
                name="issues_team_resolved_idx",
            ),
            models.Index(fields=["reporter", "-last_activity_at"], name="issues_reporter_idx"),
            models.Index(
                fields=["team", "-customer_count", "priority"], name="issues_team_customers_idx"
            ),
            models.Index(fields=["team", "due_date"], name="issues_team_due_idx"),
            # The stale sweep: per status, the issues quiet for longer than it allows.
            models.Index(
                fields=["status", "last_activity_at"],
                condition=STALE_SWEEP_Q,
                name="issues_stale_sweep_idx",
            ),
            # The follow-up sweep: open issues waiting on the customer, by when.
            models.Index(
                fields=["waiting_since"],
                condition=Q(waiting_since__isnull=False, resolved_at__isnull=True),
                name="issues_waiting_since_idx",
            ),
            # Links that most issues leave empty: indexed where set (what deleting the
            # issue, user or status they point at looks up), not one entry per issue.
            *_where_set("duplicate_of", "issues_duplicate_of_idx"),
            *_where_set("waiting_set_by", "issues_waiting_set_by_idx"),
            *_where_set("resume_status", "issues_resume_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def get_absolute_url(self) -> str:
        return issue_url(self.key)

    @property
    def key(self) -> str:
        return f"{self.team.key}-{self.number}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None


class Assignment(models.Model):
    # Indexed by the unique (issue, user) and issues_assignment_user_idx (user, issue).
    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="assignments", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="assignments",
        db_index=False,
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments_made",
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "user"], name="issues_assignment_unique_user"),
        ]
        indexes = [models.Index(fields=["user", "issue"], name="issues_assignment_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} on {self.issue_id}"


class IssueCustomer(models.Model):
    """A customer affected by an issue: who linked them and when."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="customer_links")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="issue_links")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer_links_made",
    )
    added_at = models.DateTimeField(default=timezone.now)
    # Email this customer about public comments and resolution (if they have an email
    # and the team emails customers). Support can turn it off per issue.
    is_notified = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "customer"], name="issues_issuecustomer_unique_customer"
            ),
        ]
        indexes = [
            # "The issues of a customer" (customer pages, ?customer=<id>).
            models.Index(fields=["customer", "issue"], name="issues_issuecustomer_cust_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} on {self.issue_id}"


class Comment(models.Model):
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
    )
    # Set when the customer wrote it (an email reply through intake, or support typing it
    # in on their behalf): the timeline shows "Dana (customer)" instead of the author.
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
    )
    body = models.TextField()
    body_html = models.TextField(blank=True, editable=False)
    # Public comments are the conversation with the customer; internal ones stay in the team.
    is_public = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["issue", "created_at"], name="issues_comment_issue_idx")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on issue {self.issue_id}"


class IssueEvent(models.Model):
    """One fact on an issue's timeline. Append-only: written by services, never edited."""

    class Kind(models.TextChoices):
        CREATED = "created", "created"
        TITLE_CHANGED = "title_changed", "changed the title"
        DESCRIPTION_CHANGED = "description_changed", "edited the description"
        STATUS_CHANGED = "status_changed", "changed the status"
        PRIORITY_CHANGED = "priority_changed", "changed the priority"
        KIND_CHANGED = "kind_changed", "changed the kind"
        CHANNEL_CHANGED = "channel_changed", "changed the channel"
        DUE_DATE_CHANGED = "due_date_changed", "changed the due date"
        ASSIGNED = "assigned", "assigned"
        UNASSIGNED = "unassigned", "unassigned"
        LABELED = "labeled", "added a label"
        UNLABELED = "unlabeled", "removed a label"
        COMMENTED = "commented", "commented"
        COMMENT_EDITED = "comment_edited", "edited a comment"
        CUSTOMER_LINKED = "customer_linked", "linked a customer"
        CUSTOMER_UNLINKED = "customer_unlinked", "unlinked a customer"
        MARKED_DUPLICATE = "marked_duplicate", "marked as duplicate"
        UNMARKED_DUPLICATE = "unmarked_duplicate", "unmarked as duplicate"
        ATTACHMENT_ADDED = "attachment_added", "attached a file"
        ATTACHMENT_REMOVED = "attachment_removed", "removed an attachment"
        BECAME_STALE = "became_stale", "became stale"
        STALE_ESCALATED = "stale_escalated", "stale issue escalated"
        STATUS_LINK_CREATED = "status_link_created", "created the customer status link"
        STATUS_LINK_REVOKED = "status_link_revoked", "revoked the customer status link"
        CUSTOMER_EMAILS_CHANGED = "customer_emails_changed", "changed customer emails"
        FOLLOW_UP_DUE = "follow_up_due", "follow-up due"

    # Indexed by issues_event_issue_time_idx, which leads with it.
    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    # None means the system (the stale sweep, email intake without a known sender, ...).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="issue_events",
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    # Typed columns for what reports query; everything else is in `data` (from/to values).
    # These four are empty on most events: indexed where set (see Meta).
    from_status = models.ForeignKey(
        Status, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    to_status = models.ForeignKey(
        Status, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The assignee of an assigned/unassigned event.",
        db_index=False,
    )
    comment = models.ForeignKey(
        Comment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        db_index=False,
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["issue", "created_at", "id"], name="issues_event_issue_time_idx"),
            models.Index(fields=["kind", "created_at"], name="issues_event_kind_time_idx"),
            models.Index(
                fields=["to_status", "created_at"],
                condition=Q(kind="status_changed"),
                name="issues_event_status_time_idx",
            ),
            *_where_set("from_status", "issues_event_from_status_idx"),
            *_where_set("to_status", "issues_event_to_status_idx"),
            *_where_set("subject_user", "issues_event_subject_user_idx"),
            *_where_set("comment", "issues_event_comment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on issue {self.issue_id} at {self.created_at:%Y-%m-%d %H:%M}"


def _attachment_path(instance: "Attachment", filename: str) -> str:
    # A random name, no extension: what the uploader called the file is kept in
    # `filename` and only ever sent back in Content-Disposition.
    return f"attachments/{instance.issue.team_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file on an issue (or on one of its comments), served only to the team."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["issue", "created_at", "id"], name="issues_attachment_issue_idx"),
            models.Index(fields=["comment"], name="issues_attachment_comment_idx"),
        ]

    def __str__(self) -> str:
        return self.filename

    def get_absolute_url(self) -> str:
        return reverse("issues:attachment", kwargs={"key": self.issue.key, "pk": self.pk})


class IntakeMessage(models.Model):
    """An email that intake has turned into an issue or comment. The unique Message-ID
    is what makes a second delivery of the same mail a no-op."""

    message_id = models.CharField(max_length=500)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="intake_messages")
    issue = models.ForeignKey(
        Issue, on_delete=models.SET_NULL, null=True, blank=True, related_name="intake_messages"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sender = models.EmailField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"], name="issues_intakemessage_unique_message_id"
            ),
        ]

    def __str__(self) -> str:
        return self.message_id


class SavedView(models.Model):
    """A named, bookmarkable filter of a team's issue list (its query string)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="saved_views")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "team", "owner", name="issues_savedview_unique_name"
            ),
        ]
        indexes = [models.Index(fields=["owner", "team"], name="issues_savedview_owner_idx")]

    def __str__(self) -> str:
        return self.name


class StatusPeriod(models.Model):
    """One stretch of an issue's life in one status: from the event that moved it in
    until the next status event (`left_at` is NULL while it is the current status).

    Written only by issues/services.py, in the transaction of the status event, and
    rebuilt from the timeline by `services.rebuild_status_periods`. Periods of an issue
    follow each other without gaps; they are ordered by (entered_at, entered_event), so
    two moves within the same instant give a zero-length period in the right place.
    `team` is the issue's, copied so reports filter periods without a join.
    """

    # Not indexed alone: the composite indexes below start with them.
    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="status_periods", db_index=False
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="status_periods", db_index=False
    )
    status = models.ForeignKey(Status, on_delete=models.PROTECT, related_name="periods")
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    # None means the system, as IssueEvent.actor.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_event = models.OneToOneField(
        IssueEvent, on_delete=models.CASCADE, related_name="opened_period"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issue"],
                condition=Q(left_at__isnull=True),
                name="issues_statusperiod_one_open",
            ),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=models.F("entered_at")),
                name="issues_statusperiod_left_after_entered",
            ),
        ]
        indexes = [
            # Time in status and cumulative flow: periods of a team entered (or left)
            # within a window, read from the index alone (a team's periods are spread
            # over the whole table: reading them from it read all of it).
            models.Index(
                fields=["team", "entered_at"],
                include=["left_at", "status", "issue"],
                name="issues_period_team_in_idx",
            ),
            models.Index(
                fields=["team", "left_at"], include=["status"], name="issues_period_team_out_idx"
            ),
            # Time in status groups a team's periods by status: read in that order, its
            # aggregate needs no sort of them first (at 1M issues, 1.1M periods a year).
            models.Index(
                fields=["team", "status", "entered_at"],
                include=["left_at", "issue"],
                name="issues_period_team_status_idx",
            ),
            # An issue's bar, and its first in-progress entry (cycle time).
            models.Index(fields=["issue", "entered_at"], name="issues_period_issue_idx"),
        ]

    def __str__(self) -> str:
        return f"issue {self.issue_id} in {self.status_id} from {self.entered_at:%Y-%m-%d %H:%M}"
