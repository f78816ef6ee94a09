"""`make run`'s launcher as real processes: every stop signal stops every process, a killed
launcher takes its children with it, a busy port stops it before anything starts.

Each launch runs a whole stack (PostgreSQL, Redis, web server, worker, beat) in a temporary state
directory on a free port, so the developer's `make run` and the test database are never touched.
The first launch migrates a fresh database; the others in this module find it ready.
"""

import contextlib
import errno
import http.server
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest

from inkwell import embedded

RUNNING = "Inkwell is running"
WORKER_READY = r"celery@\S+ ready\."  # the Celery worker's pool is up
STOPPING = "Stopping…"
START_TIMEOUT = 180  # a fresh database is migrated on the first launch
STOP_TIMEOUT = 15  # what the launcher promises


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _ignore_stop_signals() -> None:
    # What a background job (`setsid make run &`) or `nohup` hands the launcher.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)


class Launch:
    """`python -m inkwell.devstack run` in its own session, with its output collected.

    With `hang_up_after`, its output goes to a pseudo-terminal that is closed, as a terminal
    window is, once every pattern has appeared.
    """

    def __init__(self, state_dir, port: int, *, hang_up_after: tuple[str, ...] = ()):
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "PORT"}
            and not key.startswith("INKWELL_")
        }
        env.update(
            PORT=str(port),
            INKWELL_STATE_DIR=str(state_dir),
            INKWELL_MEDIA_DIR=str(state_dir / "media"),
            INKWELL_SPARE_SCHEMAS="1",
            # a month of demo metrics, not two years: the stack's worker scores them beside the suite
            INKWELL_DEMO_HISTORY_DAYS="30",
        )
        self.port = port
        self.state_dir = state_dir
        self._hang_up_after = hang_up_after
        self._out, child_out = os.openpty() if hang_up_after else os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "inkwell.devstack", "run"],
            cwd=embedded.CHECKOUT,
            env=env,
            stdout=child_out,
            stderr=child_out,
            start_new_session=True,
            preexec_fn=_ignore_stop_signals,
        )
        os.close(child_out)
        self.output = ""
        self.children: list[psutil.Process] = []
        self._ended = False
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _seen(self, patterns) -> bool:
        return all(re.search(pattern, self.output) for pattern in patterns)

    def _read(self) -> None:
        while not self._ended:
            try:
                chunk = os.read(self._out, 65536)
            except OSError:  # a pseudo-terminal reads EIO once no one holds its other side
                chunk = b""
            with self._changed:
                self.output += chunk.decode(errors="replace")
                self._ended = not chunk or (bool(self._hang_up_after) and self._seen(self._hang_up_after))
                self._changed.notify_all()
        os.close(self._out)

    def wait_for(self, *patterns: str) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._ended or self._seen(patterns), timeout=START_TIMEOUT)
        for pattern in patterns:
            assert re.search(pattern, self.output), self.output + self._postgres_log()

    def _postgres_log(self) -> str:
        log = self.state_dir / "pg" / "log"
        return "\nPostgreSQL's log ends with:\n" + log.read_text()[-3000:] if log.exists() else ""

    def exit_code(self) -> int:
        """Wait for the launcher to exit, up to what it promises, and for the last of its output."""
        code = self.process.wait(timeout=STOP_TIMEOUT)
        with self._changed:
            self._changed.wait_for(lambda: self._ended, timeout=STOP_TIMEOUT)
        return code

    def kill(self) -> None:
        """Kill the launcher and every child seen, psutil checking that each PID is still theirs."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for child in self.children:
            with contextlib.suppress(psutil.Error):
                child.kill()


class Watched:
    """Pidfds of processes: one turns readable when its process exits, zombie or not, so nothing
    is polled and no reused PID is mistaken for a survivor."""

    def __init__(self, processes: list[psutil.Process]):
        self.fds: dict[int, str] = {}
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                self.fds[os.pidfd_open(process.pid)] = f"{process.pid} {' '.join(process.cmdline()[:4])}"

    def survivors(self, timeout: float) -> list[str]:
        """The processes still running once all others have exited or `timeout` has passed."""
        remaining = dict(self.fds)
        deadline = time.monotonic() + timeout
        while remaining:
            ready, _, _ = select.select(list(remaining), [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            for fd in ready:
                del remaining[fd]
        for fd in self.fds:
            os.close(fd)
        return list(remaining.values())


def _postmaster(state_dir) -> psutil.Process:
    pid = int((state_dir / "pg" / "postmaster.pid").read_text().splitlines()[0])
    return psutil.Process(pid)


def _release_postgres(state_dir) -> None:
    """Take and release a handle on the state directory's PostgreSQL, as a second terminal's
    `manage.py` does: the last handle out stops the server."""
    subprocess.run(
        [sys.executable, "-c", "from inkwell import embedded; embedded.postgres_url()"],
        env={**os.environ, "INKWELL_STATE_DIR": str(state_dir)},
        cwd=embedded.CHECKOUT,
        check=True,
    )


@contextlib.contextmanager
def _stack_dir():
    """A state directory and the launches in it, all cleared away afterwards."""
    # Not under pytest's temporary directory: run as root, pgserver runs PostgreSQL as its own
    # user, and every pytest session starting on the machine makes that directory private again.
    path = Path(tempfile.mkdtemp(prefix="inkwell-launcher-"))
    launches: list[Launch] = []
    try:
        yield path, launches
    finally:
        # Only a failed test leaves anything behind; clear it so the suite never leaks processes.
        for launch in launches:
            launch.kill()
        if (path / "pg" / "postmaster.pid").exists():
            postmaster = _postmaster(path)
            _release_postgres(path)
            with contextlib.suppress(psutil.Error):
                postmaster.kill()  # it would not stop: the test of that failed
        shutil.rmtree(path)


@pytest.fixture(scope="module")
def state_dir():
    with _stack_dir() as made:
        yield made


@pytest.fixture
def empty_state_dir():
    with _stack_dir() as made:
        yield made


@pytest.fixture
def launch(state_dir):
    path, launches = state_dir

    def start(**options) -> Launch:
        launches.append(Launch(path, _free_port(), **options))
        return launches[-1]

    return start


def _children(launch: Launch) -> list[psutil.Process]:
    children = launch.children = psutil.Process(launch.process.pid).children(recursive=True)
    names = [" ".join(child.cmdline()) for child in children]
    assert sum("redis-server" in name for name in names) == 1
    assert sum("inkwell.devstack web" in name for name in names) == 1
    assert sum("celery" in name for name in names) == 4  # worker, its pool of two, beat
    return children


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=lambda s: signal.Signals(s).name)
def test_a_stop_signal_stops_every_process_quietly(launch, state_dir, signum):
    started = launch()
    started.wait_for(RUNNING, WORKER_READY)
    watched = Watched([*_children(started), _postmaster(state_dir[0])])

    # The whole process group, as a terminal's Ctrl-C does; inherited as ignored.
    os.killpg(started.process.pid, signum)

    assert started.exit_code() == 0
    assert watched.survivors(timeout=0) == []
    assert _port_is_free(started.port)
    after_stop = started.output.split(STOPPING, 1)[1]
    assert "Traceback" not in after_stop and "ERROR" not in after_stop, after_stop


def test_closing_the_terminal_stops_every_process(launch, state_dir):
    started = launch(hang_up_after=(RUNNING, WORKER_READY))
    started.wait_for(RUNNING, WORKER_READY)
    watched = Watched([*_children(started), _postmaster(state_dir[0])])

    # The terminal is gone (writing to it fails) and its hang-up reaches the process group.
    os.killpg(started.process.pid, signal.SIGHUP)

    assert started.exit_code() == 0
    assert watched.survivors(timeout=0) == []
    assert _port_is_free(started.port)


def test_children_die_with_a_killed_launcher_and_postgres_stops_with_the_next_clean_exit(launch, state_dir):
    path = state_dir[0]
    started = launch()
    started.wait_for(RUNNING, WORKER_READY)
    watched = Watched(_children(started))
    postmaster = _postmaster(path)

    os.kill(started.process.pid, signal.SIGKILL)  # the launcher alone: its children see no signal
    started.process.wait()

    assert watched.survivors(timeout=STOP_TIMEOUT) == []
    assert _port_is_free(started.port)
    # PostgreSQL is no child of the launcher: it outlives it, its handle left behind. The next
    # process to take a handle and release it must stop the server all the same.
    assert postmaster.is_running()
    watched = Watched([postmaster])
    _release_postgres(path)
    assert watched.survivors(timeout=0) == []


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_a_busy_port_stops_the_launcher_before_anything_starts(empty_state_dir, host):
    class Healthy(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # another program that would pass for a healthy Inkwell
            self.send_response(200)
            self.end_headers()

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server_class = type("Server", (http.server.HTTPServer,), {"address_family": family})
    try:
        other = server_class((host, 0), Healthy)
    except OSError as exc:  # a machine without IPv6, where the launcher skips ::1 likewise
        if exc.errno not in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
            raise
        pytest.skip(f"this machine has no {host}")
    threading.Thread(target=other.serve_forever, daemon=True).start()
    port = other.server_address[1]
    path, launches = empty_state_dir
    started = Launch(path, port)
    launches.append(started)
    try:
        code = started.exit_code()
    finally:
        other.shutdown()
        other.server_close()

    assert code != 0
    assert f"port {port} is in use by another program; set PORT=" in started.output
    assert RUNNING not in started.output
    assert list(path.iterdir()) == []  # no database, no Redis, not even a secret key


def test_pruning_drops_handles_of_dead_processes_and_reused_pids(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    zombie = subprocess.Popen(["true"])
    os.waitid(os.P_PID, zombie.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(json.dumps([dead.pid, zombie.pid, os.getpid()]))

    embedded.prune_stale_pg_handles(tmp_path)
    assert json.loads(handles.read_text()) == [os.getpid()]
    zombie.wait()

    # Our PID in a list last written before we started: a dead holder's PID that we reused.
    started = psutil.Process().create_time()
    os.utime(handles, (started - 60, started - 60))
    embedded.prune_stale_pg_handles(tmp_path)
    assert json.loads(handles.read_text()) == []


def test_stopping_kills_a_process_that_ignores_sigterm_and_its_own_children(tmp_path):
    script = tmp_path / "stubborn.py"
    script.write_text(
        "import signal, subprocess, sys\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)  # inherited by the grandchild below\n"
        "if sys.argv[1:] == ['grandchild']:\n"
        "    print('ready', flush=True)\n"
        "else:\n"
        "    subprocess.Popen([sys.executable, __file__, 'grandchild'])\n"
        "signal.pause()\n"
    )
    child = embedded.spawn([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline() == "ready\n"
    watched = Watched([*psutil.Process(child.pid).children(), psutil.Process(child.pid)])

    stopping = threading.Thread(target=embedded.stop_processes, args=([child],), kwargs={"timeout": 0})
    stopping.start()
    stopping.join(STOP_TIMEOUT)
    try:
        assert not stopping.is_alive()
        assert watched.survivors(timeout=STOP_TIMEOUT) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)  # should the test fail
