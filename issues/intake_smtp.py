"""The SMTP side of email intake: an aiosmtpd handler that accepts mail only for known
intake addresses and hands each message to issues.intake.receive.

aiosmtpd runs an asyncio loop in its own thread; the database work runs in worker
threads (sync_to_async) and closes its connection afterwards, so a long-running server
never holds a stale connection.
"""

from __future__ import annotations

import logging

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections

from . import intake

log = logging.getLogger("issues.intake")


def _with_db(func):
    """Run `func` in a worker thread with a fresh connection, closed afterwards."""

    def run(*args, **kwargs):
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            connections.close_all()

    return sync_to_async(run, thread_sensitive=False)


class IntakeHandler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        team = await _with_db(intake.team_for_address)(address)
        if team is None:
            log.warning("intake refused recipient %s from %s", address, session.peer)
            return "550 5.1.1 No such intake address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content or b""
        if len(raw) > settings.INTAKE_MAX_BYTES:
            log.warning("intake refused a message of %d bytes from %s", len(raw), session.peer)
            return "552 5.3.4 Message too big"
        try:
            outcome = await _with_db(intake.receive)(raw, recipients=list(envelope.rcpt_tos))
        except intake.Rejected as rejected:
            log.warning(
                "intake rejected mail from %s to %s: %s",
                envelope.mail_from,
                envelope.rcpt_tos,
                rejected.reply,
            )
            return rejected.reply
        except Exception:
            log.exception(
                "intake failed on mail from %s; the sender will retry", envelope.mail_from
            )
            return "451 4.3.0 Could not process the message now; try again later"
        log.info("intake: %s (from %s)", outcome.reply, envelope.mail_from)
        return outcome.reply


class _LoggingSMTP(SMTP):
    """aiosmtpd answers oversized data (552) and overlong lines itself; log those too."""

    async def push(self, status: str):
        if status.startswith(("552", "500 Line")):
            log.warning("intake refused data from %s: %s", self.session.peer, status)
        await super().push(status)


class IntakeController(Controller):
    def factory(self):
        return _LoggingSMTP(self.handler, **self.SMTP_kwargs)


def controller(host: str, port: int) -> IntakeController:
    """A controller for the intake server; `.start()` runs it in a thread, `.stop()` ends it."""
    return IntakeController(
        IntakeHandler(),
        hostname=host,
        port=port,
        data_size_limit=settings.INTAKE_MAX_BYTES,
        ident="Issue tracker intake",
    )
