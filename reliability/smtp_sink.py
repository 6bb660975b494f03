"""An SMTP server that records every message it accepts, one JSON line each, so a
scenario can count deliveries and duplicates. Its own process, so it can be stopped
(SIGTERM) and started again on the same port with the same file.

    python -m reliability.smtp_sink PORT FILE
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from email import message_from_bytes, policy


class Recorder:
    def __init__(self, path: str):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        line = json.dumps({"to": envelope.rcpt_tos, "subject": str(message["Subject"])})
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())
        return "250 Message accepted for delivery"


def main() -> None:
    from aiosmtpd.controller import Controller

    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Recorder(path), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"smtp sink on 127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


def read(path: str) -> list[dict]:
    """Every message recorded so far."""
    try:
        with open(path, encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]
    except FileNotFoundError:
        return []


if __name__ == "__main__":
    main()
