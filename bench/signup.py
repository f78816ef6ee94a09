"""Signup to a working workspace: simulated checkout → tenant reachable on its host → welcome link
signs the owner in, p50 over --signups signups, on the embedded stack with a Celery worker running.

The bench's own stack (as bench/load.py): a private PostgreSQL, a private Redis, a migrated database
with --signups spare schemas made beforehand (beat keeps the pool topped up in production), one
uvicorn process and one Celery worker, no Stripe keys (the offline backend). For each signup, timed
from the click on the test checkout's Pay button: the Pay request (the signed events go through the
webhook's intake; the worker processes them), then polling until the tenant's home page answers
200 on its own host and the welcome email is in the outbox, then following the welcome link
(GET shows the button, POST signs in) and opening the dashboard. Printed: p50/max, and last the
ratio p50 / 2 s target (≤ 1 meets it).

    .venv/bin/python bench/signup.py [--signups 20] [--port 8220]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import migrate, port_check, stack, start_web, start_worker, stop_process  # noqa: E402

DB = "inkwell_bench_signup"
TARGET_SECONDS = 2.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--signups", type=int, default=20)
    parser.add_argument("--port", type=int, default=8220)
    args = parser.parse_args()
    port_check(parser, args.port)
    return args


class Browser:
    """One person's browser: cookies per host, every request to 127.0.0.1 with the host named."""

    def __init__(self, port: int):
        self.port = port
        self.sessions: dict[str, requests.Session] = {}

    def _session(self, host):
        return self.sessions.setdefault(host, requests.Session())

    def request(self, method: str, host: str, path: str, **kwargs) -> requests.Response:
        session = self._session(host)
        headers = {"Host": f"{host}:{self.port}", **kwargs.pop("headers", {})}
        if method == "POST":
            headers.update(Referer=f"http://{host}:{self.port}{path}", Origin=f"http://{host}:{self.port}")
            kwargs.setdefault("data", {})["csrfmiddlewaretoken"] = session.cookies.get("csrftoken", "")
        return session.request(
            method,
            f"http://127.0.0.1:{self.port}{path}",
            headers=headers,
            allow_redirects=False,
            timeout=30,
            **kwargs,
        )


def one_signup(n: int, port: int) -> float:
    from tenants.models import OutboundMessage

    subdomain = f"bench{n:03d}"
    browser = Browser(port)
    browser.request("GET", "localhost", "/signup/")
    form = {"business_name": f"Bench {n}", "subdomain": subdomain, "email": f"owner@{subdomain}.example",
            "phone": f"+1416555{n:04d}", "plan": "seo"}  # fmt: skip
    checkout = browser.request("POST", "localhost", "/signup/", data=form)
    assert checkout.status_code == 303, checkout.status_code
    path = checkout.headers["Location"].split(str(port), 1)[1]
    browser.request("GET", "localhost", path)

    start = time.perf_counter()
    paid = browser.request("POST", "localhost", path)
    assert paid.status_code == 303, paid.status_code
    host = f"{subdomain}.localhost"
    while browser.request("GET", host, "/").status_code != 200:
        time.sleep(0.02)
    while True:
        email = OutboundMessage.objects.filter(to=form["email"], channel="email").first()
        if email is not None:
            break
        time.sleep(0.02)
    link = re.search(r"/sign-in/link/[^/\s]+/", email.body).group(0)
    browser.request("GET", host, link)
    assert browser.request("POST", host, link).status_code == 302
    assert browser.request("GET", host, "/dashboard/").status_code == 200
    return time.perf_counter() - start


def main() -> None:
    args = parse_args()
    worker = web = None
    env = {
        "PORT": str(args.port),
        "STRIPE_SECRET_KEY": "",
        "STRIPE_WEBHOOK_SECRET": "",
        "INKWELL_SPARE_SCHEMAS": str(args.signups + 2),
        "INKWELL_SIGNUPS_PER_HOUR": "1000",  # every signup comes from this one machine
    }
    with stack(name="signup", database=DB, env=env) as s:
        try:
            migrate(s, pool=False)  # no pool here: this process only polls the outbox
            from django.core.management import call_command
            from django.db import connections

            print(f"making {args.signups + 2} spare schemas (untimed)…", flush=True)
            call_command("spare_schemas", verbosity=0)
            connections.close_all()
            web = start_web(s.env, args.port, s.workdir / "web.log")
            worker = start_worker(s.env, s.workdir / "worker.log")
            one_signup(0, args.port)  # warm-up, untimed
            times = [one_signup(n, args.port) for n in range(1, args.signups + 1)]
            p50 = statistics.median(times)
            print(f"{args.signups} signups, Pay → tenant reachable → welcome link signs in → dashboard")
            print(f"p50 {p50 * 1000:.0f} ms, min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")
            print(f"ratio p50 / {TARGET_SECONDS:.0f} s target: {p50 / TARGET_SECONDS:.2f}x")
        finally:
            stop_process(worker)
            stop_process(web)


if __name__ == "__main__":
    main()
