"""Celery application for production workers (Redis broker).

The embedded default does not need Celery: `manage.py run_worker` runs the same jobs in a loop.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gup.settings")

app = Celery("gup")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
