"""Database connections under load: a burst of requests, many at a time, on the running web server.

The stack is the bench's own, so the connection count is Inkwell's alone and nobody else's server
is exhausted: a private PostgreSQL (pgserver, in a temporary data directory, deleted at the end),
a private embedded Redis, one migrated database with one tenant (`loadtest`), and uvicorn (one
process, as `make run` starts it) on --port. Requests go to 127.0.0.1 with a Host header
(`*.localhost` does not resolve through Python here), alternating between the tenant's home page
and /healthz, --concurrency at a time, each on its own TCP connection.

Two configurations are measured in the same run, each on a freshly started web server after
50 untimed warm-up requests:

- pool: the settings' default, Django's psycopg pool bounded by INKWELL_DB_POOL_MAX (per process);
- no-pool (the reference): INKWELL_DB_POOL_MAX=0, a new connection for every request.

For each: errors (anything but a 200; target 0), p50/p95 latency, requests per second, and the
peak number of client connections to the database (pg_stat_activity, sampled every 5 ms from a
connection to another database) against the configured bound. The ratio of the p50 latencies,
no-pool / pool, is printed last.

    .venv/bin/python bench/load.py [--requests 1500] [--concurrency 120] [--port 8200]    # or: make bench
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import Result as Requests  # noqa: E402
from bench.stack import port_check, prepare, stack, start_web, stop_process  # noqa: E402

DB = "inkwell_load"
SUBDOMAIN = "loadtest"
POOL_MAX = 10
WARM_UP = 50


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--requests", type=int, default=1500, help="requests per configuration (default 1500)"
    )
    parser.add_argument("--concurrency", type=int, default=120, help="requests in flight (default 120)")
    parser.add_argument("--port", type=int, default=8200, help="port for the web server (default 8200)")
    args = parser.parse_args()
    if args.requests < 1 or args.concurrency < 1:
        parser.error("--requests and --concurrency must be at least 1")
    port_check(parser, args.port)
    return args


@dataclass
class Result(Requests):
    peak_connections: int = 0


# --- the load ---------------------------------------------------------------------------------------


async def get(port: int, host: str, path: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
    return int(data.split(b" ", 2)[1])


async def burst(port: int, count: int, concurrency: int, result: Result | None) -> None:
    targets = [(f"{SUBDOMAIN}.localhost:{port}", "/"), (f"127.0.0.1:{port}", "/healthz")]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def client() -> None:
        while not queue.empty():
            host, path = targets[queue.get_nowait() % 2]
            start = time.perf_counter()
            try:
                status = await get(port, host, path)
            except OSError as exc:
                if result is not None:
                    result.error(type(exc).__name__)
                continue
            if result is None:
                continue
            result.latencies_ms.append((time.perf_counter() - start) * 1000)
            if status != 200:
                result.error(str(status))

    await asyncio.gather(*(client() for _ in range(concurrency)))


def count_connections(admin_url: str, stop: threading.Event, result: Result) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        while not stop.is_set():
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
                [DB],
            ).fetchone()
            result.peak_connections = max(result.peak_connections, row[0])
            time.sleep(0.005)


def measure(env: dict[str, str], admin_url: str, args: argparse.Namespace, log: Path) -> Result:
    web = start_web(env, args.port, log)
    try:
        asyncio.run(burst(args.port, WARM_UP, min(WARM_UP, args.concurrency), None))
        result, stop = Result(), threading.Event()
        sampler = threading.Thread(target=count_connections, args=(admin_url, stop, result))
        sampler.start()
        start = time.perf_counter()
        try:
            asyncio.run(burst(args.port, args.requests, args.concurrency, result))
        finally:
            result.seconds = time.perf_counter() - start
            stop.set()
            sampler.join()
        return result
    finally:
        stop_process(web)


def report(name: str, bound: str, result: Result) -> float:
    print(
        f"{name:<9} errors {result.error_count:>4}{result.error_kinds}; p50 {result.p50:7.1f} ms, "
        f"p95 {result.p95:7.1f} ms; {len(result.latencies_ms) / result.seconds:6.0f} req/s; "
        f"peak connections {result.peak_connections:>3} (bound {bound})"
    )
    return result.p50


def main() -> None:
    args = parse_args()
    log_dir = Path(tempfile.mkdtemp(prefix="inkwell-load-logs-"))  # kept when a run had errors
    with stack(
        name="load", database=DB, env={"PORT": str(args.port), "INKWELL_DB_POOL_MAX": str(POOL_MAX)}
    ) as s:
        max_connections = s.show("max_connections")
        # No pool in this process: its connections would be counted with the web server's.
        prepare(s, subdomain=SUBDOMAIN, business="Load Test Movers", pool=False)
        from django.db import connections

        connections.close_all()
        print(
            f"{args.requests} requests, {args.concurrency} at a time, alternating {SUBDOMAIN}.localhost/ and "
            f"/healthz; one uvicorn process; PostgreSQL max_connections {max_connections}"
        )
        pool = measure(s.env, s.admin_url, args, log_dir / "pool.log")
        no_pool = measure({**s.env, "INKWELL_DB_POOL_MAX": "0"}, s.admin_url, args, log_dir / "no-pool.log")
        pool_p50 = report("pool", f"INKWELL_DB_POOL_MAX={POOL_MAX}", pool)
        no_pool_p50 = report("no-pool", "none", no_pool)
        if pool.errors or no_pool.errors:
            print(f"web server logs (tracebacks of the failed requests): {log_dir}")
        else:
            shutil.rmtree(log_dir)
        print(f"ratio no-pool / pool p50: {no_pool_p50 / pool_p50:.2f}x")


if __name__ == "__main__":
    main()
