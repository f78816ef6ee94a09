"""The stack a bench runs against, its own and started as `make run` starts it.

Everything lives in one temporary directory, deleted at the end: a private PostgreSQL (pgserver,
PostgreSQL 16 + pgvector) with the bench's database, a private embedded Redis, the state directory
(secret files, the seal's generated certificate) and the media directory. So a bench never touches
the development or test database, and nobody else's server is loaded or exhausted by it.

    with stack(name="load", database="inkwell_load") as s:
        provisioned = prepare(s, subdomain="loadtest", business="Load Test Movers")
        web = start_web(s.env, port, s.workdir / "web.log")   # uvicorn, as `make run` serves
        ...                                                   # requests to 127.0.0.1, Host header

`migrate(s)` alone sets up Django and the shared schema without a tenant (webhook.py, signup.py,
ingestion.py, provisioning.py); `start_worker` adds a Celery worker; `Result` collects a run of
requests (p50, p95, errors by kind); `s.show("server_version")` reads a server setting.

Requests go to 127.0.0.1 with a Host header: `*.localhost` does not resolve through the C library
here (see /work/shared/DESIGN.md, "Pitfalls").
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def port_check(parser: argparse.ArgumentParser, port: int) -> None:
    """Stop with a usage error when something already listens on `port`."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            parser.error(f"port {port} is in use by another program; pass --port")


@dataclass(frozen=True)
class Stack:
    env: dict[str, str]  # for the bench's own Django and every process it starts
    admin_url: str  # the server's maintenance database, for queries beside the bench database's
    workdir: Path  # deleted with the stack; logs written here are gone at the end
    server: object  # the pgserver handle (psql(), get_uri())

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    def show(self, setting: str) -> str:
        """A PostgreSQL run-time setting of the server (SHOW `setting`), e.g. server_version."""
        return self.server.psql(f"SHOW {setting};").split("\n")[2].strip()


@dataclass
class Result:
    """What a run of requests gave: each answer's latency, the errors by kind, the wall time."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p95(self) -> float:
        return percentile(self.latencies_ms, 0.95)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def error_kinds(self) -> str:
        """The errors by kind for a report line, e.g. ' (3× timeout, 1× 500)'; empty when none."""
        kinds = ", ".join(f"{n}× {kind}" for kind, n in sorted(self.errors.items()))
        return f" ({kinds})" if kinds else ""


@contextmanager
def stack(*, name: str, database: str, env: dict[str, str] | None = None) -> Iterator[Stack]:
    """Start PostgreSQL (with `database` created) and Redis in a fresh temporary directory; stop
    them and delete the directory on the way out. `env` adds to or overrides the environment."""
    # The state directory is read when inkwell.embedded is first imported (Redis's socket, the
    # seal's certificate): this process and its children must agree on it from the start.
    if "inkwell.embedded" in sys.modules:
        raise RuntimeError("bench.stack must start before inkwell.embedded (or Django) is imported")
    workdir = Path(tempfile.mkdtemp(prefix=f"inkwell-{name}-"))
    workdir.chmod(0o755)  # pgserver drops to its own system user when run as root
    os.environ["INKWELL_STATE_DIR"] = str(workdir / "state")
    with warnings.catch_warnings():  # platformdirs warns that XDG_RUNTIME_DIR is unset on servers
        warnings.simplefilter("ignore")
        import pgserver

    from inkwell import embedded

    server = pgserver.get_server(workdir / "pg", cleanup_mode="delete")
    redis_process = None
    try:
        redis_process = embedded.start_redis(f"bench-{name}")
        server.psql(f'CREATE DATABASE "{database}";')
        admin_url = server.get_uri()
        full_env = {
            **os.environ,
            "DATABASE_URL": admin_url.replace("/postgres?", f"/{database}?", 1),
            "REDIS_URL": embedded.redis_url(f"bench-{name}"),
            "DJANGO_SETTINGS_MODULE": "inkwell.settings",
            "INKWELL_SECRET_KEY": f"bench-{name}-" + "x" * 40,
            "INKWELL_LOG_LEVEL": "WARNING",
            "INKWELL_STATE_DIR": str(workdir / "state"),
            "INKWELL_MEDIA_DIR": str(workdir / "media"),
            "SMS_BACKEND": "outbox",
            **(env or {}),
        }
        yield Stack(env=full_env, admin_url=admin_url, workdir=workdir, server=server)
    finally:
        _close_django_connections()
        if redis_process is not None:
            embedded.stop_process(redis_process)
        server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


def _close_django_connections() -> None:
    if "django.db" not in sys.modules:
        return
    from django.apps import apps

    if apps.ready:
        from django.db import connections

        connections.close_all()


def migrate(s: Stack, *, pool: bool = True) -> None:
    """Set up Django in this process and migrate the shared schema. `pool=False` gives this process
    no connection pool, so its connections are not counted with the web server's."""
    os.environ.update(s.env)
    if not pool:
        os.environ["INKWELL_DB_POOL_MAX"] = "0"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)


def prepare(s: Stack, *, subdomain: str, business: str, pool: bool = True):
    """`migrate`, then provision one tenant (its owner is owner@<subdomain>.example). Returns
    tenant_provision's result."""
    migrate(s, pool=pool)
    from tenants.services.provisioning import tenant_provision

    return tenant_provision(
        name=business,
        subdomain=subdomain,
        owner_email=f"owner@{subdomain}.example",
        owner_name="Bench Owner",
        external_key=f"bench:{subdomain}",
        send_welcome=False,
    )


def start_web(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    """uvicorn serving inkwell.asgi on 127.0.0.1:`port` (one process, as `make run` serves), its
    output (the tracebacks of failed requests) going to `log`. Returns once /healthz answers 200."""
    from inkwell import embedded

    with log.open("w") as output:
        process = embedded.spawn(
            [sys.executable, "-m", "uvicorn", "inkwell.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--no-server-header", "--log-level", "warning", "--no-access-log"],
            env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web server exited with code {process.returncode}; see {log}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
        finally:
            conn.close()
    embedded.stop_process(process)
    raise RuntimeError(f"the web server did not answer on port {port} within 30 seconds")


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """A Celery worker, as `make run` starts it (--concurrency 2)."""
    from inkwell import embedded

    with log.open("w") as output:
        return embedded.spawn(
            [sys.executable, "-m", "celery", "-A", "inkwell", "worker", "--loglevel", "WARNING",
             "--concurrency", "2"],
            env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip


def stop_process(process: subprocess.Popen | None, timeout: float = 15) -> None:
    if process is not None:
        from inkwell import embedded

        embedded.stop_process(process, timeout=timeout)


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (fraction 0.95 → p95)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * fraction + 0.5) - 1)]
