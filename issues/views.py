"""Team pages: the issue list, the board, bulk triage, the issue page and the new-issue
form. Each view reads: access helper, form or selector, service, response. htmx
requests get the page's partial; plain requests get the page or a redirect."""

from __future__ import annotations

import functools
import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import transaction
from django.db.models import Count, Window
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import permissions
from accounts.models import Team
from issuetracker import htmx

from . import customer_links, markdown, search, selectors, services
from .filters import PRIORITY_CHOICES, error_message
from .forms import (
    BulkForm,
    CommentForm,
    DuplicateForm,
    IssueCreateForm,
    IssueEditForm,
    PropertiesForm,
    SavedViewForm,
)
from .models import Customer, Issue, SavedView, Status

PAGE_SIZE = 50


def _rights(user, team: Team) -> dict[str, bool]:
    return {
        action: permissions.can(user, action, team)
        for action in ("create", "comment", "edit", "change_status", "triage", "admin")
    }


# --- list, board, bulk ------------------------------------------------------------


def _list_context(request, team: Team) -> dict:
    filterset, issues, pickers = selectors.list_team_issues(
        team, user=request.user, params=request.GET
    )
    if filterset.errors:
        messages.warning(request, error_message(filterset))
    query = request.GET.copy()
    query.pop("page", None)
    menus = {
        "status": [(s.name, s.name) for s in pickers["statuses"]],
        "category": Status.Category.choices,
        "assignee": [("me", "Me"), ("none", "Unassigned")]
        + [(u.username, u.name) for u in pickers["members"]],
        "priority": PRIORITY_CHOICES,
        "kind": Issue.Kind.choices,
        "label": [(label.name, label.name) for label in pickers["labels"]],
        "channel": Issue.Channel.choices,
    }
    return {
        "team": team,
        "current_team": team,
        "filterset": filterset,
        "issues": issues,
        "query": query.urlencode(),
        "rights": _rights(request.user, team),
        # Called by the template where it shows them (not by the board or a results-only
        # refresh): no query for the pages that do not.
        "saved_views": functools.partial(selectors.list_saved_views, team, request.user),
        "menus": menus,
        "pickers": pickers,
        "bulk_actions": BulkForm.ACTIONS,
        "bulk_menus": {
            "status": [(s.pk, s.name) for s in pickers["statuses"]],
            "person": [(u.username, u.name) for u in pickers["members"]],
        },
    }


class RowCountedPaginator(Paginator):
    """For a list the database reads whole anyway (a ranked search: every match is ranked
    before the first 50 are known), the page's rows carry the total (COUNT(*) OVER ()),
    so the count costs no second pass over the matches. A page past the end has no row
    to carry it and counts the usual way."""

    def page(self, number):
        # Checked as Paginator checks it, but against no last page: the count comes after.
        number = self._validate_number(number, math.inf)
        bottom = (number - 1) * self.per_page
        rows = list(
            self.object_list.annotate(total_rows=Window(Count("pk")))[
                bottom : bottom + self.per_page
            ]
        )
        if not rows:
            return super().page(number)
        self.__dict__["count"] = rows[0].total_rows
        return self._get_page(rows, number, self)


def _page(request, issues):
    ranked = "rank" in issues.query.annotations
    paginator = (RowCountedPaginator if ranked else Paginator)(issues, PAGE_SIZE)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


@login_required
def issue_list(request, team_key):
    team = selectors.get_team_for_user(request.user, team_key)
    context = _list_context(request, team)
    context["page"] = page = _page(request, context["issues"])
    pickers = context["pickers"]
    page.object_list = list(page.object_list)
    selectors.attach_links(
        page.object_list,
        members=pickers["members"],
        labels=pickers["labels"],
        team=team,
        statuses=pickers["statuses"],
    )
    if htmx.target_id(request) == "results":
        return render(request, "issues/issue_list.html#results", context)
    return render(request, "issues/issue_list.html", context)


@login_required
def board(request, team_key):
    team = selectors.get_team_for_user(request.user, team_key)
    context = _list_context(request, team)
    statuses = context["pickers"]["statuses"]
    context["columns"] = selectors.list_board_columns(team, context["issues"], context["pickers"])
    context["statuses"] = statuses
    return render(request, "issues/board.html", context)


_BULK_VERBS = {
    "status": "moved to {status}",
    "assign": "assigned to {assignee}",
    "unassign": "unassigned from {assignee}",
    "priority": "set to priority {priority_name}",
    "add_label": "labelled {label}",
    "remove_label": "unlabelled {label}",
}


def _bulk_apply(issue: Issue, data: dict, actor) -> bool:
    action = data["action"]
    if action == "status":
        return bool(services.change_status(issue, to=data["status"], actor=actor))
    if action == "assign":
        return bool(services.assign(issue, assignee=data["assignee"], actor=actor))
    if action == "unassign":
        return bool(services.unassign(issue, assignee=data["assignee"], actor=actor))
    if action == "priority":
        return bool(services.update_issue(issue, actor=actor, priority=data["priority"]))
    mode = "add" if action == "add_label" else "remove"
    return bool(services.set_labels(issue, labels=[data["label"]], actor=actor, mode=mode))


@login_required
@require_POST
def bulk(request, team_key):
    """Apply one change to many issues, all or nothing; one event per issue changed."""
    team = selectors.get_team_for_user(request.user, team_key)
    form = BulkForm(request.POST, team=team)
    back = reverse("issues:list", args=[team.key]) + _safe_query(request.POST.get("back", ""))
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect(back)
    data = form.cleaned_data
    issues = list(
        Issue.objects.filter(team=team, number__in=data["issues"])
        .select_related("team", "status")
        .order_by("number")
    )
    if not issues:
        messages.error(request, "None of the selected issues were found in this team.")
        return redirect(back)
    try:
        with transaction.atomic():
            changed = sum(_bulk_apply(issue, data, request.user) for issue in issues)
    except services.DomainError as error:
        messages.error(request, f"Nothing was changed: {error.message}")
        return redirect(back)
    names = {
        "status": data.get("status"),
        "assignee": data.get("assignee") and data["assignee"].name,
        "priority_name": data.get("priority") and Issue.Priority(data["priority"]).label,
        "label": data.get("label"),
    }
    what = _BULK_VERBS[data["action"]].format(**names)
    if changed:
        noun = "issue" if changed == 1 else "issues"
        unchanged = len(issues) - changed
        extra = f" ({unchanged} already were)" if unchanged else ""
        messages.success(request, f"{changed} {noun} {what}{extra}.")
    else:
        messages.info(request, f"No issue changed: all {len(issues)} already were {what}.")
    return redirect(back)


def _safe_query(query: str) -> str:
    """Only a query string may follow our own path (no open redirect)."""
    query = query.lstrip("?")
    return "?" + QueryDict(query).urlencode() if query else ""


@login_required
@require_POST
def save_view(request, team_key):
    team = selectors.get_team_for_user(request.user, team_key)
    form = SavedViewForm(request.POST)
    if form.is_valid():
        query = QueryDict(form.cleaned_data["query"]).copy()
        query.pop("page", None)
        SavedView.objects.update_or_create(
            team=team,
            owner=request.user,
            name__iexact=form.cleaned_data["name"],
            defaults={"name": form.cleaned_data["name"], "query": query.urlencode()},
        )
        messages.success(request, f"Saved the view “{form.cleaned_data['name']}”.")
        return redirect(reverse("issues:list", args=[team.key]) + "?" + query.urlencode())
    messages.error(request, "A saved view needs a name (up to 80 characters).")
    return redirect("issues:list", team.key)


@login_required
@require_POST
def delete_view(request, team_key, pk):
    team = selectors.get_team_for_user(request.user, team_key)
    view = get_object_or_404(SavedView, pk=pk, team=team, owner=request.user)
    view.delete()
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("issues:list", team.key)


# --- the issue page ---------------------------------------------------------------


def _detail_context(request, issue: Issue, **extra) -> dict:
    context = selectors.get_issue_detail(issue, user=request.user)
    team = issue.team
    context.update(
        current_team=team,
        status_url=customer_links.status_url(issue),
        rights=_rights(request.user, team),
        options={
            "status": [(s.pk, s.name) for s in context["statuses"]],
            "priority": Issue.Priority.choices,
            "kind": Issue.Kind.choices,
            "assignees": [(u.pk, u.name) for u in context["members"]],
            "labels": [(label.pk, label.name) for label in context["team_labels"]],
        },
        selected={
            "status": {issue.status_id},
            "priority": {issue.priority},
            "kind": {issue.kind},
            "assignees": {u.pk for u in issue.assignee_list},
            "labels": {label.pk for label in issue.label_list},
        },
        attachment_limit=settings.ATTACHMENT_MAX_BYTES,
    )
    context.update(extra)
    return context


@login_required
def issue_detail(request, key):
    issue = selectors.get_issue_for_user(request.user, key, with_facts=True)
    part = request.GET.get("part")
    if request.htmx and part in {"timeline", "properties"}:
        context = _detail_context(request, issue)
        return render(request, f"issues/issue_detail.html#{part}", context)
    return render(request, "issues/issue_detail.html", _detail_context(request, issue))


def _conflict_message(issue: Issue) -> str:
    last = issue.events.select_related("actor").order_by("-created_at", "-id").first()
    who = last.actor.name if last and last.actor else "someone"
    return (
        f"{issue.key} was changed by {who} while you were looking. Your change was not "
        "applied: here is the issue as it is now; make your change again if it still applies."
    )


@login_required
@require_POST
def update_properties(request, key):
    issue = selectors.get_issue_for_user(request.user, key)
    form = PropertiesForm(request.POST, team=issue.team)
    status = 200
    if form.is_valid():
        try:
            services.update_issue(
                issue,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                **form.changes(),
            )
        except services.StaleVersion:
            messages.warning(request, _conflict_message(issue))
            status = 409
        except services.DomainError as error:
            messages.error(request, error.message)
            status = 400
    else:
        for field, errors in form.errors.items():
            messages.error(request, f"{field.rstrip('_')}: {' '.join(errors)}")
        status = 400
    if not request.htmx:
        return redirect(issue)
    response = render(
        request,
        "issues/issue_detail.html#properties",
        _detail_context(request, issue),
        status=status,
    )
    response["HX-Trigger"] = "issue-changed"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def edit_issue(request, key):
    """Title and description. A conflicting save keeps the user's text in the form and
    shows what the other person saved, so neither change is lost."""
    issue = selectors.get_issue_for_user(request.user, key)
    permissions.require(request.user, "edit", issue.team)
    conflict = None
    if request.method == "POST":
        form = IssueEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_issue(
                    issue,
                    actor=request.user,
                    expected_version=data["version"],
                    title=data["title"],
                    description=data["description"],
                )
                return redirect(issue)
            except services.StaleVersion:
                issue.refresh_from_db()
                conflict = _conflict_message(issue)
                form = IssueEditForm(
                    {
                        "version": issue.version,
                        "title": data["title"],
                        "description": data["description"],
                    }
                )
            except services.DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
    else:
        form = IssueEditForm(
            initial={
                "version": issue.version,
                "title": issue.title,
                "description": issue.description,
            }
        )
    context = {"issue": issue, "form": form, "conflict": conflict, "current_team": issue.team}
    status = 409 if conflict else 400 if form.is_bound and form.errors else 200
    return render(request, "issues/issue_edit.html", context, status=status)


@login_required
@require_POST
def add_comment(request, key):
    issue = selectors.get_issue_for_user(request.user, key)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            # The comment and its files are one change: a refused file saves neither.
            customer = None
            if form.cleaned_data["customer"]:
                customer = issue.customers.filter(pk=form.cleaned_data["customer"]).first()
                if customer is None:
                    raise services.DomainError("That customer is not affected by this issue.")
            with transaction.atomic(), services.files_removed_on_rollback():
                comment = services.add_comment(
                    issue,
                    body=form.cleaned_data["body"],
                    public=form.cleaned_data["public"],
                    customer=customer,
                    actor=request.user,
                )
                for file in request.FILES.getlist("files"):
                    services.add_attachment(issue, file=file, comment=comment, actor=request.user)
            messages.success(request, "Comment added.")
        except services.DomainError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, "The comment is empty.")
    return redirect(reverse("issues:detail", args=[issue.key]) + "#comment-form")


@login_required
@require_POST
def toggle_watch(request, key):
    issue = selectors.get_issue_for_user(request.user, key)
    if request.POST.get("watch") == "1":
        services.watch(issue, user=request.user, actor=request.user)
        messages.success(request, f"You are watching {issue.key}.")
    else:
        services.unwatch(issue, user=request.user, actor=request.user)
        messages.success(request, f"You stopped watching {issue.key}.")
    return redirect(issue)


@login_required
@require_POST
def mark_duplicate(request, key):
    issue = selectors.get_issue_for_user(request.user, key)
    form = DuplicateForm(request.POST)
    form.is_valid()
    target_key = (form.cleaned_data.get("of") or "").strip()
    try:
        original = selectors.get_issue_for_user(request.user, target_key) if target_key else None
    except Http404:
        messages.error(request, f"No issue {target_key} that you can see.")
        return redirect(issue)
    try:
        events = services.mark_duplicate(issue, of=original, actor=request.user)
    except services.DomainError as error:
        messages.error(request, error.message)
        return redirect(issue)
    if original:
        messages.success(request, f"{issue.key} is now a duplicate of {original.key} and closed.")
    elif events:
        messages.success(request, f"{issue.key} is no longer marked as a duplicate.")
    else:
        messages.info(request, "Enter the key of the original issue, e.g. ENG-12.")
    return redirect(issue)


@login_required
@require_POST
def move(request, key):
    """The board's status change (drag and drop, or the card's own form)."""
    issue = selectors.get_issue_for_user(request.user, key)
    status = Status.objects.filter(team=issue.team, pk=request.POST.get("status") or 0).first()
    if status is None:
        messages.error(request, "Choose a status of this team.")
    else:
        try:
            if services.change_status(issue, to=status, actor=request.user):
                messages.success(request, f"{issue.key} moved to {status.name}.")
        except services.DomainError as error:
            messages.error(request, error.message)
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    back = reverse("issues:board", args=[issue.team.key]) + _safe_query(
        request.POST.get("back", "")
    )
    return redirect(back)


# --- creating ---------------------------------------------------------------------


def _creatable_teams(user) -> list[Team]:
    return [t for t in permissions.visible_teams(user) if permissions.can(user, "create", t)]


@login_required
@require_http_methods(["GET", "POST"])
def new_issue(request):
    teams = _creatable_teams(request.user)
    if not teams:
        raise PermissionDenied("You cannot create issues in any team.")
    wanted = (request.POST.get("team") or request.GET.get("team") or "").upper()
    if wanted:
        # A team that was asked for by name: 404 if it is not visible, 403 if the user
        # may not file there (e.g. demoted while the form was open); never another team.
        team = selectors.get_team_for_user(request.user, wanted)
        permissions.require(request.user, "create", team)
    else:
        team = teams[0]
    rights = _rights(request.user, team)
    if request.method == "POST":
        form = IssueCreateForm(request.POST, team=team)
        if form.is_valid():
            data = dict(form.cleaned_data)
            if not rights["triage"]:
                data.pop("assignees", None)
                data.pop("labels", None)
            try:
                issue = services.create_issue(team, actor=request.user, **data)
            except services.DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, f"Created {issue.key}.")
                return redirect(issue)
    else:
        form = IssueCreateForm(team=team, initial={"title": request.GET.get("title", "")})
    context = {
        "form": form,
        "teams": teams,
        "team": team,
        "current_team": team,
        "rights": rights,
        "customers": Customer.objects.exclude(email="")
        .select_related("organization")
        .order_by("-created_at")[:200],
    }
    return render(request, "issues/issue_form.html", context, status=400 if form.errors else 200)


@login_required
def similar(request):
    """Open issues like the title being typed, for catching duplicates before filing."""
    team = selectors.get_team_for_user(request.user, request.GET.get("team", ""))
    text = request.GET.get("title", "")
    found = search.similar(
        Issue.objects.of_teams(team.pk).open().select_related("team", "status"), text
    )
    return render(request, "issues/issue_form.html#similar", {"similar": found, "team": team})


@login_required
@require_POST
def preview(request):
    """Markdown preview, rendered and sanitized exactly as it will be stored."""
    text = request.POST.get("body") or request.POST.get("description") or ""
    html = markdown.render(text[:100_000])
    return HttpResponse(html or '<p class="muted">Nothing to preview.</p>')
