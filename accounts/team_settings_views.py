"""Team settings pages for team admins: members and roles, statuses, labels.

Every URL here first finds the team through `get_team_for_user` (404 for outsiders),
then requires the admin role (403 for other members, on GET and POST alike), and
only then looks at the method. Plain forms, post/redirect/get; a refused change
re-renders the page with the error next to the field (status 400).
"""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render

from issues import selectors as issue_selectors
from issues import workflow
from issues.models import Label, Status
from issues.services import DomainError

from . import audit, permissions, selectors
from . import services as member_services
from .models import Membership
from .team_settings_forms import (
    AddMemberForm,
    ConfirmForm,
    LabelForm,
    MoveForm,
    RoleForm,
    StatusForm,
    SupportForm,
    describe_duration,
)


def admin_view(*methods):
    """login_required, then 404 for outsiders, 403 for non-admins, 405 for other methods;
    the view gets the team instead of its key."""

    def decorate(view):
        @login_required
        @functools.wraps(view)
        def wrapper(request, team_key, **kwargs):
            team = issue_selectors.get_team_for_user(request.user, team_key)
            if not permissions.can(request.user, "admin", team):
                raise PermissionDenied(f"Only admins of {team.key} may change its settings.")
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, team, **kwargs)

        return wrapper

    return decorate


def _add_error(form, err: DomainError) -> None:
    form.add_error(err.field if err.field in form.fields else None, err.message)


def _rows(objects, make_form, failed):
    """One row per object with its edit form; `failed` is (pk, bound form) of the row
    whose change was refused: its edit form, or a button form whose errors are shown."""
    rows = []
    for obj in objects:
        form, errors = make_form(obj), []
        if failed is not None and failed[0] == obj.pk:
            if type(failed[1]) is type(form):
                form = failed[1]
            else:
                errors = failed[1].non_field_errors()
        rows.append({"object": obj, "form": form, "errors": errors})
    return rows


def _page(request, team, tab, context, status):
    context = {"current_team": team, "tab": tab, **context}
    return render(request, f"accounts/team_settings_{tab}.html", context, status=status)


def _done(request, team, tab, message):
    """Redirect back to the tab, or home if the actor just gave up their own admin role."""
    if message:
        messages.success(request, message)
    if not permissions.can(request.user, "admin", team):
        return redirect("home")
    return redirect(f"team_settings:{tab}", team_key=team.key)


@admin_view("GET")
def index(request, team):
    return redirect("team_settings:members", team_key=team.key)


# --- members ----------------------------------------------------------------------


def _members_page(request, team, *, add_form=None, failed=None, status=200):
    def role_form(membership):
        return RoleForm(initial={"role": membership.role}, prefix=f"member-{membership.pk}")

    rows = _rows(selectors.list_team_members(team), role_form, failed)
    context = {"rows": rows, "add_form": add_form or AddMemberForm(prefix="new")}
    return _page(request, team, "members", context, status)


def _membership(team, membership_id):
    return get_object_or_404(
        Membership.objects.select_related("user", "team"), pk=membership_id, team=team
    )


@admin_view("GET", "POST")
def members(request, team):
    if request.method == "GET":
        return _members_page(request, team)
    form = AddMemberForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            added = member_services.add_member(team, actor=request.user, **form.cleaned_data)
        except DomainError as err:
            _add_error(form, err)
        else:
            message = f"Added {added.user.username} as {added.get_role_display().lower()}."
            return _done(request, team, "members", message)
    return _members_page(request, team, add_form=form, status=400)


@admin_view("POST")
def member_role(request, team, membership_id):
    membership = _membership(team, membership_id)
    form = RoleForm(request.POST, prefix=f"member-{membership.pk}")
    if form.is_valid():
        try:
            changed = member_services.change_role(
                membership, role=form.cleaned_data["role"], actor=request.user
            )
        except DomainError as err:
            _add_error(form, err)
        else:
            message = changed and (
                f"{changed.user.username} is now {changed.get_role_display().lower()}."
            )
            return _done(request, team, "members", message)
    return _members_page(request, team, failed=(membership.pk, form), status=400)


@admin_view("POST")
def member_remove(request, team, membership_id):
    membership = _membership(team, membership_id)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        try:
            member_services.remove_member(membership, actor=request.user)
        except DomainError as err:
            _add_error(form, err)
        else:
            message = f"Removed {membership.user.username} from {team.key}."
            return _done(request, team, "members", message)
    return _members_page(request, team, failed=(membership.pk, form), status=400)


# --- statuses ---------------------------------------------------------------------


def _statuses_page(request, team, *, add_form=None, failed=None, status=200):
    rows = _rows(selectors.list_team_statuses(team), StatusForm.for_status, failed)
    for row in rows:
        row["stale"] = describe_duration(row["object"].stale_after)
    context = {"rows": rows, "add_form": add_form or StatusForm(prefix="new")}
    return _page(request, team, "statuses", context, status)


@admin_view("GET", "POST")
def statuses(request, team):
    if request.method == "GET":
        return _statuses_page(request, team)
    form = StatusForm(request.POST, prefix="new")
    if form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("name", "category", "stale_after")}
        try:
            added = workflow.add_status(team, actor=request.user, **data)
        except DomainError as err:
            _add_error(form, err)
        else:
            return _done(request, team, "statuses", f"Added the status {added.name}.")
    return _statuses_page(request, team, add_form=form, status=400)


@admin_view("POST")
def status_update(request, team, status_id):
    status = get_object_or_404(Status.objects.select_related("team"), pk=status_id, team=team)
    form = StatusForm.for_status(status, request.POST)
    if form.is_valid():
        try:
            changed = workflow.update_status(status, actor=request.user, **form.changes())
        except DomainError as err:
            _add_error(form, err)
        else:
            message = changed and f"Saved the status {changed.name}."
            return _done(request, team, "statuses", message)
    return _statuses_page(request, team, failed=(status.pk, form), status=400)


@admin_view("POST")
def status_move(request, team, status_id):
    status = get_object_or_404(Status.objects.select_related("team"), pk=status_id, team=team)
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            workflow.move_status(
                status, direction=form.cleaned_data["direction"], actor=request.user
            )
        except DomainError as err:
            _add_error(form, err)
        else:
            return _done(request, team, "statuses", None)
    return _statuses_page(request, team, failed=(status.pk, form), status=400)


@admin_view("POST")
def status_delete(request, team, status_id):
    status = get_object_or_404(Status.objects.select_related("team"), pk=status_id, team=team)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        try:
            workflow.delete_status(status, actor=request.user)
        except DomainError as err:
            _add_error(form, err)
        else:
            return _done(request, team, "statuses", f"Deleted the status {status.name}.")
    return _statuses_page(request, team, failed=(status.pk, form), status=400)


# --- labels -----------------------------------------------------------------------


def _labels_page(request, team, *, add_form=None, failed=None, status=200):
    rows = _rows(selectors.list_team_labels(team), LabelForm.for_label, failed)
    context = {"rows": rows, "add_form": add_form or LabelForm(prefix="new")}
    return _page(request, team, "labels", context, status)


@admin_view("GET", "POST")
def labels(request, team):
    if request.method == "GET":
        return _labels_page(request, team)
    form = LabelForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            added = workflow.add_label(team, actor=request.user, **form.cleaned_data)
        except DomainError as err:
            _add_error(form, err)
        else:
            return _done(request, team, "labels", f"Added the label {added.name}.")
    return _labels_page(request, team, add_form=form, status=400)


@admin_view("POST")
def label_update(request, team, label_id):
    label = get_object_or_404(Label.objects.select_related("team"), pk=label_id, team=team)
    form = LabelForm.for_label(label, request.POST)
    if form.is_valid():
        try:
            changed = workflow.update_label(label, actor=request.user, **form.changes())
        except DomainError as err:
            _add_error(form, err)
        else:
            message = changed and f"Saved the label {changed.name}."
            return _done(request, team, "labels", message)
    return _labels_page(request, team, failed=(label.pk, form), status=400)


@admin_view("POST")
def label_delete(request, team, label_id):
    label = get_object_or_404(Label.objects.select_related("team"), pk=label_id, team=team)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        count = workflow.delete_label(label, actor=request.user)
        used = f" It was removed from {count} issue{'' if count == 1 else 's'}." if count else ""
        return _done(request, team, "labels", f"Deleted the label {label.name}.{used}")
    return _labels_page(request, team, failed=(label.pk, form), status=400)


# --- audit log --------------------------------------------------------------------

AUDIT_PAGE_SIZE = 100


@admin_view("GET")
def audit_log(request, team):
    """The newest entries first, AUDIT_PAGE_SIZE at a time; `?before=<id>` pages back
    (keyset: the cost stays the same however long the log grows)."""
    entries = audit.for_team(team)
    before = request.GET.get("before", "")
    if before.isdigit() and len(before) < 19:
        entries = entries.filter(pk__lt=int(before))
    page = list(entries[: AUDIT_PAGE_SIZE + 1])
    older = page[AUDIT_PAGE_SIZE - 1].pk if len(page) > AUDIT_PAGE_SIZE else None
    context = {"entries": page[:AUDIT_PAGE_SIZE], "older": older, "paged": bool(before)}
    return _page(request, team, "audit", context, 200)


# --- support: email intake and customer emails -----------------------------------------


@admin_view("GET", "POST")
def support(request, team):
    initial = {
        "intake_email": team.intake_email,
        "is_emailing_customers": team.is_emailing_customers,
    }
    form = SupportForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            changed = member_services.update_support_settings(
                team, actor=request.user, **form.cleaned_data
            )
            return _done(request, team, "support", "Saved." if changed else "")
        except DomainError as err:
            _add_error(form, err)
    status = 400 if form.is_bound else 200
    return _page(request, team, "support", {"form": form}, status)
