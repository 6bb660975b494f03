from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .models import Notification, Preference


@login_required
def inbox(request):
    page = Paginator(services.inbox(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def read_one(request, pk):
    note = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.mark_read(request.user, [note.pk])
    if request.POST.get("open") == "1":
        return redirect(note.issue)
    return redirect("notifications:inbox")


@login_required
@require_POST
def read_all(request):
    count = services.mark_read(request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("notifications:inbox")


class PreferencesForm(forms.Form):
    def __init__(self, *args, preference: Preference, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in Notification.Kind.choices:
            self.fields[kind] = forms.ChoiceField(
                label=label,
                choices=Preference.Channel.choices,
                initial=preference.channel_for(kind),
                widget=forms.RadioSelect,
            )


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    preference = services.preference_for(request.user.pk)
    form = PreferencesForm(request.POST or None, preference=preference)
    if request.method == "POST" and form.is_valid():
        services.set_preferences(request.user, form.cleaned_data)
        messages.success(request, "Notification settings saved.")
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
