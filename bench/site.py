"""A published landing page, as the running ASGI app serves it to visitors, against a trivial view.

The stack is the bench's own (bench/stack.py): a private PostgreSQL and Redis in a temporary
directory (deleted at the end), one migrated database with one tenant (`sitebench`) carrying the
demo site (marketing/demo_pages.py: a home page and three landing pages, written and published
through the page services) and a business phone (so pages show their call buttons), and one
uvicorn process on --port, as `make run` serves. Requests go to 127.0.0.1 with the tenant's Host
header (`*.localhost` does not resolve through Python here).

Two targets, both on the tenant's host and so both through the whole middleware stack (the tenant
lookup by host, sessions, CSRF, authentication, membership, feature gates, CSP and the rest):

- page: GET /moving/, the demo's moving landing page (hero, text, FAQ with its JSON-LD, quote
  form; ~7 kB of HTML). A visitor gets it from the site cache (the process's memory, Redis behind it), with the quote form's
  per-visitor hidden fields (signed "shown at" stamp, UTM tags, landing page) filled in.
- trivial (the reference): GET /robots.txt, a Django view that joins a dozen lines of text: no
  query, no cache, no template. Not /healthz: that is answered by the first middleware, before the
  tenant lookup and everything after it, and pings PostgreSQL and Redis on the way; robots.txt
  pays the per-request costs the page pays, so the ratio shows what serving the page adds to them.

Every request is a new visitor (no cookies, as for someone arriving from a search result). --concurrency clients (default 20), each on its own keep-alive connection
(aiohttp), send --requests of each target (default 4000) after 200 untimed warm-up requests of
each, in --rounds rounds that alternate which target goes first, so a change in the machine's load
falls on both. Any answer but a 200 with the expected body is counted as an error. p50/p95 and
throughput of each are printed, and the ratio page p50 / trivial p50 last (target: ≤ 1.5×).

    .venv/bin/python bench/site.py [--requests 4000] [--concurrency 20] [--rounds 8] [--port 8202]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import Result, port_check, prepare, stack, start_web, stop_process  # noqa: E402

DB = "inkwell_site"
SUBDOMAIN = "sitebench"
WARM_UP = 200
PAGE_PATH = "/moving/"
TRIVIAL_PATH = "/robots.txt"
# What each answer must contain: the page's hero and its quote form's filled-in per-visitor fields.
EXPECTED = {
    PAGE_PATH: (b"moved Ontario families for 44 years.</h1>", b'name="form_stamp" value="'),
    TRIVIAL_PATH: (b"Sitemap: http://sitebench.localhost",),
}
UNFILLED = b"<!--inkwell:quote-fields-->"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=4000, help="timed requests per target (default 4000)")
    parser.add_argument(
        "--concurrency", type=int, default=20, help="clients, one connection each (default 20)"
    )
    parser.add_argument("--rounds", type=int, default=8, help="alternating rounds (default 8)")
    parser.add_argument("--port", type=int, default=8202, help="port for the web server (default 8202)")
    args = parser.parse_args()
    if args.requests < args.rounds or args.concurrency < 1 or args.rounds < 1:
        parser.error("--concurrency and --rounds must be at least 1, --requests at least --rounds")
    port_check(parser, args.port)
    return args


def publish_demo_site(provisioned) -> None:
    from django.db import connections
    from django_tenants.utils import tenant_context

    from marketing.demo_pages import pages_demo_load
    from tenants.services.config import tenant_config_update

    tenant = provisioned.tenant
    tenant_config_update(config=tenant.config, data={"business_phone": "+19055550100"}, actor="bench")
    with tenant_context(tenant):
        pages_demo_load(owner=provisioned.owner)
    connections.close_all()


async def burst(sessions, base: str, path: str, host: str, count: int, result: Result | None) -> None:
    """`count` GETs of `path`, one client per session, each taking the next request when it is done."""
    remaining = count
    url, expected = f"{base}{path}", EXPECTED[path]

    async def client(session) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            start = time.perf_counter()
            try:
                async with session.get(url, headers={"Host": host}, allow_redirects=False) as response:
                    body = await response.read()
                    status = response.status
            except OSError as exc:
                if result is not None:
                    result.error(type(exc).__name__)
                continue
            elapsed = (time.perf_counter() - start) * 1000
            if result is None:
                continue
            if status != 200:
                result.error(str(status))
            elif UNFILLED in body or not all(part in body for part in expected):
                result.error("unexpected body")
            else:
                result.latencies_ms.append(elapsed)

    await asyncio.gather(*(client(session) for session in sessions))


async def run(args: argparse.Namespace) -> tuple[Result, Result]:
    import aiohttp

    host = f"{SUBDOMAIN}.localhost:{args.port}"
    base = f"http://127.0.0.1:{args.port}"
    page, trivial = Result(), Result()
    targets = [(PAGE_PATH, page), (TRIVIAL_PATH, trivial)]
    sessions = [
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1), cookie_jar=aiohttp.DummyCookieJar())
        for _ in range(args.concurrency)
    ]
    try:
        for path, _ in targets:
            await burst(sessions, base, path, host, WARM_UP, None)
        per_round = args.requests // args.rounds
        for number in range(args.rounds):
            count = per_round if number < args.rounds - 1 else args.requests - per_round * (args.rounds - 1)
            for path, result in targets if number % 2 == 0 else reversed(targets):
                start = time.perf_counter()
                await burst(sessions, base, path, host, count, result)
                result.seconds += time.perf_counter() - start
    finally:
        for session in sessions:
            await session.close()
    return page, trivial


def report(name: str, path: str, result: Result) -> float:
    print(
        f"{name:<8} {path:<12} p50 {result.p50:6.2f} ms, p95 {result.p95:6.2f} ms; "
        f"{len(result.latencies_ms) / result.seconds:6.0f} req/s; errors {result.error_count}{result.error_kinds}"
    )
    return result.p50


def main() -> None:
    args = parse_args()
    with stack(name="site", database=DB, env={"PORT": str(args.port)}) as s:
        publish_demo_site(prepare(s, subdomain=SUBDOMAIN, business="Site Bench Transport", pool=False))
        web = start_web(s.env, args.port, s.workdir / "web.log")
        try:
            page, trivial = asyncio.run(run(args))
        finally:
            stop_process(web)
        print(
            f"{args.requests} requests per target after {WARM_UP} warm-up, {args.concurrency} clients with "
            f"keep-alive connections, {args.rounds} alternating rounds; one uvicorn process; visitors without cookies"
        )
        page_p50 = report("page", PAGE_PATH, page)
        trivial_p50 = report("trivial", TRIVIAL_PATH, trivial)
        if page.errors or trivial.errors:
            log = (s.workdir / "web.log").read_text().splitlines()
            print(
                "the web server's log (the stack's directory is deleted now), last 40 lines:",
                *log[-40:],
                sep="\n",
            )
        print(f"ratio page p50 / trivial p50: {page_p50 / trivial_p50:.2f}x")


if __name__ == "__main__":
    main()
