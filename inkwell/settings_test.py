"""Test settings: the same as production-shaped settings, with a Redis of its own for tests."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

# Tests address tenants as <sub>.localhost whatever the developer's shell says.
os.environ["INKWELL_PUBLIC_URL"] = "http://localhost:8000"

from kombu import Queue  # noqa: E402

from inkwell import embedded  # noqa: E402
from inkwell.settings import *  # noqa: E402, F403

# `make test` runs the suite in parallel processes (pytest-xdist workers gw0, gw1, …); each has its
# own test database (pytest-django suffixes its name) and its own embedded Redis, so one worker's
# cache clearing, rate-limit counters and queued tasks never reach another's.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
TEST_NAME = "-".join(filter(None, ["test", XDIST_WORKER]))  # "test", or "test-gw0" in a worker
REDIS_PROFILE = TEST_NAME
REDIS_URL = os.environ.get("REDIS_URL") or embedded.redis_url(REDIS_PROFILE)
CACHES["default"]["LOCATION"] = REDIS_URL  # noqa: F405
# The prefixes also keep workers apart when they share a REDIS_URL from the environment.
CACHES["default"]["KEY_PREFIX"] = f"inkwell-{TEST_NAME}"  # noqa: F405
CACHES["site"]["LOCATION"] = REDIS_URL  # noqa: F405
CACHES["site"]["KEY_PREFIX"] = f"inkwell-{TEST_NAME}-site"  # noqa: F405
CELERY_BROKER_URL = REDIS_URL.replace("unix://", "redis+socket://", 1)
EVENTS_REDIS_URL = REDIS_URL
EVENTS_KEY_PREFIX = f"inkwell-{TEST_NAME}:events"
# Telegram: the outbox backend whatever the shell exports; tests record the Bot API at the HTTP layer.
TELEGRAM_BOT_TOKEN = ""
TELEGRAM_BACKEND = "outbox"
TELEGRAM_WEBHOOK_SECRET = "test-telegram-secret"
# With a shared REDIS_URL, a running `make run` worker must not take the tests' tasks (nor the tests
# its own): a queue of their own, and every broker key under a prefix of their own.
CELERY_TASK_DEFAULT_QUEUE = f"inkwell-{TEST_NAME}"
CELERY_TENANT_QUEUE = f"inkwell-{TEST_NAME}-tenant"
CELERY_TASK_QUEUES = [Queue(CELERY_TASK_DEFAULT_QUEUE), Queue(CELERY_TENANT_QUEUE)]
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"inkwell-{TEST_NAME}:"}

# Fast hashing for the few password users (staff) the tests create.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SPARE_SCHEMAS = 1

# Tasks run inline in tests, so a request's effects (emails, SMS) are there when it returns;
# tests/test_celery.py runs a real worker against the real broker to cover the queue itself.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

# Files the tests store (logos, sealed PDFs) go to a folder of this run's own, never the developer's media.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="inkwell-test-media-"))
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)

# The demo tenant's analytics history: two months keep the demo-load tests fast (two years in make run).
INGESTION_DEMO_HISTORY_DAYS = 60

# A commit doesn't wait for its WAL to reach the disk: the test database is thrown away, and
# creating it (migrations commit one by one, for the public schema and every tenant schema the
# session makes) otherwise waits on the disk hundreds of times.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"  # noqa: F405

# No test reaches a model or embedding provider, whatever keys the developer's shell exports: the
# assistant answers by retrieval unless a test switches a backend on (and records its HTTP).
ANTHROPIC_API_KEY = OPENAI_API_KEY = ""
LLM_BACKEND = "none"
LLM_MODEL = ""
EMBEDDING_BACKEND = ""
