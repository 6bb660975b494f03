"""Settings for the app under benchmark: production's, plus what the benchmark needs.

Only gunicorn started by `python -m bench` uses this module. It adds two things and
changes nothing else: the query-count middleware (outermost, so the session and user
lookups count too) and a urlconf with the floor views beside the app's own urls.
"""

from issuetracker.settings import *  # noqa: F403
from issuetracker.settings import BASE_DIR, MIDDLEWARE, TEMPLATES

MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
ROOT_URLCONF = "bench.urls"
TEMPLATES = [{**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]}]
