"""`make run`: the whole product on one machine, stopped cleanly by Ctrl-C, SIGTERM or a hang-up.

Reserves the web port first, starts the embedded PostgreSQL and Redis when DATABASE_URL /
REDIS_URL are unset, migrates the public schema and every tenant, loads the demo tenant, then
runs the web server (uvicorn on the reserved socket), a Celery worker and Celery beat until told
to stop. Every child runs in a session of its own and dies with the launcher even if the launcher
is killed outright (see `embedded.spawn`). A second terminal's `manage.py` finds the same
embedded servers on its own (see inkwell/embedded.py), so nothing is written for it to read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

from inkwell import embedded

PY = sys.executable
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# The web server, worker and beat get this long to finish requests and tasks before they are
# killed; Redis then gets REDIS_GRACE and PostgreSQL stops in a second or two: 15 s at most.
APP_GRACE = 9
REDIS_GRACE = 3
WEB_START_TIMEOUT = 60


class StopRequested(Exception):
    """A stop signal arrived; raised by the launcher where it is safe to stop, never by the handler."""


class Launch:
    """The children of one launch and the stop flag its signal handlers set."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.apps: dict[str, subprocess.Popen] = {}  # web server, worker, beat
        self.redis: subprocess.Popen | None = None
        for signum in STOP_SIGNALS:
            # Installed whatever was inherited: a background job starts with SIGINT ignored. The
            # handler only sets a flag, so no signal can cut a spawn or the clean-up in half.
            signal.signal(signum, lambda signum, frame: self.stopping.set())

    def pause(self, seconds: float) -> None:
        """Wait (0: just look), raising StopRequested as soon as a stop signal has arrived."""
        if self.stopping.wait(seconds):
            raise StopRequested

    def check_alive(self) -> None:
        for name, process in self.apps.items():
            if process.poll() is not None:
                raise RuntimeError(f"The {name} stopped unexpectedly (exit code {process.returncode}).")

    def prepare(self, env: dict) -> None:
        process = embedded.spawn([PY, "-m", "inkwell.devstack", "prepare"], env=env, cwd=embedded.CHECKOUT)
        try:
            while process.poll() is None:
                self.pause(0.2)
        finally:
            embedded.stop_process(process)
        if process.returncode:
            raise RuntimeError(f"Preparing the database failed (exit code {process.returncode}).")

    def wait_for_web(self, port: int) -> None:
        """Return once /healthz answers 200 on the reserved port: only our web server holds that
        socket, so whatever answers is ours."""
        deadline = time.monotonic() + WEB_START_TIMEOUT
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                pass
            self.pause(0.3)
        raise RuntimeError(
            f"The web server did not answer on port {port} within {WEB_START_TIMEOUT} seconds."
        )

    def stop(self) -> None:
        """Web, worker and beat first (the worker still needs Redis to shut down quietly), then
        Redis. PostgreSQL's handle is released at exit; the server stops if no one else uses it."""
        self.stopping.set()
        embedded.stop_processes(self.apps.values(), timeout=APP_GRACE)
        if self.redis is not None:
            embedded.stop_process(self.redis, timeout=REDIS_GRACE)


def reserve_port(port: int) -> socket.socket:
    """Bind the web port now, before anything starts, and keep it for the web server.

    Raises OSError if another program holds it (on 127.0.0.1, or on ::1 where browsers may look
    for `localhost` first).
    """
    try:
        probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        probe = None  # no IPv6 on this machine
    if probe is not None:
        with probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("::1", port))
            except OSError as exc:
                if exc.errno != errno.EADDRNOTAVAIL:
                    raise
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does, so TIME_WAIT is no obstacle
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    return sock


def say(message: str, *, err: bool = False) -> None:
    """Print, unless the terminal is gone (a hang-up): stopping must go on regardless."""
    with contextlib.suppress(OSError):
        print(message, file=sys.stderr if err else sys.stdout, flush=True)


def run() -> int:
    port = int(os.environ.get("PORT", "8000"))
    launch = Launch()
    try:
        listener = reserve_port(port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            say(
                f"port {port} is in use by another program; set PORT=… to a free one, e.g. `PORT=8001 make run`",
                err=True,
            )
        else:
            say(f"Inkwell cannot listen on port {port}: {exc.strerror}", err=True)
        return 1
    env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    try:
        if not env.get("REDIS_URL"):
            launch.redis = embedded.start_redis("dev")
            env["REDIS_URL"] = embedded.redis_url("dev")
        launch.pause(0)
        if not env.get("DATABASE_URL"):
            # This process holds a handle on the embedded server for as long as `make run` lives.
            env["DATABASE_URL"] = embedded.postgres_url()
        launch.pause(0)
        say("Migrating the public schema and every tenant…")
        launch.prepare(env)

        # The web server gets the reserved socket; closing our copy frees the port the moment it exits.
        with listener:
            launch.apps["web server"] = embedded.spawn(
                [PY, "-m", "inkwell.devstack", "web", str(listener.fileno())],
                env=env,
                cwd=embedded.CHECKOUT,
                pass_fds=[listener.fileno()],
            )
        launch.apps["Celery worker"] = embedded.spawn(
            [PY, "-m", "celery", "-A", "inkwell", "worker", "--loglevel", "INFO", "--concurrency", "2"],
            env=env,
            cwd=embedded.CHECKOUT,
        )
        launch.apps["Celery beat"] = embedded.spawn(
            [PY, "-m", "celery", "-A", "inkwell", "beat", "--loglevel", "INFO"],
            env=env,
            cwd=embedded.CHECKOUT,
        )
        launch.wait_for_web(port)
        say(
            f"\nInkwell is running. Ctrl-C stops everything.\n"
            f"  Public site     http://localhost:{port}/\n"
            f"  Staff admin     http://localhost:{port}/admin/   (staff login printed above)\n"
            f"  Demo tenant     http://scilla.localhost:{port}/\n"
            f"  Demo dashboard  http://scilla.localhost:{port}/dashboard/   (use the sign-in link printed above,\n"
            f"                  or ask for a new one: emails and SMS codes are printed in this console)\n"
        )
        while True:
            launch.check_alive()
            launch.pause(0.5)
    except StopRequested:
        say("\nStopping…")
        return 0
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        if launch.stopping.is_set():  # a Ctrl-C also reaches pgserver's initdb or psql, which then fail
            say("\nStopping…")
            return 0
        say(f"\nInkwell could not keep running: {exc}", err=True)
        return 1
    finally:
        listener.close()
        launch.stop()


def prepare() -> None:
    """The setup child: migrate every schema, load the demo tenant, and make spare schemas so the
    first sign-up is fast (beat keeps the pool topped up). One process, so Django starts once."""
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inkwell.settings")
    django.setup()
    # As a deploy does: public, spares, tenants; schemas already current are skipped (see README).
    call_command("migrate_tenants", verbosity=0)
    call_command("demo_load")
    call_command("spare_schemas")


def serve_web(fd: int) -> None:
    """The web server child: uvicorn on the socket the launcher reserved (passed as `fd`)."""
    import uvicorn

    # socket.socket(fileno=…) reads the family from the socket; uvicorn's own --fd assumes a Unix
    # socket, which would leave TCP_NODELAY off.
    sock = socket.socket(fileno=fd)
    config = uvicorn.Config(
        "inkwell.asgi:application", log_level="warning", server_header=False, timeout_graceful_shutdown=5
    )
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    if sys.argv[1:] == ["run"]:
        sys.exit(run())
    if sys.argv[1:] == ["prepare"]:
        prepare()
    elif len(sys.argv) == 3 and sys.argv[1] == "web":
        serve_web(int(sys.argv[2]))
    else:
        sys.exit("usage: python -m inkwell.devstack run")
