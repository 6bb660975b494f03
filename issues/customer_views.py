"""Customer support pages: affected customers on the issue page, the quick-log form,
customer and organization pages, and the customer status link. Each view reads:
access helper, form or selector, service, response."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import customer_links, selectors, services
from .forms import IssueCustomerForm
from .models import Customer
from .views import _detail_context


def _customers_card(request, issue, *, message: str, tags: str, status: int = 200):
    """htmx: the issue page's customers card with `message`; otherwise back to the page."""
    if not request.htmx:
        getattr(messages, tags if tags != "danger" else "error")(request, message)
        return redirect(issue)
    context = _detail_context(request, issue, customer_message={"text": message, "tags": tags})
    response = render(request, "issues/issue_detail.html#customers", context, status=status)
    response["HX-Trigger"] = "issue-changed"
    return response


@login_required
@require_POST
def add_issue_customer(request, key):
    issue = selectors.get_issue_for_user(request.user, key)
    form = IssueCustomerForm(request.POST)
    if not form.is_valid():
        errors = " ".join(e for errs in form.errors.values() for e in errs)
        return _customers_card(request, issue, message=errors, tags="error", status=400)
    customer = form.cleaned_data["customer"]
    event = services.add_customer(issue, customer=customer, actor=request.user)
    text = (
        f"{customer.name} is now affected by {issue.key}."
        if event
        else (f"{customer.name} was already linked to {issue.key}.")
    )
    return _customers_card(request, issue, message=text, tags="success" if event else "info")


@login_required
@require_POST
def remove_issue_customer(request, key, customer_id):
    issue = selectors.get_issue_for_user(request.user, key)
    customer = get_object_or_404(Customer, pk=customer_id)
    event = services.remove_customer(issue, customer=customer, actor=request.user)
    text = (
        f"Removed {customer.name} from {issue.key}."
        if event
        else (f"{customer.name} was not linked to {issue.key}.")
    )
    return _customers_card(request, issue, message=text, tags="success" if event else "info")


# --- the customer status link -----------------------------------------------------------


@login_required
@require_POST
def status_link(request, key):
    """Create (action=create) or revoke (action=revoke) the issue's status link."""
    issue = selectors.get_issue_for_user(request.user, key)
    try:
        if request.POST.get("action") == "revoke":
            event = services.revoke_status_link(issue, actor=request.user)
            text = (
                "Status link revoked: the old link no longer works."
                if event
                else ("There was no status link to revoke.")
            )
        else:
            event = services.create_status_link(issue, actor=request.user)
            text = (
                "Status link created: copy it and send it to the customer."
                if event
                else ("The status link already exists.")
            )
        messages.success(request, text) if event else messages.info(request, text)
    except services.DomainError as error:
        messages.error(request, error.message)
    return redirect(f"{issue.get_absolute_url()}#status-link")


@require_GET
def customer_status(request, token):
    """The public page behind a status link: no login, the title, the status in plain
    words, dates and public comments. Nothing links back into the app."""
    issue = customer_links.issue_for_token(token)
    if issue is None:
        raise Http404("No such status page.")
    context = selectors.get_customer_status(issue)
    context["plain_status"] = customer_links.plain_status(issue)
    response = render(request, "issues/customer_status.html", context)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def customer_emails(request, key, customer_id):
    """Turn emails about this issue on or off for one affected customer."""
    issue = selectors.get_issue_for_user(request.user, key)
    customer = get_object_or_404(Customer, pk=customer_id)
    enabled = request.POST.get("enabled") == "1"
    try:
        event = services.set_customer_emails(
            issue, customer=customer, enabled=enabled, actor=request.user
        )
    except services.DomainError as error:
        messages.error(request, error.message)
        return redirect(issue)
    if event:
        state = "will be emailed" if enabled else "will not be emailed"
        messages.success(request, f"{customer.name} {state} about {issue.key}.")
    return redirect(issue)
