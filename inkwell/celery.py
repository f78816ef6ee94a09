"""The Celery app. tenant-schemas-celery stamps each task with the schema it was sent from and
switches the worker's connection to that schema before the task runs."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inkwell.settings")

app = CeleryApp("inkwell")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
