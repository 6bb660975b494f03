"""Create a personal access token for a user and print it (once)."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts import tokens
from issues.services import DomainError


class Command(BaseCommand):
    help = (
        "Create an API token for USERNAME and print it. The token is not stored, only its "
        "hash: copy it now."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Command line", help="What uses the token.")
        parser.add_argument(
            "--expires-days",
            type=int,
            default=None,
            help="Expire the token after this many days (default: never).",
        )

    def handle(self, *args, username, name, expires_days, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1.")
        now = timezone.now()
        expires_at = now + dt.timedelta(days=expires_days) if expires_days else None
        try:
            token, raw = tokens.create_token(
                user, name=name, expires_at=expires_at, actor=None, now=now
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stderr.write(
            f"Created token “{token.name}” ({token.prefix}…) for {user.username}"
            + (f", expiring {expires_at:%Y-%m-%d}" if expires_at else "")
            + ". It is shown only now:"
        )
        self.stdout.write(raw)
