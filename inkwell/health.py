"""GET /healthz on any host: 200 when PostgreSQL and Redis answer, 503 naming what is down."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse

HEALTH_PATH = "/healthz"


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def redis_ok() -> bool:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def health_report() -> tuple[int, dict]:
    checks = {"database": database_ok(), "redis": redis_ok()}
    down = [name for name, ok in checks.items() if not ok]
    body = {"status": "ok" if not down else "down", **{k: "ok" if v else "down" for k, v in checks.items()}}
    if down:
        body["down"] = down
    return (503 if down else 200), body


class HealthCheckMiddleware:
    """First in the stack, so it answers before host validation or tenant lookup (load balancers
    probe by IP, and a broken tenant table must not hide a healthy process)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == HEALTH_PATH and request.method in ("GET", "HEAD"):
            status, body = health_report()
            return JsonResponse(body, status=status)
        return self.get_response(request)
