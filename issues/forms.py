"""Forms check the shape of input; the services apply the rules and write."""

from __future__ import annotations

import datetime as dt

from django import forms

from accounts.models import Team

from . import pickers
from .filters import PRIORITY_CHOICES, PRIORITY_NAMES
from .models import Customer, Issue, Label, Status


class CustomerField(forms.ModelChoiceField):
    """A customer by email (what support types), offered through a datalist."""

    def __init__(self, **kwargs):
        super().__init__(
            queryset=Customer.objects.exclude(email=""),
            to_field_name="email",
            required=False,
            widget=forms.TextInput(attrs={"list": "customer-options", "autocomplete": "off"}),
            error_messages={"invalid_choice": "No customer has that email address."},
            **kwargs,
        )

    def to_python(self, value):
        return super().to_python((value or "").strip().lower() or None)


class PriorityField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=[(v, label) for v, label in Issue.Priority.choices],
            coerce=int,
            **kwargs,
        )


class TeamScopedForm(forms.Form):
    """A form whose choices (statuses, labels, members) come from one team."""

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team
        if "status" in self.fields:
            self.fields["status"].queryset = Status.objects.filter(team=team).order_by("position")
        if "labels" in self.fields:
            self.fields["labels"].queryset = Label.objects.filter(team=team).order_by("name")
        if "assignees" in self.fields:
            self.fields["assignees"].queryset = pickers.assignable_members(team)


class IssueCreateForm(TeamScopedForm):
    title = forms.CharField(max_length=300, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 8}), max_length=100_000
    )
    kind = forms.ChoiceField(choices=Issue.Kind.choices, initial=Issue.Kind.BUG)
    priority = PriorityField(initial=Issue.Priority.NONE)
    assignees = forms.ModelMultipleChoiceField(queryset=None, required=False)
    labels = forms.ModelMultipleChoiceField(queryset=None, required=False)
    customer = CustomerField()
    channel = forms.ChoiceField(choices=Issue.Channel.choices, initial=Issue.Channel.WEB)
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class IssueEditForm(forms.Form):
    """Title and description; `version` is what the editor loaded (conflict detection)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    title = forms.CharField(max_length=300)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 10}), max_length=100_000
    )


class PropertiesForm(TeamScopedForm):
    """The sidebar: each small form posts `fields` (which properties it carries) and the
    version the page was loaded with; only those fields change."""

    EDITABLE = ("status", "priority", "kind", "assignees", "labels", "due_date")

    version = forms.IntegerField(min_value=1)
    fields_ = forms.CharField(required=True)
    status = forms.ModelChoiceField(queryset=None, required=False)
    priority = PriorityField(required=False)
    kind = forms.ChoiceField(choices=Issue.Kind.choices, required=False)
    assignees = forms.ModelMultipleChoiceField(queryset=None, required=False)
    labels = forms.ModelMultipleChoiceField(queryset=None, required=False)
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and "fields" in data:
            data = data.copy()
            data["fields_"] = data["fields"]
        super().__init__(data, *args, **kwargs)

    def clean_fields_(self):
        names = [n.strip() for n in self.cleaned_data["fields_"].split(",") if n.strip()]
        unknown = [n for n in names if n not in self.EDITABLE]
        if unknown or not names:
            raise forms.ValidationError(f"Unknown property: {', '.join(unknown) or '(none)'}.")
        return names

    def clean(self):
        data = super().clean()
        for name in data.get("fields_") or []:
            if name in {"status", "priority", "kind"} and data.get(name) in (None, ""):
                self.add_error(name, "Choose a value.")
        return data

    def changes(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.cleaned_data["fields_"]}


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "Write a comment… (@name mentions)"}
        ),
        max_length=100_000,
    )
    public = forms.BooleanField(required=False, label="Public (visible to the customer)")
    customer = forms.IntegerField(required=False, min_value=1)


class IssueCustomerForm(forms.Form):
    """Add an affected customer on the issue page: by id (a search result) or email."""

    customer = forms.ModelChoiceField(
        queryset=Customer.objects.all(),
        required=False,
        error_messages={"invalid_choice": "That customer does not exist."},
    )
    email = CustomerField(label="Customer email")

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("customer") or data.get("email")):
            raise forms.ValidationError("Choose a customer or enter their email address.")
        data["customer"] = data.get("customer") or data.get("email")
        return data


class DuplicateForm(forms.Form):
    of = forms.CharField(label="Duplicate of", max_length=24, required=False)


class BulkForm(TeamScopedForm):
    ACTIONS = [
        ("status", "Set status"),
        ("assign", "Assign"),
        ("unassign", "Unassign"),
        ("priority", "Set priority"),
        ("add_label", "Add label"),
        ("remove_label", "Remove label"),
    ]
    issues = forms.CharField(widget=forms.MultipleHiddenInput, required=False)
    action = forms.ChoiceField(choices=ACTIONS)
    status = forms.ModelChoiceField(queryset=None, required=False)
    assignee = forms.ModelChoiceField(queryset=None, required=False, to_field_name="username")
    priority = forms.ChoiceField(choices=PRIORITY_CHOICES, required=False)
    label = forms.ModelChoiceField(queryset=None, required=False, to_field_name="name")

    def __init__(self, data=None, *args, team: Team, **kwargs):
        super().__init__(data, *args, team=team, **kwargs)
        self.fields["label"].queryset = Label.objects.filter(team=team)
        self.fields["assignee"].queryset = pickers.assignable_members(team)
        self.selected = data.getlist("issues") if data is not None else []

    def clean_issues(self):
        numbers = []
        for key in self.selected:
            team_key, _, number = key.upper().rpartition("-")
            if team_key != self.team.key:
                continue  # another team's issue never changes from this team's page
            if not number.isdigit() or len(number) > 9:
                raise forms.ValidationError(f"{key!r} is not an issue key.")
            numbers.append(int(number))
        if not numbers:
            raise forms.ValidationError("Select at least one issue.")
        if len(numbers) > 500:
            raise forms.ValidationError("Select at most 500 issues at once.")
        return numbers

    def clean(self):
        data = super().clean()
        needs = {
            "status": "status",
            "assign": "assignee",
            "unassign": "assignee",
            "priority": "priority",
            "add_label": "label",
            "remove_label": "label",
        }
        field = needs.get(data.get("action"))
        if field and not data.get(field):
            self.add_error(field, "Choose a value.")
        if data.get("priority"):
            data["priority"] = PRIORITY_NAMES[data["priority"]]
        return data


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=80)
    query = forms.CharField(max_length=2000, required=False)


class CustomerForm(forms.Form):
    """A customer's details; the organization is a name, found or created."""

    name = forms.CharField(max_length=200)
    email = forms.EmailField(required=False, max_length=254)
    organization = forms.CharField(required=False, max_length=200)
    phone = forms.CharField(required=False, max_length=50)


QUICK_KINDS = [
    (k, label)
    for k, label in Issue.Kind.choices
    if k in {Issue.Kind.BUG, Issue.Kind.QUESTION, Issue.Kind.COMPLAINT, Issue.Kind.FEEDBACK}
]
QUICK_CHANNELS = [
    (c, label)
    for c, label in Issue.Channel.choices
    if c in {Issue.Channel.PHONE, Issue.Channel.EMAIL, Issue.Channel.CHAT, Issue.Channel.WEB}
]


class QuickLogForm(forms.Form):
    """A customer's problem during a call: who (an existing customer, or a new one typed
    in), what they said, and where it goes. `new_*` fields describe a new customer."""

    NOTE_CHOICES = [
        ("internal", "Internal note with what they said"),
        ("public", "Public comment with what they said (on the status page)"),
        ("none", "No comment"),
    ]

    team = forms.ChoiceField(choices=[])
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.all(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "That customer no longer exists; search again."},
    )
    new_name = forms.CharField(required=False, max_length=200, label="Name")
    new_email = forms.EmailField(required=False, max_length=254, label="Email")
    new_organization = forms.CharField(required=False, max_length=200, label="Organization")
    new_phone = forms.CharField(required=False, max_length=50, label="Phone")
    channel = forms.ChoiceField(choices=QUICK_CHANNELS, initial=Issue.Channel.PHONE)
    kind = forms.ChoiceField(choices=QUICK_KINDS, initial=Issue.Kind.BUG)
    title = forms.CharField(
        max_length=300,
        label="What's the problem? (title)",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    description = forms.CharField(
        required=False,
        max_length=100_000,
        label="What the customer said",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    priority = PriorityField(initial=Issue.Priority.MEDIUM)
    note = forms.ChoiceField(
        choices=NOTE_CHOICES,
        initial="internal",
        required=False,
        label="When adding them to an existing issue",
    )

    def __init__(self, *args, teams: list[Team], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [(t.key, f"{t.key} · {t.name}") for t in teams]
        self.teams = {t.key: t for t in teams}

    def clean_team(self) -> Team:
        return self.teams[self.cleaned_data["team"]]

    def clean(self):
        data = super().clean()
        missing = not data.get("customer") and not (data.get("new_name") or "").strip()
        if missing and "customer" not in self.errors:
            self.add_error("new_name", "Pick a customer from the search, or type a new one's name.")
        return data

    def new_customer(self) -> dict | None:
        """The new customer's details, or None when an existing one was picked."""
        if self.cleaned_data.get("customer"):
            return None
        return {
            "name": self.cleaned_data["new_name"],
            "email": self.cleaned_data.get("new_email") or "",
            "organization": self.cleaned_data.get("new_organization") or "",
            "phone": self.cleaned_data.get("new_phone") or "",
        }


REPORT_DEFAULT_DAYS = 90
REPORT_MAX_DAYS = 731  # two years of weekly buckets keep every chart readable
# The dates a window may use: far enough from date.min and date.max that the default
# start (end - 89 days), the day after the end and local midnights stay dates.
REPORT_EARLIEST, REPORT_LATEST = dt.date(1900, 1, 1), dt.date(9998, 12, 31)


class ReportFilterForm(forms.Form):
    """The reports page's filters (the URL is the state): a window of whole days in
    settings.TIME_ZONE and the issues' kind, priority, label and customer link."""

    start = forms.DateField(required=False, label="From")
    end = forms.DateField(required=False, label="To")
    kind = forms.MultipleChoiceField(choices=Issue.Kind.choices, required=False)
    priority = forms.MultipleChoiceField(choices=PRIORITY_CHOICES, required=False)
    label = forms.MultipleChoiceField(choices=[], required=False)
    customer = forms.ChoiceField(
        choices=[("", "Any"), ("linked", "Linked to a customer"), ("unlinked", "No customer")],
        required=False,
    )

    def __init__(self, data=None, *, team: Team, now=None):
        from django.utils import timezone

        super().__init__(data)
        self.team = team
        self.now = now or timezone.now()
        self.labels = {
            label.name.lower(): label for label in Label.objects.filter(team=team).order_by("name")
        }
        self.fields["label"].choices = [(lb.name, lb.name) for lb in self.labels.values()]
        today = timezone.localtime(self.now).date()
        self.fields["start"].widget = forms.DateInput(attrs={"type": "date"})
        self.fields["end"].widget = forms.DateInput(attrs={"type": "date"})
        self.default_end = today
        self.default_start = today - dt.timedelta(days=REPORT_DEFAULT_DAYS - 1)

    def clean_label(self):
        return [self.labels[name.lower()] for name in self.cleaned_data["label"]]

    def _clean_day(self, name: str):
        day = self.cleaned_data[name]
        if day is not None and not REPORT_EARLIEST <= day <= REPORT_LATEST:
            raise forms.ValidationError(
                f"Choose a date from {REPORT_EARLIEST:%Y-%m-%d} to {REPORT_LATEST:%Y-%m-%d}."
            )
        return day

    def clean_start(self):
        return self._clean_day("start")

    def clean_end(self):
        return self._clean_day("end")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        start = data.get("start") or self.default_start
        end = data.get("end") or self.default_end
        if not data.get("start") and data.get("end"):
            start = end - dt.timedelta(days=REPORT_DEFAULT_DAYS - 1)
        if end < start:
            self.add_error("end", "The end date is before the start date.")
        elif (end - start).days >= REPORT_MAX_DAYS:
            self.add_error("start", f"Choose at most {REPORT_MAX_DAYS} days.")
        data["start"], data["end"] = start, end
        return data

    def report_filter(self):
        """The validated ReportFilter (call after is_valid())."""
        from .reports import ReportFilter

        data = self.cleaned_data
        linked = {"linked": True, "unlinked": False}.get(data["customer"])
        return ReportFilter.for_days(
            data["start"],
            data["end"],
            now=self.now,
            kinds=tuple(data["kind"]),
            priorities=tuple(PRIORITY_NAMES[p] for p in data["priority"]),
            labels=tuple(data["label"]),
            customer_linked=linked,
        )
