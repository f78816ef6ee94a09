"""Stripe webhook acknowledgement under load, against the running ASGI server on loopback.

The bench's own stack (as bench/load.py): a private PostgreSQL in a temporary data directory, a
private Redis, a migrated database, one uvicorn process and one Celery worker. It sends --events
signed deliveries (Stripe's `t=…,v1=…` HMAC-SHA256 scheme, distinct event ids, `invoice.paid` for
one-off invoices: the handler runs and finds nothing to change), --concurrency at a time, and in the
same run the same number of requests to a trivial Django view (the public host's /favicon.ico
redirect, through the whole middleware stack), with the same concurrency. Printed: p50/p95 of each,
then how many events the worker processed exactly once (target: all of them), and last the ratio
webhook / trivial view p50 (target ≤ 3×).

    .venv/bin/python bench/webhook.py [--events 500] [--concurrency 50] [--port 8210]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import migrate, percentile, port_check, stack, start_web, start_worker, stop_process  # noqa: E402

DB = "inkwell_bench_webhook"
SECRET = "whsec_bench_" + "x" * 24
WARM_UP = 50


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--port", type=int, default=8210)
    args = parser.parse_args()
    port_check(parser, args.port)
    return args


def signed_event(n: int, run: str) -> tuple[bytes, str]:
    body = json.dumps(
        {
            "id": f"evt_bench_{run}_{n:05d}", "object": "event", "api_version": "2025-03-31.basil",
            "created": int(time.time()), "livemode": False, "pending_webhooks": 1, "type": "invoice.paid",
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": {"id": f"in_bench_{n}", "object": "invoice", "status": "paid", "customer": "cus_bench",
                                "amount_due": 50000, "parent": None}},
        }
    ).encode()  # fmt: skip
    stamp = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={stamp},v1={mac}"


async def request(port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: localhost:{port}", "Connection: close",
                 f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in (headers or {}).items())]  # fmt: skip
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
    return int(data.split(b" ", 2)[1])


async def burst(calls, concurrency: int) -> tuple[list[float], int]:
    queue: asyncio.Queue = asyncio.Queue()
    for call in calls:
        queue.put_nowait(call)
    latencies, errors = [], 0

    async def client():
        nonlocal errors
        while not queue.empty():
            call = queue.get_nowait()
            start = time.perf_counter()
            status = await call()
            latencies.append((time.perf_counter() - start) * 1000)
            errors += status not in (200, 301)

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, errors


def webhook_calls(port: int, count: int, run: str):
    deliveries = [signed_event(n, run) for n in range(count)]
    return [
        (
            lambda b=body, s=sig: request(
                port,
                "POST",
                "/billing/stripe/webhook/",
                b,
                {"Stripe-Signature": s, "Content-Type": "application/json"},
            )
        )  # fmt: skip
        for body, sig in deliveries
    ]


def view_calls(port: int, count: int):
    return [(lambda: request(port, "GET", "/favicon.ico")) for _ in range(count)]


def stats(latencies: list[float]) -> tuple[float, float]:
    return statistics.median(latencies), percentile(latencies, 0.95)


def main() -> None:
    args = parse_args()
    worker = web = None
    env = {"PORT": str(args.port), "STRIPE_WEBHOOK_SECRET": SECRET, "STRIPE_SECRET_KEY": ""}
    with stack(name="webhook", database=DB, env=env) as s:
        try:
            # No pool in this process: it only counts the stored events at the end.
            migrate(s, pool=False)
            from django.db import connections

            connections.close_all()
            web = start_web(s.env, args.port, s.workdir / "web.log")
            worker = start_worker(s.env, s.workdir / "worker.log")
            asyncio.run(burst(webhook_calls(args.port, WARM_UP, "warm"), WARM_UP))
            asyncio.run(burst(view_calls(args.port, WARM_UP), WARM_UP))
            hook, hook_errors = asyncio.run(
                burst(webhook_calls(args.port, args.events, "timed"), args.concurrency)
            )
            view, view_errors = asyncio.run(burst(view_calls(args.port, args.events), args.concurrency))

            from billing.models import WebhookEvent

            timed = WebhookEvent.objects.filter(event_id__startswith="evt_bench_timed_")
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and timed.exclude(status="received").count() < args.events:
                time.sleep(0.5)
            once = timed.filter(status="processed", attempts=1).count()

            (hp50, hp95), (vp50, vp95) = stats(hook), stats(view)
            print(
                f"{args.events} signed deliveries and {args.events} trivial-view requests, {args.concurrency} at a time; one uvicorn process"
            )
            print(f"webhook      errors {hook_errors:>3}; p50 {hp50:7.1f} ms, p95 {hp95:7.1f} ms")
            print(f"trivial view errors {view_errors:>3}; p50 {vp50:7.1f} ms, p95 {vp95:7.1f} ms")
            print(f"events stored {timed.count()}, processed exactly once {once} of {args.events}")
            print(f"ratio webhook / trivial view p50: {hp50 / vp50:.2f}x")
        finally:
            stop_process(worker)
            stop_process(web)


if __name__ == "__main__":
    main()
