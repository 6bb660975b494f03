"""The WSGI application (gunicorn, runserver).

The objects alive once the app has loaded, and again once the process's first
requests have filled its caches (URL resolvers, compiled templates, the teams'
pickers), live as long as the process. They are moved out of the garbage collector's
reach (`gc.freeze`, after a collection), so its full collections stop walking them
again and again: half of an API list's collection time in `python -m bench.profile`.
Garbage they later become is freed by reference counting as before; only cycles
among them would wait for the process to end.
"""

import gc
import itertools
import os

from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "issuetracker.settings")

application = get_wsgi_application()

FREEZE_AFTER_REQUESTS = 200


def _freeze() -> None:
    gc.collect()
    gc.freeze()


_served = itertools.count(1)


def _freeze_once_warm(sender, **kwargs) -> None:
    if next(_served) == FREEZE_AFTER_REQUESTS:
        request_finished.disconnect(_freeze_once_warm)
        _freeze()


_freeze()
request_finished.connect(_freeze_once_warm)
