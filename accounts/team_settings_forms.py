"""Forms of the team settings pages. They check shape only; the rules live in
accounts/services.py (members) and issues/workflow.py (statuses, labels)."""

from __future__ import annotations

import datetime as dt
import math

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from issues.models import Label, Status, color_validator

from .models import Membership

User = get_user_model()

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
STALE_UNITS = {"days": DAY, "hours": HOUR}


def split_duration(duration: dt.timedelta | None) -> tuple[int | None, str]:
    """A stale clock as (number, unit) for the form: whole days if it is whole days,
    else hours (rounded up, so a clock set elsewhere in minutes never shrinks to 0)."""
    if duration is None:
        return None, "days"
    if duration % DAY == dt.timedelta(0):
        return duration // DAY, "days"
    return math.ceil(duration / HOUR), "hours"


def describe_duration(duration: dt.timedelta | None) -> str:
    if duration is None:
        return "Never stale"
    value, unit = split_duration(duration)
    return f"Stale after {value} {unit[:-1] if value == 1 else unit}"


class AddMemberForm(forms.Form):
    user = forms.CharField(label="Username or email", max_length=254)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def clean_user(self):
        value = self.cleaned_data["user"].strip()
        # Same rule as signing in: usernames match exactly, emails in any case.
        lookup = {"email__iexact": value} if "@" in value else {"username": value}
        user = User.objects.filter(is_active=True, **lookup).first()
        if user is None:
            raise ValidationError("No active user has that username or email.")
        return user


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class ConfirmForm(forms.Form):
    """A button-only form (remove, delete): carries the CSRF token and any error."""


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


class StatusForm(forms.Form):
    name = forms.CharField(max_length=Status._meta.get_field("name").max_length)
    category = forms.ChoiceField(choices=Status.Category.choices)
    stale_after = forms.IntegerField(
        label="Stale after",
        required=False,
        min_value=1,
        max_value=9999,
        help_text="Empty: issues here never become stale.",
    )
    stale_unit = forms.ChoiceField(
        label="Unit", choices=[("days", "days"), ("hours", "hours")], initial="days"
    )

    @classmethod
    def for_status(cls, status: Status, data=None) -> StatusForm:
        value, unit = split_duration(status.stale_after)
        initial = {
            "name": status.name,
            "category": status.category,
            "stale_after": value,
            "stale_unit": unit,
        }
        return cls(data, initial=initial, prefix=f"status-{status.pk}")

    def clean(self):
        cleaned = super().clean()
        value, unit = cleaned.get("stale_after"), cleaned.get("stale_unit")
        if value is not None and unit:
            cleaned["stale_after"] = value * STALE_UNITS[unit]
        return cleaned

    def changes(self) -> dict:
        """The cleaned values the user actually changed, for update_status."""
        changed = set(self.changed_data)
        fields = {"name", "category"} & changed
        if {"stale_after", "stale_unit"} & changed:
            fields.add("stale_after")
        return {field: self.cleaned_data[field] for field in fields}


class ColorInput(forms.TextInput):
    input_type = "color"


class LabelForm(forms.Form):
    name = forms.CharField(max_length=Label._meta.get_field("name").max_length)
    color = forms.CharField(
        label="Colour",
        max_length=7,
        initial="#6b7280",
        validators=[color_validator],
        widget=ColorInput,
    )
    description = forms.CharField(
        max_length=Label._meta.get_field("description").max_length, required=False
    )

    @classmethod
    def for_label(cls, label: Label, data=None) -> LabelForm:
        initial = {"name": label.name, "color": label.color, "description": label.description}
        return cls(data, initial=initial, prefix=f"label-{label.pk}")

    def changes(self) -> dict:
        return {field: self.cleaned_data[field] for field in self.changed_data}


class SupportForm(forms.Form):
    intake_email = forms.EmailField(
        required=False,
        label="Intake address",
        help_text=(
            "Mail to this address becomes an issue in this team; replies whose subject "
            "carries an issue key become public comments. Empty: no email intake."
        ),
    )
    is_emailing_customers = forms.BooleanField(
        required=False,
        label="Email customers about public comments and resolution",
        help_text="Each affected customer can still be opted out on the issue page.",
    )
