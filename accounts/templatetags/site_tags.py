"""The header every signed-in page shows, as one tag."""

from django import template
from django.urls import reverse

from issues.templatetags.issue_tags import _built, _e

register = template.Library()


@register.simple_tag(takes_context=True)
def site_nav(context) -> str:
    """The header's team links (the current one marked) and account links. Was some 40
    template nodes, each resolved and escaped on its own, and a tenth of a light page's
    Python; same markup, every value escaped by `_e`. Names from the `nav` context
    processor (accounts/context_processors.py)."""
    user, nav = context.get("user"), context.get("nav")
    if user is None or nav is None:  # a page rendered without the request's context
        return ""
    current = context.get("current_team")
    here = current.pk if current else None
    for_team = f"?team={_e(current.key)}" if current else ""
    teams = "".join(
        f'<a href="{_e(reverse("issues:list", args=[team.key]))}"'
        f"{' aria-current="page"' if team.pk == here else ''}>{_e(team.key)}</a>"
        for team in nav["teams"]
    )
    unread = _e(nav["unread_text"])
    badge = f' <span class="badge" id="unread-count">{unread}</span>' if nav["unread"] else ""
    links = [
        f'<a href="{reverse("issues:quick-log")}{for_team}" data-shortcut="q">Quick log</a>'
        if nav["can_create"]
        else "",
        f'<a href="{reverse("issues:customers")}">Customers</a>' if nav["teams"] else "",
        f'<a href="{reverse("issues:new")}{for_team}" class="button small" data-shortcut="c">'
        "New issue</a>"
        if nav["can_create"]
        else "",
        f'<a href="{reverse("notifications:inbox")}" class="inbox" '
        f'aria-label="{unread} unread notifications">Inbox{badge}</a>',
        f'<a href="{reverse("accounts:password_change")}">{_e(user.name)}</a>',
        f'<a href="{reverse("accounts:tokens")}">API tokens</a>',
        f'<a href="{reverse("admin:index")}">Admin</a>' if user.is_staff else "",
        f'<form method="post" action="{reverse("accounts:logout")}" class="inline">'
        '<input type="hidden" name="csrfmiddlewaretoken" '
        f'value="{_e(context.get("csrf_token", ""))}">'
        '<button type="submit" class="link">Sign out</button></form>',
        '<button type="button" class="link help-toggle" aria-haspopup="dialog" '
        'aria-controls="shortcuts" title="Keyboard shortcuts (?)">?</button>',
    ]
    # The teams' keys, the user's name and the token are escaped; the URLs are ours.
    return _built(
        f'<nav aria-label="Teams" class="teams-nav">{teams}</nav>'
        f'<nav aria-label="Account" class="account-nav">{"".join(links)}</nav>'
    )
