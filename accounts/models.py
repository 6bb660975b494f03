import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone


class User(AbstractUser):
    """A person who signs in. `username` is the @mention handle; email is unique."""

    email = models.EmailField("email address")
    display_name = models.CharField(max_length=150, blank=True)

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_unique_email"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def name(self) -> str:
        return str(self)


team_key_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,9}$",
    "A team key is 2 to 10 uppercase letters or digits, starting with a letter (e.g. ENG).",
)


class TeamQuerySet(models.QuerySet):
    def visible_to(self, user) -> "TeamQuerySet":
        """Teams `user` may see: the ones they are a member of (all, for superusers)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(memberships__user=user)


class Team(models.Model):
    """A team owns issues, statuses and labels. Its key prefixes issue keys (ENG-42)."""

    key = models.CharField(max_length=10, unique=True, validators=[team_key_validator])
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    # The next issue number; create_issue takes it under a row lock, so keys have no gaps.
    next_number = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Mail to this address becomes issues of the team (manage.py mail_intake); replies
    # to customer emails come back here too. Empty: no intake.
    # (Database defaults too, so rows written by older code or migrations stay valid.)
    intake_email = models.EmailField(blank=True, default="", db_default="")
    # Email the affected customers about public comments and resolution.
    is_emailing_customers = models.BooleanField(default=True, db_default=True)
    # Replaced whenever the team's statuses, labels or assignable members change: the key
    # under which each process keeps them (issues/pickers.py). Random, not a counter, so
    # a team made again with an old id (SQLite, tests) never finds another's.
    pickers_version = models.UUIDField(default=uuid.uuid4, editable=False)

    objects = TeamQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(key__regex=r"^[A-Z][A-Z0-9]{1,9}$"),
                name="accounts_team_key_format",
            ),
            models.UniqueConstraint(
                Lower("intake_email"),
                condition=~models.Q(intake_email=""),
                name="accounts_team_unique_intake_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} · {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("issues:list", args=[self.key])


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"
        SUPPORT = "support", "Support"
        VIEWER = "viewer", "Viewer"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user"], name="accounts_membership_unique_user"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["admin", "member", "support", "viewer"]),
                name="accounts_membership_role_valid",
            ),
        ]
        indexes = [models.Index(fields=["user", "team"], name="accounts_membership_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team.key} ({self.role})"


class ApiTokenQuerySet(models.QuerySet):
    def active(self, *, now=None) -> "ApiTokenQuerySet":
        """Tokens that authenticate: not revoked and not expired at `now`."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A personal access token for the REST API (`Authorization: Bearer <token>`).

    Only the SHA-256 of the token is stored; the token itself is shown once, when it
    is created (accounts/tokens.py). `prefix` is its first characters, which are not
    enough to use it, so people can tell their tokens apart. A token acts as its user
    with exactly the user's current roles.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Touched at most once a minute (accounts.tokens.TOUCH_INTERVAL), not on every request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="accounts_apitoken_user_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class IdempotencyKey(models.Model):
    """The first successful answer to a POST sent with an `Idempotency-Key` header.

    A retry with the same key and the same request (method, path and body: the
    `fingerprint`) gets this answer again instead of creating a second object. Kept
    for 24 hours (issues.api.idempotency.expire_keys removes older ones).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], name="accounts_idempotencykey_unique_user_key"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="accounts_idemkey_created_idx")]

    def __str__(self) -> str:
        return f"Idempotency key {self.key!r} of user {self.user_id}"


class AuditEntry(models.Model):
    """One security-relevant action, written by accounts/audit.py and never changed.

    `team` is set for a team's settings and memberships; account actions (tokens,
    sign-ins, passwords) have no team and name the account in `subject`, so the
    admins of the subject's teams can see them. `actor_name` and `subject_name` keep
    the usernames as they were, should the accounts be renamed or deleted later.
    """

    class Action(models.TextChoices):
        MEMBER_ADDED = "member_added", "added a member"
        ROLE_CHANGED = "role_changed", "changed a role"
        MEMBER_REMOVED = "member_removed", "removed a member"
        STATUS_ADDED = "status_added", "added a status"
        STATUS_CHANGED = "status_changed", "changed a status"
        STATUS_MOVED = "status_moved", "moved a status"
        STATUS_DELETED = "status_deleted", "deleted a status"
        LABEL_ADDED = "label_added", "added a label"
        LABEL_CHANGED = "label_changed", "changed a label"
        LABEL_DELETED = "label_deleted", "deleted a label"
        WEBHOOK_ADDED = "webhook_added", "added a webhook"
        WEBHOOK_CHANGED = "webhook_changed", "changed a webhook"
        WEBHOOK_SECRET_ROTATED = "webhook_secret_rotated", "rotated a webhook secret"
        WEBHOOK_DELETED = "webhook_deleted", "deleted a webhook"
        TEAM_CHANGED = "team_changed", "changed the team settings"
        TOKEN_CREATED = "token_created", "created an API token"
        TOKEN_REVOKED = "token_revoked", "revoked an API token"
        LOGIN_SUCCEEDED = "login_succeeded", "signed in"
        LOGIN_FAILED = "login_failed", "failed to sign in"
        LOGIN_THROTTLED = "login_throttled", "was refused sign-in after repeated failures"
        PASSWORD_CHANGED = "password_changed", "changed their password"
        PASSWORD_RESET = "password_reset", "reset their password"

    created_at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=32, choices=Action.choices)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_entries"
    )
    subject = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    subject_name = models.CharField(max_length=254, blank=True)
    target = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["team", "-created_at"], name="accounts_audit_team_idx"),
            models.Index(fields=["subject", "-created_at"], name="accounts_audit_subject_idx"),
            models.Index(fields=["-created_at"], name="accounts_audit_created_idx"),
        ]

    def __str__(self) -> str:
        who = self.actor_name or "system"
        return f"{self.created_at:%Y-%m-%d %H:%M} {who} {self.get_action_display()} {self.target}"
