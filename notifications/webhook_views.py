"""Team settings: webhooks (admins only), on the same terms as the other settings pages.

Every URL finds the team through `get_team_for_user` (404 for outsiders), requires the
admin role (403 for other members, on GET and POST alike), then looks at the method
(accounts.team_settings_views.admin_view). Plain forms, post/redirect/get; a refused
change re-renders the page with the error next to the field (status 400).
"""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from accounts.team_settings_forms import ConfirmForm
from accounts.team_settings_views import admin_view
from issues.services import DomainError

from . import webhooks
from .models import Webhook, WebhookDelivery


class WebhookForm(forms.Form):
    """Shape only; webhooks.create_webhook/update_webhook check the URL and events."""

    url = forms.URLField(
        label="Payload URL",
        max_length=Webhook._meta.get_field("url").max_length,
        assume_scheme="https",
        widget=forms.TextInput(
            attrs={"inputmode": "url", "placeholder": "https://example.com/hooks/tracker"}
        ),
    )
    events = forms.MultipleChoiceField(
        choices=Webhook.Event.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event, including ones added later.",
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    @classmethod
    def for_webhook(cls, webhook: Webhook, data=None) -> "WebhookForm":
        initial = {"url": webhook.url, "events": webhook.events, "is_active": webhook.is_active}
        return cls(data, initial=initial, prefix=f"webhook-{webhook.pk}")


def _webhook(team, webhook_id):
    return get_object_or_404(Webhook.objects.select_related("team"), pk=webhook_id, team=team)


def _add_error(form, err: DomainError) -> None:
    form.add_error(err.field if err.field in form.fields else None, err.message)


def _done(request, team, message):
    if message:
        messages.success(request, message)
    return redirect("team_settings:webhooks", team_key=team.key)


def _page(request, team, *, add_form=None, failed=None, status=200):
    """The list; `failed` is (webhook pk, bound form) of the row whose change was refused."""
    labels = dict(WebhookDelivery.Status.choices)
    rows = []
    for hook in webhooks.list_team_webhooks(team):
        form, errors = WebhookForm.for_webhook(hook), []
        if failed is not None and failed[0] == hook.pk:
            if isinstance(failed[1], WebhookForm):
                form = failed[1]
            else:
                errors = failed[1].non_field_errors()
        rows.append(
            {"object": hook, "form": form, "errors": errors, "last": labels.get(hook.last_status)}
        )
    context = {
        "current_team": team,
        "tab": "webhooks",
        "rows": rows,
        "add_form": add_form or WebhookForm(prefix="new"),
        "tolerance": webhooks.SIGNATURE_TOLERANCE,
    }
    return render(request, "accounts/team_settings_webhooks.html", context, status=status)


@admin_view("GET", "POST")
def webhook_list(request, team):
    if request.method == "GET":
        return _page(request, team)
    form = WebhookForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            hook = webhooks.create_webhook(team, actor=request.user, **form.cleaned_data)
        except DomainError as err:
            _add_error(form, err)
        else:
            message = f"Added the webhook for {hook.url}. Give its secret to the receiver."
            return _done(request, team, message)
    return _page(request, team, add_form=form, status=400)


@admin_view("POST")
def webhook_update(request, team, webhook_id):
    hook = _webhook(team, webhook_id)
    form = WebhookForm.for_webhook(hook, request.POST)
    if form.is_valid():
        try:
            changed = webhooks.update_webhook(hook, actor=request.user, **form.cleaned_data)
        except DomainError as err:
            _add_error(form, err)
        else:
            return _done(request, team, changed and f"Saved the webhook for {changed.url}.")
    return _page(request, team, failed=(hook.pk, form), status=400)


@admin_view("POST")
def webhook_enable(request, team, webhook_id):
    hook = _webhook(team, webhook_id)
    webhooks.update_webhook(hook, actor=request.user, is_active=True)
    return _done(request, team, f"Enabled the webhook for {hook.url}.")


@admin_view("POST")
def webhook_rotate_secret(request, team, webhook_id):
    hook = webhooks.rotate_secret(_webhook(team, webhook_id), actor=request.user)
    message = f"The webhook for {hook.url} has a new secret; update the receiver."
    return _done(request, team, message)


@admin_view("POST")
def webhook_ping(request, team, webhook_id):
    hook = _webhook(team, webhook_id)
    webhooks.send_ping(hook, actor=request.user)
    messages.success(request, f"Sent a test ping to {hook.url}.")
    return redirect("team_settings:webhook-deliveries", team_key=team.key, webhook_id=hook.pk)


@admin_view("POST")
def webhook_delete(request, team, webhook_id):
    hook = _webhook(team, webhook_id)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        webhooks.delete_webhook(hook, actor=request.user)
        return _done(request, team, f"Deleted the webhook for {hook.url}.")
    return _page(request, team, failed=(hook.pk, form), status=400)


@admin_view("GET")
def webhook_deliveries(request, team, webhook_id):
    hook = _webhook(team, webhook_id)
    context = {
        "current_team": team,
        "tab": "webhooks",
        "webhook": hook,
        "deliveries": webhooks.list_recent_deliveries(hook, limit=50),
        "limit": 50,
    }
    return render(request, "accounts/team_settings_webhook_deliveries.html", context)
