"""The owner dashboard with two years of data against the same pages with one week of data.

The stack is the bench's own (bench/stack.py): a private PostgreSQL and Redis in a temporary
directory (deleted at the end), one migrated database and one uvicorn process on --port, as
`make run` serves. Two tenants:

- `twoyears`: 731 days of the demo connector's search, traffic and Ads facts (the same generator
  `make run` loads; ~20 queries × pages × devices a day, so about a quarter of a million search
  rows), three leads a day, a contract signed every other day, and the weekly scores;
- `oneweek`: the same for the last 7 days only.

Each is asked, as its signed-in owner (a session made directly in the session store), for the
Overview and the SEO page (last 28 days compared with the 28 before) and for the summary API
over the same range. "warm" requests are what an owner gets on any day: the facts' sums are cached
per tenant until the next ingestion. "cold" requests come right after the cache was made stale (as
just after the nightly ingestion), so the database does all the summing.

p50/p95 of each are printed; the last line is the ratio of the two-year tenant's p95 to the
one-week tenant's over the warm requests of all three targets (target: ≤ 1.5×).

    .venv/bin/python bench/dashboard.py [--requests 200] [--cold 20] [--port 8203]
"""

from __future__ import annotations

import argparse
import http.client
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import Result, port_check, prepare, stack, start_web, stop_process  # noqa: E402

DB = "inkwell_dashboard"
TENANTS = {"twoyears": 731, "oneweek": 7}
LEADS_PER_DAY = 3
ROUNDS = 4


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=200, help="warm requests per target (default 200)")
    parser.add_argument("--cold", type=int, default=20, help="cold requests per target (default 20)")
    parser.add_argument("--port", type=int, default=8203, help="port for the web server (default 8203)")
    args = parser.parse_args()
    if args.requests < 1 or args.cold < 1:
        parser.error("--requests and --cold must be at least 1")
    port_check(parser, args.port)
    return args


def load(tenant, owner, days: int) -> str:
    """Give `tenant` `days` days of facts, leads, contracts and scores; returns a session cookie."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from contracts.models import Contract
    from marketing.connectors import connector_for
    from marketing.models import Lead
    from marketing.services.ingestion import facts_write, ingestion_window
    from marketing.services.scoring import scores_store
    from tenants.middleware import SESSION_TENANT_KEY

    with tenant_context(tenant):
        start, end = ingestion_window(tenant=tenant, days=days)
        facts_write(rows=connector_for("demo").fetch(tenant, start, end))
        scores_store(tenant=tenant, start=start, end=end)
        now = timezone.now()
        Lead.objects.bulk_create(
            Lead(name=f"Lead {i}", phone="+14165550100", source="form") for i in range(days * LEADS_PER_DAY)
        )
        with connection.cursor() as cursor:  # auto_now_add overrode `created` above: spread them again
            cursor.execute(
                "UPDATE marketing_lead SET created = %s - (id - (SELECT min(id) FROM marketing_lead)) * interval '8 hours'",
                [now],
            )
        Contract.objects.bulk_create(
            Contract(reference=f"BN-{i:05d}", customer_name=f"Customer {i}", customer_phone="+14165550100", origin="Toronto", destination="Rome",
                     status="signed", milestone=i % 9, rate=1500, signed_at=now - timedelta(days=2 * i))
            for i in range(max(1, days // 2))
        )  # fmt: skip
    session = SessionStore()
    session.update(
        {
            SESSION_KEY: str(owner.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: owner.get_session_auth_hash(),
            SESSION_TENANT_KEY: tenant.schema_name,
        }
    )
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def make_stale(tenant) -> None:
    from django_tenants.utils import tenant_context

    from marketing.metrics import facts_changed

    with tenant_context(tenant):
        facts_changed()


def _share(total: int, number: int) -> int:
    """Requests in round `number` of ROUNDS, so the rounds add up to `total`."""
    return total // ROUNDS + (1 if number < total % ROUNDS else 0)


def measure(port: int, host: str, cookie: str, path: str, count: int, before=None, into=None) -> Result:
    result = into if into is not None else Result()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    try:
        for _ in range(count):
            if before is not None:
                before()
            start = time.perf_counter()
            connection.request("GET", path, headers={"Host": host, "Cookie": cookie})
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - start) * 1000
            if response.status != 200:
                result.error(str(response.status))
            else:
                result.latencies_ms.append(elapsed)
    finally:
        connection.close()
    result.seconds += time.perf_counter() - started
    return result


def main() -> None:
    args = parse_args()
    with stack(name="dashboard", database=DB, env={"PORT": str(args.port)}) as s:
        first = prepare(s, subdomain="twoyears", business="Two Years Transport", pool=False)
        from tenants.services.provisioning import tenant_provision

        second = tenant_provision(
            name="One Week Transport", subdomain="oneweek", owner_email="owner@oneweek.example",
            owner_name="Bench Owner", external_key="bench:oneweek", send_welcome=False,
        )  # fmt: skip
        tenants = {"twoyears": first, "oneweek": second}
        cookies = {}
        for name, provisioned in tenants.items():
            started = time.perf_counter()
            cookies[name] = load(provisioned.tenant, provisioned.owner, TENANTS[name])
            print(f"{name}: {TENANTS[name]} days of data loaded in {time.perf_counter() - started:.1f} s")
        last = tenants["oneweek"].tenant
        from marketing.services.ingestion import tenant_local_today

        end = tenant_local_today(last) - timedelta(days=1)
        start = end - timedelta(days=27)
        targets = {
            "overview": "/dashboard/?range=28d",
            "seo": "/dashboard/seo/?range=28d",
            "summary API": f"/api/v1/metrics/summary/?start={start}&end={end}",
        }
        web = start_web(s.env, args.port, s.workdir / "web.log")
        results: dict[tuple[str, str, str], Result] = {
            (target, name, kind): Result()
            for target in targets
            for name in tenants
            for kind in ("warm", "cold")
        }
        try:
            for path in targets.values():
                for name in tenants:  # warm-up
                    measure(args.port, f"{name}.localhost:{args.port}", cookies[name], path, 10)
            # Rounds alternate which tenant goes first, so a change in the machine's load falls on both.
            for number in range(ROUNDS):
                order = list(tenants) if number % 2 == 0 else list(reversed(tenants))
                for target, path in targets.items():
                    for name in order:
                        host, tenant = f"{name}.localhost:{args.port}", tenants[name].tenant
                        share = _share(args.requests, number)
                        measure(
                            args.port, host, cookies[name], path, share, into=results[(target, name, "warm")]
                        )
                        measure(
                            args.port, host, cookies[name], path, _share(args.cold, number),
                            before=lambda t=tenant: make_stale(t), into=results[(target, name, "cold")],
                        )  # fmt: skip
        finally:
            stop_process(web)
        print(
            f"{args.requests} warm and {args.cold} cold requests per target and tenant, one at a time, in {ROUNDS} "
            "rounds alternating the tenants; one uvicorn process"
        )
        for (target, name, kind), result in results.items():
            print(
                f"{target:<12} {name:<9} {kind:<5} p50 {result.p50:7.2f} ms, p95 {result.p95:7.2f} ms; "
                f"errors {result.error_count}{result.error_kinds}"
            )
        errors = sum(r.error_count for r in results.values())
        if errors:
            log = (s.workdir / "web.log").read_text().splitlines()
            print("the web server's log, last 40 lines:", *log[-40:], sep="\n")
        ratios = [
            results[(target, "twoyears", "warm")].p95 / results[(target, "oneweek", "warm")].p95
            for target in targets
        ]
        cold = [
            results[(target, "twoyears", "cold")].p95 / results[(target, "oneweek", "cold")].p95
            for target in targets
        ]
        print(
            "cold ratios two years / one week p95: "
            + ", ".join(f"{t} {r:.2f}x" for t, r in zip(targets, cold, strict=True))
        )
        print("ratio two years / one week p95 (warm), worst of the three: " + f"{max(ratios):.2f}x")


if __name__ == "__main__":
    main()
