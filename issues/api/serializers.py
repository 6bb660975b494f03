"""API serializers. Output: read-only ModelSerializers with explicit fields, fed by the
selectors in issues/api/selectors.py (nothing here queries). Input: one plain Serializer
per operation, checking shape and turning names into objects of the right team; the
views pass `validated_data` to the services, which apply the rules.

One vocabulary for reading and writing: people are usernames, statuses and labels are
names, priorities are `urgent`, `high`, `medium`, `low`, `none` (as in the list
filters), issues are keys (`ENG-42`) and customers are ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from accounts.models import Membership, Team
from notifications.models import Notification

from .. import customer_links, pickers, selectors
from ..filters import PRIORITY_NAMES
from ..models import (
    Attachment,
    Comment,
    Customer,
    Issue,
    IssueEvent,
    Label,
    Organization,
    Status,
    StatusPeriod,
    key_url_parts,
)
from ..services import TEXT_MAX, TITLE_MAX

User = get_user_model()

# "none" rather than the filters' alias "no" for "No priority".
PRIORITY_CHOICES = [name for name in PRIORITY_NAMES if name != "no"]
PRIORITY_BY_VALUE = {int(PRIORITY_NAMES[name]): name for name in PRIORITY_CHOICES}
NAME_MAX = 150
LIST_MAX = 50


# --- fields -------------------------------------------------------------------------


class PriorityField(serializers.ChoiceField):
    """`urgent`, `high`, `medium`, `low` or `none`; stored as 1 to 5."""

    def __init__(self, **kwargs):
        super().__init__(choices=PRIORITY_CHOICES, **kwargs)

    def to_internal_value(self, data):
        return PRIORITY_NAMES[super().to_internal_value(data)]

    def to_representation(self, value):
        return PRIORITY_BY_VALUE.get(int(value), "none")


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class NamesField(serializers.Field):
    """A read-only list of related rows shown by one attribute (username, name)."""

    def __init__(self, attribute: str, **kwargs):
        self.attribute = attribute
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return [getattr(item, self.attribute) for item in value]


@extend_schema_field({"type": "array", "items": {"type": "integer"}})
class IdsField(serializers.Field):
    """A read-only list of ids of prefetched link rows (`attribute` names the id)."""

    def __init__(self, attribute: str, **kwargs):
        self.attribute = attribute
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return [getattr(item, self.attribute) for item in value]


@extend_schema_field({"type": "string", "format": "uri", "nullable": True})
class StatusUrlField(serializers.Field):
    """The issue's customer status link (absolute, from SITE_URL), or None. No query."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return customer_links.status_url(value)


@extend_schema_field(OpenApiTypes.URI)
class ApiUrlField(serializers.Field):
    """The absolute URL of the row's own API endpoint."""

    def __init__(self, view_name: str, lookup: str, **kwargs):
        self.view_name, self.lookup = view_name, lookup
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        url = reverse(self.view_name, args=[getattr(value, self.lookup)])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


@extend_schema_field(OpenApiTypes.URI)
class PageUrlField(serializers.Field):
    """The absolute URL of the row's page in the web app."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        request = self.context.get("request")
        url = value.get_absolute_url()
        return request.build_absolute_uri(url) if request else url


def _customer_ids(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**53),
        max_length=LIST_MAX,
        required=False,
        help_text=help_text,
    )


def _names(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=NAME_MAX),
        max_length=LIST_MAX,
        required=False,
        help_text=help_text,
    )


# --- output -------------------------------------------------------------------------


class StatusOutput(serializers.ModelSerializer):
    stale_after = serializers.DurationField(
        format="iso-8601",
        read_only=True,
        allow_null=True,
        help_text="An open issue here with no activity for this long is stale (ISO 8601).",
    )

    class Meta:
        model = Status
        fields = ("name", "category", "position", "stale_after")
        read_only_fields = fields


class LabelOutput(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = ("name", "color", "description")
        read_only_fields = fields


class MemberOutput(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.name", read_only=True)

    class Meta:
        model = Membership
        fields = ("username", "name", "role")
        read_only_fields = fields


class TeamOutput(serializers.ModelSerializer):
    url = ApiUrlField("api:team-detail", "key")
    role = serializers.ChoiceField(
        source="my_role",
        choices=Membership.Role.choices,
        read_only=True,
        allow_null=True,
        help_text="Your role in the team (null for site administrators who are not members).",
    )

    class Meta:
        model = Team
        fields = ("key", "name", "description", "role", "url")
        read_only_fields = fields


class TeamDetailOutput(TeamOutput):
    statuses = StatusOutput(many=True, read_only=True, source="status_list")
    labels = LabelOutput(many=True, read_only=True, source="label_list")
    members = MemberOutput(many=True, read_only=True, source="member_list")

    class Meta(TeamOutput.Meta):
        fields = (*TeamOutput.Meta.fields, "statuses", "labels", "members")
        read_only_fields = fields


class IssueOutput(serializers.ModelSerializer):
    key = serializers.CharField(read_only=True, help_text="Team key and number, e.g. ENG-42.")
    team = serializers.CharField(source="team.key", read_only=True)
    status = serializers.CharField(source="status.name", read_only=True)
    status_category = serializers.ChoiceField(
        source="status.category", choices=Status.Category.choices, read_only=True
    )
    priority = PriorityField(read_only=True)
    assignees = NamesField("username", source="assignee_list", help_text="Usernames.")
    labels = NamesField("name", source="label_list", help_text="Label names.")
    reporter = serializers.CharField(
        source="reporter.username", read_only=True, allow_null=True, help_text="A username."
    )
    customers = IdsField(
        "customer_id",
        source="customer_link_list",
        help_text="Ids of the customers this issue affects, in the order they were added.",
    )
    customer_count = serializers.IntegerField(
        read_only=True, help_text="How many customers this issue affects."
    )
    status_url = StatusUrlField(
        help_text=(
            "The customer status link (a public page: title, status in plain words, public "
            "comments), or null while the issue has none. Created and revoked on the issue page."
        )
    )
    duplicate_of = serializers.CharField(
        source="duplicate_of.key", read_only=True, allow_null=True, help_text="An issue key."
    )
    is_stale = serializers.BooleanField(
        read_only=True, help_text="Open and without activity for longer than its status allows."
    )
    url = ApiUrlField("api:issue-detail", "key")
    html_url = PageUrlField(help_text="The issue's page.")

    class Meta:
        model = Issue
        fields = (
            "key",
            "team",
            "number",
            "title",
            "description",
            "description_html",
            "kind",
            "priority",
            "status",
            "status_category",
            "assignees",
            "labels",
            "reporter",
            "customers",
            "customer_count",
            "status_url",
            "channel",
            "due_date",
            "duplicate_of",
            "is_stale",
            "created_at",
            "last_activity_at",
            "resolved_at",
            "version",
            "url",
            "html_url",
        )
        read_only_fields = fields
        extra_kwargs = {
            "description_html": {"help_text": "The description rendered and sanitized."},
            "version": {"help_text": "Bumped by every change; the ETag carries it."},
        }

    # The fields above declare the output (and the schema); this builds the same dict
    # directly. DRF's generic path costs a few hundred function calls per row (field
    # lookup, get_attribute, one reverse() per URL), most of a list page's CPU.
    # tests/api/test_issue_output.py holds both paths to the same output.
    def to_representation(self, issue: Issue) -> dict:
        api_url, html_url = self._url_templates()
        key = f"{issue.team.key}-{issue.number}"
        when = self._when()
        status = issue.status
        reporter = issue.reporter
        duplicate_of = issue.duplicate_of
        return {
            "key": key,
            "team": issue.team.key,
            "number": issue.number,
            "title": issue.title,
            "description": issue.description,
            "description_html": issue.description_html,
            "kind": str(issue.kind),
            "priority": PRIORITY_BY_VALUE.get(int(issue.priority), "none"),
            "status": status.name,
            "status_category": str(status.category),
            "assignees": [user.username for user in issue.assignee_list],
            "labels": [label.name for label in issue.label_list],
            "reporter": reporter.username if reporter is not None else None,
            "customers": [link.customer_id for link in issue.customer_link_list],
            "customer_count": issue.customer_count,
            "status_url": customer_links.status_url(issue),
            "channel": str(issue.channel),
            "due_date": issue.due_date.isoformat() if issue.due_date else None,
            "duplicate_of": duplicate_of.key if duplicate_of is not None else None,
            "is_stale": bool(issue.is_stale),
            "created_at": when(issue.created_at),
            "last_activity_at": when(issue.last_activity_at),
            "resolved_at": when(issue.resolved_at) if issue.resolved_at else None,
            "version": issue.version,
            "url": api_url[0] + key + api_url[1],
            "html_url": html_url[0] + key + html_url[1],
        }

    def _when(self) -> Callable[[dt.datetime], str]:
        """DateTimeField's output (ISO 8601 in the current time zone, "Z" for UTC) for
        the model's aware datetimes, with the time zone looked up once per serializer
        instead of twice per row."""
        when = getattr(self, "_when_cached", None)
        if when is None:
            zone = _DATETIME.default_timezone()
            if zone is None or api_settings.DATETIME_FORMAT.lower() != ISO_8601:
                when = _DATETIME.to_representation
            else:

                def when(value: dt.datetime) -> str:
                    text = value.astimezone(zone).isoformat()
                    return text[:-6] + "Z" if text.endswith("+00:00") else text

            self._when_cached = when
        return when

    def _url_templates(self) -> tuple[tuple[str, str], tuple[str, str]]:
        """The row URLs (API, page) as absolute (head, tail) around the key, resolved
        once per serializer, not twice per row."""
        templates = getattr(self, "_templates", None)
        if templates is None:
            request = self.context.get("request")
            templates = []
            for view_name in ("api:issue-detail", "issues:detail"):
                head, tail = key_url_parts(view_name)
                templates.append((request.build_absolute_uri(head) if request else head, tail))
            self._templates = templates = tuple(templates)
        return templates


# The model's DateTimeFields map to this field, unchanged; used unbound, without
# building the serializer's fields on every request.
_DATETIME = serializers.DateTimeField(read_only=True)


class StatusLinkOutput(serializers.Serializer):
    status_url = StatusUrlField(help_text="The customer status link, or null without one.")


class CommentOutput(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True, allow_null=True)
    customer = serializers.CharField(
        source="customer.name",
        read_only=True,
        allow_null=True,
        help_text="Set when the customer wrote it (an email reply, or support on their behalf).",
    )
    public = serializers.BooleanField(
        source="is_public", read_only=True, help_text="Public comments are what the customer sees."
    )

    class Meta:
        model = Comment
        fields = (
            "id",
            "author",
            "customer",
            "body",
            "body_html",
            "public",
            "created_at",
            "edited_at",
        )
        read_only_fields = fields


class IssueEventOutput(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor.username", read_only=True, allow_null=True, help_text="Null: the system."
    )
    from_status = serializers.CharField(source="from_status.name", read_only=True, allow_null=True)
    to_status = serializers.CharField(source="to_status.name", read_only=True, allow_null=True)
    subject_user = serializers.CharField(
        source="subject_user.username",
        read_only=True,
        allow_null=True,
        help_text="Who was assigned or unassigned.",
    )
    comment = serializers.IntegerField(source="comment_id", read_only=True, allow_null=True)
    data = serializers.DictField(read_only=True, help_text="The event's details (from, to, ...).")

    class Meta:
        model = IssueEvent
        fields = (
            "id",
            "kind",
            "actor",
            "created_at",
            "from_status",
            "to_status",
            "subject_user",
            "comment",
            "data",
        )
        read_only_fields = fields


class CustomerOutput(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text="An email address, or empty.")
    organization = serializers.CharField(
        source="organization_name", read_only=True, help_text="The organization's name, or empty."
    )
    organization_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The organization's id (see /organizations/)."
    )
    url = ApiUrlField("api:customer-detail", "pk")

    class Meta:
        model = Customer
        fields = (
            "id",
            "name",
            "email",
            "organization",
            "organization_id",
            "phone",
            "created_at",
            "url",
        )
        read_only_fields = fields


class OrganizationOutput(serializers.ModelSerializer):
    customer_count = serializers.IntegerField(read_only=True, help_text="Its customers.")
    url = ApiUrlField("api:organization-detail", "pk")

    class Meta:
        model = Organization
        fields = ("id", "name", "customer_count", "created_at", "url")
        read_only_fields = fields


class NotificationOutput(serializers.ModelSerializer):
    issue = serializers.CharField(source="issue.key", read_only=True)
    issue_title = serializers.CharField(source="issue.title", read_only=True)
    event = serializers.IntegerField(source="event_id", read_only=True)
    actor = serializers.CharField(source="event.actor.username", read_only=True, allow_null=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = (
            "id",
            "kind",
            "issue",
            "issue_title",
            "event",
            "actor",
            "created_at",
            "read_at",
            "is_read",
        )
        read_only_fields = fields

    def get_is_read(self, note) -> bool:
        return note.read_at is not None


class MembershipOutput(serializers.ModelSerializer):
    key = serializers.CharField(source="team.key", read_only=True)
    name = serializers.CharField(source="team.name", read_only=True)

    class Meta:
        model = Membership
        fields = ("key", "name", "role")
        read_only_fields = fields


class MeOutput(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    teams = MembershipOutput(many=True, read_only=True, source="team_list")

    class Meta:
        model = User
        fields = ("username", "name", "email", "teams")
        read_only_fields = fields


class ReadCountOutput(serializers.Serializer):
    marked_read = serializers.IntegerField(help_text="How many notifications changed.")


# --- input --------------------------------------------------------------------------


class _StrictInput(serializers.Serializer):
    """Refuses fields it does not know (a typo must not be silently ignored)."""

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors = {name[:100]: ["Unknown field: it cannot be set here."] for name in unknown[:20]}
        try:
            value = super().to_internal_value(data)
            if errors:  # name every bad field at once, not the unknown ones first
                self.validate(value)
        except serializers.ValidationError as error:
            if isinstance(error.detail, dict):
                errors = {**error.detail, **errors}
            raise serializers.ValidationError(errors or error.detail) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value


_PICKED = ("status", "labels", "assignees")


def _lookup_errors(team: Team, attrs: dict, user) -> tuple[dict, dict]:
    """Turn names into the team's objects. Anything of another team is "not found"."""
    resolved, errors = {}, {}
    # Names are found among the team's pickers (kept per process) first; only a name
    # they lack is looked up, so that the error says exactly what is wrong.
    kept = pickers.team_pickers(team) if any(attrs.get(n) is not None for n in _PICKED) else None
    if attrs.get("status") is not None:
        status = (
            next((s for s in kept["statuses"] if s.name.lower() == attrs["status"].lower()), None)
            or Status.objects.filter(team=team, name__iexact=attrs["status"]).first()
        )
        if status is None:
            names = ", ".join(
                Status.objects.filter(team=team).order_by("position").values_list("name", flat=True)
            )
            errors["status"] = [
                f"{team.key} has no status {attrs['status']!r}; use one of: {names}."
            ]
        resolved["status"] = status
    if attrs.get("labels") is not None:
        wanted = list(dict.fromkeys(name.lower() for name in attrs["labels"]))
        found = {label.name.lower(): label for label in kept["labels"]}
        if not all(name in found for name in wanted):
            found = {
                label.name.lower(): label
                for label in Label.objects.annotate(lname=Lower("name")).filter(
                    team=team, lname__in=wanted
                )
            }
        missing = [name for name in attrs["labels"] if name.lower() not in found]
        if missing:
            errors["labels"] = [f"{team.key} has no label {name!r}." for name in missing]
        resolved["labels"] = [found[name] for name in wanted if name in found]
    if attrs.get("assignees") is not None:
        wanted = list(dict.fromkeys(attrs["assignees"]))
        found = {u.username: u for u in kept["members"]}
        if not all(name in found for name in wanted):
            # A viewer is found here, for the services to say they cannot be assigned.
            found = {
                u.username: u
                for u in User.objects.filter(
                    username__in=wanted, memberships__team=team, is_active=True
                )
            }
        missing = [name for name in wanted if name not in found]
        if missing:
            errors["assignees"] = [f"{name} is not a member of {team.key}." for name in missing]
        resolved["assignees"] = [found[name] for name in wanted if name in found]
    if attrs.get("customers") is not None:
        wanted = list(dict.fromkeys(attrs["customers"]))
        found = Customer.objects.in_bulk(wanted)
        missing = [pk for pk in wanted if pk not in found]
        if missing:
            errors["customers"] = [f"No customer with id {pk}." for pk in missing]
        resolved["customers"] = [found[pk] for pk in wanted if pk in found]
    if "duplicate_of" in attrs:
        key = attrs["duplicate_of"]
        if key is None:
            resolved["duplicate_of"] = None
        else:
            try:
                resolved["duplicate_of"] = selectors.get_issue_for_user(user, key)
            except Http404:
                errors["duplicate_of"] = [f"No issue {key} that you can see."]
    return resolved, errors


def _resolve(serializer: serializers.Serializer, team: Team, attrs: dict) -> dict:
    resolved, errors = _lookup_errors(team, attrs, serializer.context["request"].user)
    if errors:
        raise serializers.ValidationError(errors)
    return {**attrs, **resolved}


@extend_schema_serializer(component_name="IssueCreateInput")
class IssueCreateInput(_StrictInput):
    team = serializers.CharField(max_length=10, help_text="The team's key, e.g. ENG.")
    title = serializers.CharField(max_length=TITLE_MAX)
    description = serializers.CharField(
        max_length=TEXT_MAX, required=False, allow_blank=True, help_text="Markdown."
    )
    kind = serializers.ChoiceField(choices=Issue.Kind.choices, required=False)
    priority = PriorityField(required=False)
    status = serializers.CharField(
        max_length=NAME_MAX,
        required=False,
        help_text="A status name of the team; by default its first triage status.",
    )
    assignees = _names("Usernames of team members (needs the triage right).")
    labels = _names("Label names of the team (needs the triage right).")
    customers = _customer_ids("Ids of the customers this issue affects.")
    channel = serializers.ChoiceField(
        choices=Issue.Channel.choices,
        required=False,
        help_text="Where the issue came from; `api` by default.",
    )
    due_date = serializers.DateField(required=False, allow_null=True)

    def validate_team(self, value: str) -> Team:
        try:
            return selectors.get_team_for_user(self.context["request"].user, value)
        except Http404:
            raise serializers.ValidationError(
                f"No team {value!r} that you are a member of."
            ) from None

    def validate(self, attrs: dict) -> dict:
        attrs.setdefault("channel", Issue.Channel.API)
        return _resolve(self, attrs["team"], attrs)


class IssueUpdateInput(_StrictInput):
    """Every field is optional: only those sent change. Null clears due date and
    duplicate_of; an empty list clears assignees, labels or customers."""

    title = serializers.CharField(max_length=TITLE_MAX, required=False)
    description = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=Issue.Kind.choices, required=False)
    priority = PriorityField(required=False)
    status = serializers.CharField(max_length=NAME_MAX, required=False, help_text="A status name.")
    assignees = _names("Usernames: the issue's assignees become exactly these.")
    labels = _names("Label names: the issue's labels become exactly these.")
    customers = _customer_ids(
        "Customer ids: the affected customers become exactly these (one `customer_linked` "
        "or `customer_unlinked` event per change). Send `If-Match` so that a customer "
        "added meanwhile by someone else is not dropped."
    )
    channel = serializers.ChoiceField(choices=Issue.Channel.choices, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    duplicate_of = serializers.CharField(
        max_length=24,
        required=False,
        allow_null=True,
        help_text="The key of the original issue (same team); closes this one. Null unmarks.",
    )

    def validate(self, attrs: dict) -> dict:
        return _resolve(self, self.context["issue"].team, attrs)


class CommentInput(_StrictInput):
    body = serializers.CharField(max_length=TEXT_MAX, help_text="Markdown; @username mentions.")
    public = serializers.BooleanField(
        default=False, help_text="Visible to the customer. Internal (false) by default."
    )
    customer = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=(
            "On behalf of this customer of the issue (their id): what they said by phone "
            "or chat. The comment is public, shows as theirs, and an issue waiting on the "
            "customer goes back to the status it waited from."
        ),
    )


class CustomerInput(_StrictInput):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    organization = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="An organization's name: found whatever its case, or created.",
    )
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)


class _StatusRef(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class _UserRef(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class StatusPeriodOutput(serializers.ModelSerializer):
    """One stretch of an issue in one status. Needs `now` in the context."""

    status = _StatusRef(read_only=True)
    category = serializers.CharField(source="status.category", read_only=True)
    left_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Null while this is the current status."
    )
    duration_seconds = serializers.SerializerMethodField(
        help_text="Seconds in the status; up to now for the current one."
    )
    moved_in_by = _UserRef(
        source="entered_by", read_only=True, allow_null=True, help_text="Null: the system."
    )

    class Meta:
        model = StatusPeriod
        fields = ("status", "category", "entered_at", "left_at", "duration_seconds", "moved_in_by")
        read_only_fields = fields

    def get_duration_seconds(self, period) -> float:
        end = period.left_at or self.context["now"]
        return round((end - period.entered_at).total_seconds(), 3)


class AttachmentInput(serializers.Serializer):
    file = serializers.FileField(
        help_text="The file (multipart/form-data). Its type is detected from its bytes."
    )
    comment = serializers.IntegerField(
        required=False, min_value=1, help_text="Attach to this comment of the issue."
    )


class AttachmentOutput(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(
        source="uploaded_by.username",
        read_only=True,
        allow_null=True,
        help_text="Null: email intake.",
    )
    comment = serializers.IntegerField(source="comment_id", read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = (
            "id",
            "filename",
            "content_type",
            "size",
            "sha256",
            "comment",
            "uploaded_by",
            "created_at",
            "download_url",
        )
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        request = self.context.get("request")
        url = reverse(
            "api:issue-attachment-content", args=[self.context["issue_key"], attachment.pk]
        )
        return request.build_absolute_uri(url) if request else url
