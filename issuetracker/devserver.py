"""`make run`: the web server and a Celery worker with beat, started and stopped together.

On the embedded defaults the worker talks to the filesystem broker under var/broker,
so notifications and the stale sweep run for real without Redis.
"""

import os
import signal
import subprocess
import sys
import time

ADDRESS = os.environ.get("RUN_ADDRESS", "127.0.0.1:8000")


def main() -> int:
    python = sys.executable
    commands = {
        "worker": [
            python, "-m", "celery", "-A", "issuetracker", "worker", "--beat",
            "--loglevel", "INFO", "--concurrency", "2",
        ],
        "web": [python, "manage.py", "runserver", ADDRESS],
    }  # fmt: skip
    # Fixed argument lists built above: no shell, no user input.
    processes = {}
    for name, cmd in commands.items():
        processes[name] = subprocess.Popen(cmd)  # noqa: S603  # nosec B603
    print(
        f"\n  Issue tracker at http://{ADDRESS}/  (admin at /admin/)\n"
        "  Demo logins: admin, or any demo user listed by seed_demo; password: demo\n"
        "  Ctrl-C stops the web server and the worker.\n",
        flush=True,
    )
    code = 0
    try:
        while all(p.poll() is None for p in processes.values()):
            time.sleep(0.5)
        code = next(p.returncode for p in processes.values() if p.poll() is not None) or 0
    except KeyboardInterrupt:
        pass
    finally:
        for p in processes.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for p in processes.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
    return code


if __name__ == "__main__":
    sys.exit(main())
