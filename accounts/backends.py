from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from issuetracker.prepared import Prepared

# The header counts unread notifications up to this many and shows "99+" from there.
UNREAD_CAP = 100


class UsernameOrEmailBackend(ModelBackend):
    """Sign in with either the username (case-sensitive) or the email (any case)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        field = "email__iexact" if "@" in username else "username"
        user = User._default_manager.filter(**{field: username}).first()
        if user is None:
            # Spend the same time as a real check so timing does not reveal accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The signed-in user of a request, with `unread_count` (the header's badge)
        counted in the same query, up to UNREAD_CAP: the badge says "99+" beyond that,
        and a count that stops there costs the same for a user with 100 unread
        notifications as for one with 100,000."""
        user = _user_with_unread.one(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def _user_with_unread_query(user_id):
    from django.db.models.expressions import RawSQL

    from notifications.models import Notification

    User = get_user_model()
    # Table names from the models and the cap as a parameter: no outside input.
    unread = RawSQL(  # noqa: S611  # nosec B611
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {Notification._meta.db_table} n "  # noqa: S608  # nosec B608
        f'WHERE n.recipient_id = "{User._meta.db_table}"."id" AND n.read_at IS NULL '
        "LIMIT %s) AS unread",
        (UNREAD_CAP,),
    )
    return User._default_manager.annotate(unread_count=unread).filter(pk=user_id)[:1]


_user_with_unread = Prepared(_user_with_unread_query)
