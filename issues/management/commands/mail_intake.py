"""python manage.py mail_intake: run the SMTP server that turns email into issues."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from issues.intake_smtp import controller


class Command(BaseCommand):
    help = (
        "Run the email intake SMTP server: mail to a team's intake address becomes an "
        "issue, replies whose subject carries an issue key become public comments."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.INTAKE_SMTP_HOST)
        parser.add_argument("--port", type=int, default=settings.INTAKE_SMTP_PORT)

    def handle(self, *args, host, port, **options):
        server = controller(host, port)
        server.start()
        self.stdout.write(f"Email intake listening on {host}:{port} (Ctrl-C stops it).")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
            self.stdout.write("Email intake stopped.")
