"""The API tokens page: list your tokens, create one (its value is shown once), revoke."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from issues.services import DomainError

from . import tokens
from .models import ApiToken

EXPIRY_CHOICES = [("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year"), ("", "Never")]


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=tokens.NAME_MAX,
        help_text="What uses it, e.g. “Support desk” or “CI”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    expires = forms.ChoiceField(
        choices=EXPIRY_CHOICES, required=False, initial="90", label="Expires"
    )

    def expires_at(self, now: dt.datetime) -> dt.datetime | None:
        days = self.cleaned_data.get("expires")
        return now + dt.timedelta(days=int(days)) if days else None


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        try:
            token, raw = tokens.create_token(
                request.user,
                name=form.cleaned_data["name"],
                expires_at=form.expires_at(now),
                actor=request.user,
                now=now,
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            # Rendered, not redirected: the value exists only in this response.
            created, form = {"token": token, "raw": raw}, TokenForm()
    context = {
        "form": form,
        "created": created,
        "tokens": tokens.list_tokens(request.user),
        "now": timezone.now(),
    }
    response = render(request, "accounts/tokens.html", context, status=400 if form.errors else 200)
    if created:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke_token(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if tokens.revoke(token, actor=request.user):
        messages.success(request, f"Revoked “{token.name}”: it no longer works.")
    return redirect("accounts:tokens")
