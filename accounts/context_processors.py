from django.utils.functional import SimpleLazyObject


def nav(request):
    """The header's teams and unread count, queried only if a template reads them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def load():
        from accounts.models import Team

        return {
            "teams": list(Team.objects.visible_to(user).order_by("key").only("key", "name")),
            "unread": user.notifications.unread().count(),
        }

    return {"nav": SimpleLazyObject(load)}
