from django.core.management.base import BaseCommand, CommandError

from accounts.models import Team
from issues import services


class Command(BaseCommand):
    help = (
        "Recompute the status periods (time-in-status reports, issue timeline bars) "
        "from the issue timelines, for every team or one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--team", metavar="KEY", help="only this team (e.g. ENG)")

    def handle(self, *args, team=None, **options):
        found = None
        if team:
            found = Team.objects.filter(key=team.upper()).first()
            if found is None:
                raise CommandError(f"No team with key {team!r}.")
        count = services.rebuild_status_periods(team=found)
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {count:,} status periods."))
