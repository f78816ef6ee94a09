"""`make run`: the whole product on one machine, stopped cleanly by Ctrl-C.

Starts the embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are unset, migrates the
public schema and every tenant, loads the demo tenant, then runs uvicorn (web), a Celery worker
and Celery beat until interrupted. A second terminal's `manage.py` finds the same embedded
servers on its own (see inkwell/embedded.py), so nothing is written for it to read.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

from inkwell import embedded

PY = sys.executable


def _manage(*args: str, env: dict) -> None:
    subprocess.run(
        [PY, str(embedded.CHECKOUT / "manage.py"), *args], env=env, check=True, cwd=embedded.CHECKOUT
    )


def _wait_for_web(port: int, processes: dict[str, subprocess.Popen], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _check_alive(processes)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"The web server did not answer on port {port} within {timeout:.0f} seconds.")


def _check_alive(processes: dict[str, subprocess.Popen]) -> None:
    for name, process in processes.items():
        if process.poll() is not None:
            raise RuntimeError(f"The {name} stopped unexpectedly (exit code {process.returncode}).")


def run() -> int:
    port = int(os.environ.get("PORT", "8000"))
    env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    processes: dict[str, subprocess.Popen] = {}
    redis_process = None

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        if not env.get("REDIS_URL"):
            redis_process = embedded.start_redis("dev")
            env["REDIS_URL"] = embedded.redis_url("dev")
        if not env.get("DATABASE_URL"):
            # This process holds a handle on the embedded server for as long as `make run` lives.
            env["DATABASE_URL"] = embedded.postgres_url()
        print("Migrating the public schema and every tenant…", flush=True)
        _manage("migrate_schemas", "--noinput", "-v", "0", env=env)
        _manage("demo_load", env=env)
        _manage("spare_schemas", env=env)  # so the first sign-up is fast; beat keeps the pool topped up

        # Children get their own session so Ctrl-C reaches only us; we stop them in order.
        spawn = dict(env=env, cwd=embedded.CHECKOUT, start_new_session=True)
        processes["web server"] = subprocess.Popen(
            [PY, "-m", "uvicorn", "inkwell.asgi:application", "--host", "127.0.0.1", "--port", str(port),
             "--no-server-header", "--log-level", "warning"], **spawn)  # fmt: skip
        processes["Celery worker"] = subprocess.Popen(
            [PY, "-m", "celery", "-A", "inkwell", "worker", "--loglevel", "INFO", "--concurrency", "2"],
            **spawn,
        )
        processes["Celery beat"] = subprocess.Popen(
            [PY, "-m", "celery", "-A", "inkwell", "beat", "--loglevel", "INFO"], **spawn
        )
        _wait_for_web(port, processes)
        print(
            f"\nInkwell is running. Ctrl-C stops everything.\n"
            f"  Public site     http://localhost:{port}/\n"
            f"  Staff admin     http://localhost:{port}/admin/   (staff login printed above)\n"
            f"  Demo tenant     http://scilla.localhost:{port}/\n"
            f"  Demo dashboard  http://scilla.localhost:{port}/dashboard/   (use the sign-in link printed above,\n"
            f"                  or ask for a new one: emails and SMS codes are printed in this console)\n",
            flush=True,
        )
        while True:
            _check_alive(processes)
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"\nInkwell could not keep running: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        for process in reversed(list(processes.values())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            embedded.stop_process(process, timeout=15)
        if redis_process is not None:
            embedded.stop_process(redis_process)
        # The PostgreSQL handle is released at exit; the server stops if no other process uses it.


if __name__ == "__main__" and sys.argv[1:] == ["run"]:
    sys.exit(run())
