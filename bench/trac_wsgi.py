"""Trac 1.6 as a WSGI application for the benchmark's gunicorn (run by Trac's own
interpreter, var/bench/trac-venv; nothing of the app is imported here).

Every response carries `X-Bench-Worker` (the answering process), which the load
process reads to spread its connections over both workers, as it does for the app."""

import os
import warnings

# Trac 1.6 imports pkg_resources, whose deprecation warning would go to every log line.
warnings.simplefilter("ignore")
os.environ["TRAC_ENV"] = os.environ["BENCH_TRAC_ENV"]

from trac.web.main import dispatch_request  # noqa: E402


def application(environ, start_response):
    def start(status, headers, exc_info=None):
        return start_response(status, [*headers, ("X-Bench-Worker", str(os.getpid()))], exc_info)

    return dispatch_request(environ, start)
