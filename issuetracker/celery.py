"""The Celery app: settings come from Django's (CELERY_*), tasks from <app>/tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "issuetracker.settings")

app = Celery("issuetracker", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
