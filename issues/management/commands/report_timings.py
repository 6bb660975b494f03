import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Team
from issues import reports


class Command(BaseCommand):
    help = "Time every team report for one team over the last N days (a benchmark)."

    def add_arguments(self, parser):
        parser.add_argument("--team", default="ENG", metavar="KEY")
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--repeat", type=int, default=3, help="best of N runs")

    def handle(self, *args, team, days, repeat, **options):
        found = Team.objects.filter(key=team.upper()).first()
        if found is None:
            raise CommandError(f"No team with key {team!r}.")
        today = timezone.localdate()
        window = reports.ReportFilter.for_days(today - timezone.timedelta(days=days - 1), today)
        periods = found.status_periods.count()
        self.stdout.write(
            f"{found.key}: {found.issues.count():,} issues, {periods:,} status periods; "
            f"{days} days on {connection.vendor}"
        )
        total = 0.0
        for name, report in reports.REPORTS.items():
            best = None
            for _ in range(max(repeat, 1)):
                reset_queries()
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    report(found, window)
                    elapsed = time.perf_counter() - started
                best = elapsed if best is None else min(best, elapsed)
            total += best
            self.stdout.write(f"  {name:<20} {best * 1000:8.1f} ms  {len(queries)} queries")
        self.stdout.write(f"  {'all':<20} {total * 1000:8.1f} ms")
