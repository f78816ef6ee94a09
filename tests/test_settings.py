"""Settings read from the environment: database pool, https, email transport, test broker isolation."""

import runpy
import threading

import pytest
import redis as redis_lib
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections, connection

from inkwell import settings as settings_module
from inkwell.celery import app

HTTPS = {
    "INKWELL_PUBLIC_URL": "https://inkwell.example",
    "INKWELL_SECRET_KEY": "k" * 60,
    "INKWELL_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "INKWELL_EMAIL_TRANSPORT": "django.core.mail.backends.smtp.EmailBackend",
    "STRIPE_SECRET_KEY": "sk_test_deploy",
    "STRIPE_WEBHOOK_SECRET": "whsec_deploy",
}


@pytest.fixture
def load_settings(monkeypatch):
    """Evaluate inkwell/settings.py afresh under the given environment (the live settings stay put)."""

    def load(**env):
        monkeypatch.setenv("DATABASE_URL", "postgresql://inkwell@db.invalid/inkwell")
        monkeypatch.setenv("REDIS_URL", "redis://redis.invalid:6379/0")
        for name in ["INKWELL_HSTS_SECONDS", "EMAIL_HOST", "EMAIL_USE_SSL", "EMAIL_USE_TLS", "EMAIL_PORT"]:
            monkeypatch.delenv(name, raising=False)
        for name in [
            "INKWELL_DB_POOL_MIN",
            "INKWELL_DB_POOL_MAX",
            "INKWELL_DB_POOL_TIMEOUT",
            "EMAIL_TIMEOUT",
        ]:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(settings_module.__file__, run_name="settings_under_test")

    return load


def test_database_connections_come_from_a_bounded_pool(load_settings):
    database = load_settings()["DATABASES"]["default"]
    assert database["CONN_MAX_AGE"] == 0  # persistent per-thread connections leak under ASGI
    assert database["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 10, "timeout": 30.0}
    sized = load_settings(INKWELL_DB_POOL_MIN="2", INKWELL_DB_POOL_MAX="4", INKWELL_DB_POOL_TIMEOUT="5")
    assert sized["DATABASES"]["default"]["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 4, "timeout": 5.0}


def test_pool_minimum_never_exceeds_its_maximum(load_settings):
    pool = load_settings(INKWELL_DB_POOL_MIN="3", INKWELL_DB_POOL_MAX="2")["DATABASES"]["default"]["OPTIONS"]
    assert pool["pool"]["min_size"] == 2


def test_pool_maximum_zero_opens_a_connection_per_request(load_settings):
    database = load_settings(INKWELL_DB_POOL_MAX="0")["DATABASES"]["default"]
    assert "pool" not in database.get("OPTIONS", {}) and database["CONN_MAX_AGE"] == 0


def test_many_threads_share_at_most_the_pools_connections(db):
    """Each ASGI request runs on a thread of its own; the connections it used must go back to the
    pool at the end of the request, so the server sees no more than the pool's maximum."""
    bound = settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
    threads = bound * 2 + 5
    done = threading.Barrier(threads + 1)
    errors = []

    def request():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            close_old_connections()  # what Django does when a request finishes
        except Exception as exc:
            errors.append(exc)
        done.wait()  # stay alive (as a server thread would) while the connections are counted
        done.wait()

    workers = [threading.Thread(target=request) for _ in range(threads)]
    for worker in workers:
        worker.start()
    done.wait()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        open_connections = cursor.fetchone()[0]
    done.wait()
    for worker in workers:
        worker.join()
    assert errors == []
    assert open_connections <= bound


def test_a_pooled_connection_takes_the_schema_of_its_next_request(alpha, beta):
    """django-tenants sets search_path on every cursor, so a connection that comes back from the
    pool still pointing at the last request's tenant is switched before the next query."""
    results, errors = [], []

    def requests():
        try:
            for i in range(24):
                tenant = [alpha.tenant, beta.tenant, None][i % 3]
                if tenant is None:
                    connection.set_schema_to_public()
                else:
                    connection.set_tenant(tenant)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT (current_schemas(false))[1], pg_backend_pid()")
                    results.append((tenant.schema_name if tenant else "public", *cursor.fetchone()))
                close_old_connections()  # back to the pool, as at the end of a request
        except Exception as exc:
            errors.append(exc)

    worker = threading.Thread(target=requests)
    worker.start()
    worker.join()
    assert errors == [] and len(results) == 24
    assert [(expected, schema) for expected, schema, _pid in results if expected != schema] == []
    assert len({pid for _expected, _schema, pid in results}) < len(results)  # connections were reused


def test_https_deployment_redirects_to_https_with_hsts_on_every_subdomain(load_settings):
    secure = load_settings(**HTTPS)
    assert secure["SECURE_SSL_REDIRECT"] is True
    assert secure["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert secure["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert secure["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert load_settings(**HTTPS, INKWELL_HSTS_SECONDS="600")["SECURE_HSTS_SECONDS"] == 600
    plain = load_settings(INKWELL_PUBLIC_URL="http://localhost:8000")
    assert "SECURE_SSL_REDIRECT" not in plain and "SECURE_HSTS_SECONDS" not in plain


def test_smtp_with_implicit_tls(load_settings):
    ssl = load_settings(EMAIL_HOST="smtp.example", EMAIL_USE_SSL="1")
    assert (ssl["EMAIL_USE_SSL"], ssl["EMAIL_USE_TLS"], ssl["EMAIL_PORT"]) == (True, False, 465)
    starttls = load_settings(EMAIL_HOST="smtp.example")
    assert (starttls["EMAIL_USE_SSL"], starttls["EMAIL_USE_TLS"], starttls["EMAIL_PORT"]) == (
        False,
        True,
        587,
    )


def test_a_stuck_smtp_server_times_out(load_settings):
    from django.core.mail import get_connection

    assert load_settings()["EMAIL_TIMEOUT"] == 10
    assert load_settings(EMAIL_TIMEOUT="2.5")["EMAIL_TIMEOUT"] == 2.5
    assert (
        get_connection("django.core.mail.backends.smtp.EmailBackend").timeout == settings.EMAIL_TIMEOUT == 10
    )


def test_tests_never_queue_tasks_where_a_make_run_worker_listens(load_settings):
    """`make test` and `make run` on one Redis: the tests' tasks go to a queue under keys of their own."""
    development = load_settings(REDIS_URL=settings.REDIS_URL)
    client = redis_lib.Redis.from_url(settings.REDIS_URL)
    development_queue = development["CELERY_TASK_DEFAULT_QUEUE"]
    before = client.llen(development_queue)
    app.conf.task_always_eager = False
    try:
        app.send_task("tests.never_run")
    finally:
        app.conf.task_always_eager = True
    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"]
    test_queue = f"{prefix}{settings.CELERY_TASK_DEFAULT_QUEUE}"
    try:
        assert client.llen(development_queue) == before
        assert client.llen(test_queue) == 1
    finally:
        client.delete(test_queue)
        client.close()


def test_an_https_deployment_without_stripe_keys_refuses_to_start(load_settings):
    # Offline billing's test checkout gives workspaces away: only where someone says so (staging).
    without_stripe = {k: v for k, v in HTTPS.items() if not k.startswith("STRIPE_")}
    with pytest.raises(ImproperlyConfigured, match="STRIPE_SECRET_KEY"):
        load_settings(**without_stripe)
    assert load_settings(**without_stripe, INKWELL_BILLING_OFFLINE="1")["BILLING_BACKEND"] == "local"
    assert load_settings(**HTTPS)["BILLING_BACKEND"] == "stripe"
