from django.utils.functional import SimpleLazyObject


def nav(request):
    """The header's teams, unread count and whether to offer "New issue"; queried only if
    a template reads them. The teams query also seeds the per-request role cache."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def load():
        from django.db.models import OuterRef, Subquery

        from accounts import permissions
        from accounts.models import Membership, Team

        my_role = Membership.objects.filter(team=OuterRef("pk"), user=user).values("role")[:1]
        teams = list(
            Team.objects.visible_to(user)
            .annotate(my_role=Subquery(my_role))
            .order_by("key")
            .only("key", "name")
        )
        cache = user.__dict__.setdefault("_team_roles", {})
        for team in teams:
            cache.setdefault(team.pk, team.my_role)
        return {
            "teams": teams,
            "can_create": any(permissions.can(user, "create", team) for team in teams),
            "unread": user.notifications.unread().count(),
        }

    return {"nav": SimpleLazyObject(load)}
