"""The Celery app: settings come from Django's (CELERY_*), tasks from <app>/tasks.py."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "issuetracker.settings")

app = Celery("issuetracker", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
def _drop_broken_connections(task=None, **kwargs) -> None:
    """Connections are kept across tasks (CELERY_DB_REUSE_MAX); drop one that broke (a
    database restart) or outlived CONN_MAX_AGE before the next task, as Django does
    between requests. Not for a task run inline, inside its caller's transaction."""
    from django.db import connections

    if task is None or getattr(task.request, "is_eager", False):
        return
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
