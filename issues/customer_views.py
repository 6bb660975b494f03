"""Customer support pages: affected customers on the issue page, the quick-log form,
customer and organization pages, and the customer status link. Each view reads:
access helper, form or selector, service, response."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import customer_links, customer_services, search, selectors, services
from .forms import CustomerForm, IssueCustomerForm, QuickLogForm
from .models import Customer, Issue
from .views import _creatable_teams, _detail_context

CUSTOMER_PAGE_SIZE = 50
_NEW_CUSTOMER_FIELDS = {
    "name": "new_name",
    "email": "new_email",
    "organization": "new_organization",
    "phone": "new_phone",
}


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
@require_GET
def issue_customer_search(request, key):
    """Customers to add to the issue, as the name, email or organization is typed."""
    issue = selectors.get_issue_for_user(request.user, key)
    q = request.GET.get("q", "").strip()[:200]
    results = (
        list(selectors.search_customers(request.user, q).order_by("name", "pk")[:8]) if q else []
    )
    context = {"issue": issue, "q": q, "results": results}
    return render(request, "issues/issue_detail.html#customer_search", context)


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


# --- quick-log ------------------------------------------------------------------------


def _quick_log_teams(user) -> list:
    teams = _creatable_teams(user)
    if not teams:
        raise PermissionDenied("You cannot log issues in any team.")
    return teams


def _customer_for(form: QuickLogForm, actor) -> Customer:
    """The picked customer, or the new one created now (inside the caller's transaction,
    so it disappears again if the rest fails)."""
    details = form.new_customer()
    if details is None:
        return form.cleaned_data["customer"]
    try:
        return customer_services.create_customer(actor=actor, **details)
    except services.DomainError as error:
        raise services.DomainError(
            error.message, field=_NEW_CUSTOMER_FIELDS.get(error.field, error.field)
        ) from None


def _form_error(form, error: services.DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _quick_log_page(request, form, teams, *, status=200, picked=None):
    cleaned = getattr(form, "cleaned_data", {})
    team = cleaned.get("team")
    picked = picked or cleaned.get("customer")
    context = {
        "form": form,
        "teams": teams,
        "picked": picked,
        "team": team or teams[0],
        "new_open": bool(form.is_bound and not picked and form.data.get("new_name")),
    }
    return render(request, "issues/quick_log.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def quick_log(request):
    """Log a customer's problem during a call: find or create the customer, say what
    they said, see similar open issues live, and file it (one transaction)."""
    teams = _quick_log_teams(request.user)
    if request.method != "POST":
        wanted = (request.GET.get("team") or "").upper()
        initial = {"team": wanted if any(t.key == wanted for t in teams) else teams[0].key}
        picked = None
        if request.GET.get("customer", "").isdigit():  # "Quick log" from a customer's page
            picked = selectors.get_customer_for_user(request.user, int(request.GET["customer"]))
        form = QuickLogForm(teams=teams, initial=initial)
        return _quick_log_page(request, form, teams, picked=picked)
    form = QuickLogForm(request.POST, teams=teams)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                customer = _customer_for(form, request.user)
                issue = services.create_issue(
                    data["team"],
                    actor=request.user,
                    title=data["title"],
                    description=data["description"],
                    kind=data["kind"],
                    priority=data["priority"],
                    channel=data["channel"],
                    customer=customer,
                )
        except services.DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, f"Logged {issue.key} for {customer.name}.")
            return redirect(issue)
    return _quick_log_page(request, form, teams, status=400)


@login_required
@require_POST
def quick_log_add_to(request, key):
    """ "Affects this customer too": add the customer (picked or new) to an existing
    issue instead of filing a duplicate, optionally with what they said as a comment."""
    teams = _quick_log_teams(request.user)
    issue = selectors.get_issue_for_user(request.user, key)
    form = QuickLogForm(request.POST, teams=teams)
    if not form.is_valid():
        return _quick_log_page(request, form, teams, status=400)
    data = form.cleaned_data
    try:
        with transaction.atomic():
            customer = _customer_for(form, request.user)
            event = services.add_customer(issue, customer=customer, actor=request.user)
            if data.get("note") in {"internal", "public"}:
                channel = dict(form.fields["channel"].choices)[data["channel"]].lower()
                body = f"{customer.name} reported this too ({channel}): **{data['title']}**"
                if data["description"].strip():
                    body += "\n\n" + data["description"].strip()
                services.add_comment(
                    issue, body=body, public=data["note"] == "public", actor=request.user
                )
    except services.DomainError as error:
        _form_error(form, error)
        return _quick_log_page(request, form, teams, status=400)
    if event:
        messages.success(
            request,
            f"{customer.name} is now affected by {issue.key}; no duplicate was filed.",
        )
    else:
        messages.info(request, f"{customer.name} was already affected by {issue.key}.")
    return redirect(issue)


@login_required
@require_GET
def quick_log_similar(request):
    """The open issues of the chosen team most like the title being typed."""
    team = selectors.get_team_for_user(request.user, request.GET.get("team", ""))
    found = search.similar(
        Issue.objects.of_teams(team.pk).open().select_related("team", "status"),
        request.GET.get("title", ""),
        description=request.GET.get("description", ""),
        limit=6,
    )
    return render(
        request,
        "issues/quick_log.html#similar",
        {"similar": found, "team": team, "searched": bool(request.GET.get("title", "").strip())},
    )


@login_required
@require_GET
def quick_log_customer(request):
    """The quick-log's customer box: search results for `q`, the picked customer
    (`id`), or the new-customer fields prefilled from what was typed (`new`)."""
    if not customer_services.may_manage_customers(request.user):
        raise PermissionDenied("You cannot log issues in any team.")
    picked = None
    if request.GET.get("id", "").isdigit():
        picked = selectors.get_customer_for_user(request.user, int(request.GET["id"]))
    elif "new" not in request.GET and "q" in request.GET:
        q = request.GET["q"].strip()[:200]
        results = (
            list(selectors.search_customers(request.user, q).order_by("name", "pk")[:8])
            if q
            else []
        )
        return render(
            request, "issues/quick_log.html#customer_results", {"results": results, "q": q}
        )
    typed = request.GET.get("new", "").strip()[:200]
    initial = {"new_email": typed} if "@" in typed else {"new_name": typed}
    form = QuickLogForm(teams=[], initial=initial)
    context = {"form": form, "picked": picked, "new_open": bool(typed)}
    return render(request, "issues/quick_log.html#customer_picker", context)


# --- customer and organization pages ---------------------------------------------------


@login_required
@require_GET
def customer_list(request):
    q = request.GET.get("q", "").strip()[:200]
    if not selectors.may_see_customers(request.user):
        raise Http404("No customers to show.")
    paginator = Paginator(selectors.list_customers_page(request.user, q), CUSTOMER_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "may_edit": customer_services.may_manage_customers(request.user),
    }
    template = "issues/customer_list.html#results" if request.htmx else "issues/customer_list.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def customer_detail(request, pk):
    customer = selectors.get_customer_for_user(request.user, pk)
    may_edit = customer_services.may_manage_customers(request.user)
    form = None
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("Only people who can log issues in a team edit customers.")
        form = CustomerForm(request.POST)
        if form.is_valid():
            try:
                customer_services.update_customer(customer, actor=request.user, **form.cleaned_data)
            except services.DomainError as error:
                _form_error(form, error)
            else:
                messages.success(request, f"Saved {form.cleaned_data['name']}.")
                return redirect("issues:customer", pk=customer.pk)
        status = 400
    elif may_edit:
        form = CustomerForm(
            initial={
                "name": customer.name,
                "email": customer.email,
                "organization": customer.organization_name,
                "phone": customer.phone,
            }
        )
    context = {
        "customer": customer,
        "issues": selectors.list_customer_issues(customer, request.user)[:200],
        "form": form,
        "may_edit": may_edit,
        "editing": status == 400,
    }
    return render(request, "issues/customer_detail.html", context, status=status)


@login_required
@require_GET
def organization_detail(request, pk):
    org = selectors.get_organization_for_user(request.user, pk)
    return render(
        request,
        "issues/organization_detail.html",
        selectors.get_organization_detail(org, request.user),
    )
