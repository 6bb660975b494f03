from django.utils.functional import SimpleLazyObject

from .backends import UNREAD_CAP


def nav(request):
    """The header's teams, unread count and whether to offer "New issue", read only if a
    template reads them. The teams are the request's `visible_teams` (a team page has
    loaded them already); the unread count came with the user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def load():
        from accounts import permissions

        teams = permissions.visible_teams(user)
        unread = getattr(user, "unread_count", None)  # loaded with the user (backends.py)
        if unread is None:
            unread = user.notifications.unread()[:UNREAD_CAP].count()
        return {
            "teams": teams,
            "can_create": any(permissions.can(user, "create", team) for team in teams),
            "unread": unread,
            "unread_text": f"{UNREAD_CAP - 1}+" if unread >= UNREAD_CAP else str(unread),
        }

    return {"nav": SimpleLazyObject(load)}
