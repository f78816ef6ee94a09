import pytest
from django.test import Client

from inkwell import embedded


@pytest.mark.parametrize(
    "host", ["localhost", "alpha.localhost", "nobody.localhost", "127.0.0.1", "10.1.2.3"]
)
def test_healthz_answers_on_any_host(worlds, host):
    response = Client(HTTP_HOST=host).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_reports_a_stopped_redis_as_503(db, settings):
    process = embedded.start_redis("healthcheck")
    settings.REDIS_URL = embedded.redis_url("healthcheck")
    try:
        assert Client().get("/healthz").status_code == 200
    finally:
        embedded.stop_process(process)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "down", "database": "ok", "redis": "down", "down": ["redis"]}


def test_healthz_reports_a_broken_database_as_503(db, monkeypatch):
    from django.db import OperationalError

    from inkwell import health

    def refused():
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(health.connection, "cursor", refused)
        response = Client().get("/healthz")
    assert response.status_code == 503 and response.json()["down"] == ["database"]


def test_healthz_reports_an_unreachable_redis_as_503(db, settings, tmp_path):
    settings.REDIS_URL = f"unix://{tmp_path}/no-redis-here.sock"  # never started: nothing listens
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "down", "database": "ok", "redis": "down", "down": ["redis"]}
