"""A 1,000-tenant simulation: each figure measured at 10 tenants and again at N, in one run.

The stack is the bench's own (bench/stack.py): a private PostgreSQL and Redis in a temporary
directory, deleted at the end. The run has two phases on the same database:

1. **10 tenants**, every one made through the services: `tenant_provision` (the owner, domain,
   config and membership), a month of the demo connector's daily metrics written with
   `facts_write` and scored with `scores_store` (as the nightly run does), a dozen leads through
   `lead_create` and three contracts through `contract_create`. Measured (see below).
2. **N tenants** (`--tenants`, default 1,000): the other N - 10 are clones of the first tenant's
   schema, structure and data: `pg_dump --schema` of it once, the schema name rewritten, replayed
   with `psql` (two at a time, one per core), and the public rows (tenant, domain, config, owner,
   membership) written with `bulk_create`. Cloning was chosen over the services because the
   services cost ~1 s a tenant (migrate-on-create, a month of generated rows), 15+ minutes for
   1,000 on 2 cores, while a replay is ~0.1 s and gives every tenant the same realistic size and the
   same catalogue objects (tables, indexes, sequences, constraints) as a migrated schema. Measured
   again.

Each phase measures, in this order:

- **provisioning p50**: `tenant_provision` claiming a ready spare (spares made untimed before);
- **dashboard p95**: the Overview page (/dashboard/) of the first tenant as its owner, through
  Django's test Client in this process, warm (after untimed warm-up requests);
- **migrations**, each in a fresh process as a deploy runs it: `migrate_tenants` with nothing to
  apply (the deploy's command: current schemas found with one query and skipped); then the
  project's own `chat/0011_bus_recipients` (a column added, rows backfilled) and the chat migration
  after it (0012, checkpoint digests rehashed) unapplied in every schema and applied again by
  `migrate_tenants` with 1 worker, then with 2; and django-tenants'
  stock `migrate_schemas` with nothing to apply, sequential and `--executor multiprocessing` (at N
  only with `--stock-migrations`: ~15 minutes at 1,000);
- **nightly fan-out**: the beat's `marketing.tasks.ingestion_schedule_all` sent to real Celery
  worker processes on the private Redis — one worker process, then two (two worker nodes,
  `--concurrency 1` each, as if on two machines) — and the wall time until every tenant's
  ingestion run of the demo connector has finished (polled in the database). The tenants' time
  zone is UTC and INKWELL_INGESTION_HOUR is set to the current hour, so every tenant's night is now.
  Timed FANOUT_SAMPLES times each (1, 2, 1, 2 workers), the best of each kept;
- **minutely fan-outs**: the beat's three every-minute sweeps (agent evaluation, event and bus
  relays, a hundred tenants per task) sent to one worker process, a first minute untimed (it relays
  what the clones carry), then the worker time of a minute with nothing waiting;
- **idle memory**: web (uvicorn) + worker (`--concurrency 2`, as `make run`) + beat started, a few
  requests sent, then the summed resident size (RSS) of those processes and their children.

Printed: a table of both phases and each ratio (N / 10 for each figure, and 1 / 2 workers for the
fan-out at N); the last line is the headline, the dashboard p95 at N / at 10 (target ≤ 1.5×).

    .venv/bin/python bench/scale.py [--tenants 1000] [--small 10] [--requests 100] [--claims 7] [--port 8208]
    .venv/bin/python bench/scale.py --tenants 50      # while developing: a few minutes

The machine may be shared with other work: wall times (fan-out, migrations) vary with it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import ROOT, migrate, percentile, port_check, stack, start_web, stop_process  # noqa: E402

DB = "inkwell_scale"
DAYS = 30  # a month of daily metrics per tenant
LEADS = 12
CONTRACTS = 3
CLONE_BATCH = 10  # schemas replayed per psql call, each in a transaction of its own
# Each fan-out is timed this many times (1 worker, 2 workers, 1, 2, …) and the best kept: on 2 cores
# shared with PostgreSQL and Redis one sample of the one-worker figure varied 156–216 s between runs.
FANOUT_SAMPLES = 2

# --- migrations ------------------------------------------------------------------------------------
# Stock django-tenants: every schema's MigrationExecutor, one after another or in its multiprocessing
# pool. At 1,000 tenants these two take ~8 and ~6 minutes, so the large phase runs them only with
# --stock-migrations (the run then exceeds 30 minutes).
STOCK_MIGRATE_COMMANDS = [
    ("migrate_schemas sequential", ["migrate_schemas", "--noinput", "-v", "0"]),
    (
        "migrate_schemas parallel",
        ["migrate_schemas", "--noinput", "-v", "0", "--executor", "multiprocessing"],
    ),
]
# The deploy's command: schemas already current are found with one query and skipped.
NOOP_MIGRATE = ("migrate_tenants no-op", ["migrate_tenants", "-v", "0"])
# A real migration applied to every tenant schema, to see the work spread over workers: the
# project's own chat/0011 (an ArrayField added, existing rows backfilled) and the chat migrations
# after it, unapplied first in every schema by dropping the column and their django_migrations rows.
REAPPLY_APP, REAPPLY_MIGRATION, REAPPLY_TABLE, REAPPLY_COLUMN = (
    "chat",
    "0011_bus_recipients",
    "chat_busmessage",
    "recipient_ids",
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tenants", type=int, default=1000, help="tenants in the large phase (default 1000)")
    parser.add_argument("--small", type=int, default=10, help="tenants in the small phase (default 10)")
    parser.add_argument("--requests", type=int, default=100, help="timed dashboard requests (default 100)")
    parser.add_argument("--claims", type=int, default=7, help="timed spare claims per phase (default 7)")
    parser.add_argument("--port", type=int, default=8208, help="port for the web server (default 8208)")
    parser.add_argument(
        "--stock-migrations",
        action="store_true",
        help="also time django-tenants' migrate_schemas at N tenants (adds ~15 minutes at 1,000)",
    )
    args = parser.parse_args()
    if args.small < 1 or args.tenants <= args.small:
        parser.error("--small must be at least 1 and --tenants more than --small")
    if args.requests < 1 or args.claims < 1:
        parser.error("--requests and --claims must be at least 1")
    port_check(parser, args.port)
    return args


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def subdomain(i: int) -> str:
    return f"scale-{i:05d}"


def schema(i: int) -> str:
    return f"t_scale_{i:05d}"


# --- building tenants -------------------------------------------------------------------------------


def build_real(i: int):
    """Tenant i through the services: provisioning, a month of metrics, leads and contracts."""
    from django_tenants.utils import tenant_context

    from contracts.models import Contract
    from contracts.services.contracts import contract_create
    from contracts.services.events import Actor
    from marketing.connectors import connector_for
    from marketing.services.ingestion import facts_write, ingestion_window
    from marketing.services.leads import lead_create
    from marketing.services.scoring import scores_store
    from tenants.models import TenantConfig
    from tenants.services.provisioning import tenant_provision

    result = tenant_provision(
        name=f"Scale Movers {i}",
        subdomain=subdomain(i),
        owner_email=f"owner@{subdomain(i)}.example",
        owner_name=f"Owner {i}",
        external_key=f"bench:scale:{i}",
        send_welcome=False,
    )
    tenant = result.tenant
    TenantConfig.objects.filter(pk=tenant.pk).update(timezone="UTC")
    tenant.refresh_from_db()
    actor = Actor(type="owner", user=result.owner)
    with tenant_context(tenant):
        start, end = ingestion_window(tenant=tenant, days=DAYS)
        facts_write(rows=connector_for("demo").fetch(tenant, start, end))
        scores_store(tenant=tenant, start=start, end=end)
        for n in range(LEADS):
            lead_create(
                data={
                    "name": f"Customer {n}",
                    "phone": f"+1416555{n:04d}",
                    "email": f"customer{n}@example.com",
                    "message": "Quote for a car to Antwerp, please.",
                },
                actor=actor,
            )
        for n in range(CONTRACTS):
            contract_create(
                data=dict(
                    customer_name=f"Customer {n}", customer_email=f"customer{n}@example.com",
                    customer_phone=f"+1416555{n:04d}", origin="Toronto, ON", destination="Antwerp, Belgium",
                    service_type=Contract.ServiceType.RORO, rate=Decimal("2450.00"), currency="CAD",
                ),
                actor=actor,
            )  # fmt: skip
    return result


def pg_tool(server, name: str) -> str:
    """The path of a client program (pg_dump, psql) shipped with pgserver."""
    import pgserver

    path = Path(pgserver.__file__).parent / "pginstall" / "bin" / name
    if not path.exists():
        raise RuntimeError(f"{name} not found at {path}")
    return str(path)


def dump_template(s, template: str) -> str:
    """The template schema (structure and data) as a SQL script."""
    url = s.database_url
    output = subprocess.run(
        [pg_tool(s.server, "pg_dump"), "--schema", template, "--no-owner", "--no-privileges", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # The header's `SET search_path = ''`-style settings and the schema DDL stay; nothing else
    # names the template's schema except qualified names, rewritten per clone.
    if output.count(template) < 10:
        raise RuntimeError("the dump of the template schema looks empty")
    return output


def clone_schemas(s, script: str, template: str, numbers: list[int]) -> None:
    """Replay the template's dump once per clone, CLONE_BATCH clones per psql call, two at a time."""
    pattern = re.compile(rf"\b{re.escape(template)}\b")
    batches = [numbers[k : k + CLONE_BATCH] for k in range(0, len(numbers), CLONE_BATCH)]
    psql = pg_tool(s.server, "psql")

    def replay(batch: list[int]) -> None:
        text = "".join(f"BEGIN;\n{pattern.sub(schema(i), script)}\nCOMMIT;\n" for i in batch)
        subprocess.run(
            [psql, "-q", "-v", "ON_ERROR_STOP=1", "-X", "-d", s.database_url],
            input=text,
            # A bulk load: no wait for the WAL flush at each commit (nothing else is lost on a crash
            # that the bench would not rebuild anyway).
            env={**os.environ, "PGOPTIONS": "-c synchronous_commit=off"},
            check=True,
            capture_output=True,
            text=True,
        )

    done = 0
    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in pool.map(replay, batches):
            done += 1
            if done % max(1, len(batches) // 10) == 0:
                say(f"  cloned {min(done * CLONE_BATCH, len(numbers))}/{len(numbers)} schemas")


def clone_public_rows(numbers: list[int]) -> None:
    """The public rows of cloned tenants: tenant, domain, config (UTC), owner and membership."""
    from django.db import transaction
    from django.utils import timezone

    from tenants.models import Domain, Membership, Tenant, TenantConfig, User
    from tenants.selectors import tenant_host

    now = timezone.now()
    with transaction.atomic():
        tenants = Tenant.objects.bulk_create(
            Tenant(
                schema_name=schema(i), name=f"Scale Movers {i}", subdomain=subdomain(i),
                status=Tenant.Status.ACTIVE, external_key=f"bench:scale:{i}", activated_at=now,
            )
            for i in numbers
        )  # fmt: skip
        Domain.objects.bulk_create(
            Domain(domain=tenant_host(t.subdomain), tenant=t, is_primary=True) for t in tenants
        )
        TenantConfig.objects.bulk_create(
            TenantConfig(tenant=t, brand_name=t.name, timezone="UTC") for t in tenants
        )
        owners = User.objects.bulk_create(
            User(email=f"owner@{t.subdomain}.example", full_name=t.name, password="!") for t in tenants
        )
        Membership.objects.bulk_create(
            Membership(user=u, tenant=t, role=Membership.Role.OWNER)
            for u, t in zip(owners, tenants, strict=True)
        )


def tenant_schemas() -> list[str]:
    from tenants.models import Tenant

    active = Tenant.objects.filter(status=Tenant.Status.ACTIVE).exclude(schema_name="public")
    return list(active.order_by("pk").values_list("schema_name", flat=True))


def catalog_size() -> tuple[int, float]:
    """pg_class rows (every table, index, sequence, toast…) and the database's size in MB."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class")
        (relations,) = cursor.fetchone()
        cursor.execute("SELECT pg_database_size(current_database())")
        (size,) = cursor.fetchone()
    return relations, size / 1e6


# --- measurements -----------------------------------------------------------------------------------


def measure_claims(runs: int, offset: int) -> list[float]:
    from tenants.services.provisioning import spare_schemas_top_up, tenant_provision

    spare_schemas_top_up(target=runs + 1)
    times = []
    for k in range(runs + 1):  # the first claim is an untimed warm-up
        i = offset + k
        started = time.perf_counter()
        tenant_provision(
            name=f"Claimed {i}", subdomain=f"claim-{i}", owner_email=f"owner@claim-{i}.example",
            owner_name=f"Claimer {i}", external_key=f"bench:claim:{i}", send_welcome=False,
        )  # fmt: skip
        if k:
            times.append((time.perf_counter() - started) * 1000)
    return times


def measure_dashboard(tenant_number: int, requests: int) -> list[float]:
    from django.test import Client

    from tenants.middleware import SESSION_TENANT_KEY
    from tenants.models import Tenant, User
    from tenants.selectors import tenant_host

    tenant = Tenant.objects.get(schema_name=schema(tenant_number))
    owner = User.objects.get(email=f"owner@{subdomain(tenant_number)}.example")
    client = Client(HTTP_HOST=tenant_host(tenant.subdomain))
    client.force_login(owner)
    session = client.session
    session[SESSION_TENANT_KEY] = tenant.schema_name
    session.save()
    times = []
    for k in range(requests + 5):  # five untimed warm-ups
        started = time.perf_counter()
        response = client.get("/dashboard/")
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"/dashboard/ answered {response.status_code}")
        if k >= 5:
            times.append(elapsed)
    return times


def unapply_reapplied_migration() -> None:
    """Undo REAPPLY_MIGRATION, and the app's migrations after it, in every schema, in one transaction
    (a later migration left recorded would make the history inconsistent)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
            [REAPPLY_TABLE, REAPPLY_COLUMN],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE "{name}".{REAPPLY_TABLE} DROP COLUMN {REAPPLY_COLUMN}')
            cursor.execute(
                f'DELETE FROM "{name}".django_migrations WHERE app = %s AND name >= %s',
                [REAPPLY_APP, REAPPLY_MIGRATION],
            )


def measure_migrations(env: dict[str, str], *, stock: bool) -> dict[str, float]:
    """Wall time of each migration command in a fresh process (as a deploy runs it)."""
    # A deploy's one-off process needs no connection pool, and django-tenants' multiprocessing
    # executor can't use one: it forks after the pool's threads started, and the children wait
    # for a connection for ever (seen here: a no-op run hung for 9 minutes). So pool off for all.
    env = {**env, "INKWELL_DB_POOL_MAX": "0"}

    def timed(arguments: list[str]) -> float:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT, env=env, check=True, capture_output=True, timeout=1800,
        )  # fmt: skip
        return time.perf_counter() - started

    results = {label: timed(arguments) for label, arguments in STOCK_MIGRATE_COMMANDS if stock}
    results[NOOP_MIGRATE[0]] = timed(NOOP_MIGRATE[1])
    for workers in (1, 2):
        unapply_reapplied_migration()
        results[f"migrate_tenants {REAPPLY_MIGRATION}, {workers} worker(s)"] = timed(
            ["migrate_tenants", "-v", "0", "--workers", str(workers)]
        )
    return results


def celery_queues() -> str:
    """Every queue the project declares (CELERY_TASK_QUEUES: the default one and the tenant queue
    the beat's fan-outs use), so a bench worker takes all the work, as `make run`'s does."""
    from django.conf import settings

    return ",".join(sorted(queue.name for queue in settings.CELERY_TASK_QUEUES))


def start_celery(env: dict[str, str], kind: str, log: Path, *, name: str = "", concurrency: int = 2):
    from inkwell import embedded

    command = [sys.executable, "-m", "celery", "-A", "inkwell", kind, "--loglevel", "WARNING"]
    if kind == "worker":
        command += ["--concurrency", str(concurrency), "-Q", celery_queues()]
        if name:
            command += ["-n", f"{name}@%h"]
    with log.open("w") as output:
        return embedded.spawn(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)


def wait_for_workers(count: int) -> None:
    from inkwell.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=0.5) or []) >= count:
            return
    raise RuntimeError(f"{count} Celery worker(s) did not answer within 60 seconds")


def purge_queues() -> None:
    from inkwell.celery import app

    app.control.purge()


def wait_for_safe_hour(needed_seconds: float) -> None:
    """The nightly check compares the tenant's local hour with INGESTION_HOUR: don't start a fan-out
    whose scheduling part could run into the next hour."""
    now = datetime.now(UTC)
    left = 3600 - (now.minute * 60 + now.second)
    if left < needed_seconds:
        say(f"  waiting {left + 2:.0f} s for the next hour, so the fan-out doesn't straddle two")
        time.sleep(left + 2)


def finished_runs_query(schemas: list[str], statuses: tuple[str, ...] = ("succeeded", "failed")) -> str:
    wanted = ", ".join(f"'{status}'" for status in statuses)
    parts = [
        f'SELECT count(*) AS n FROM "{name}".marketing_ingestionrun WHERE status IN ({wanted})'  # noqa: S608
        for name in schemas
    ]
    return "SELECT sum(n) FROM (" + " UNION ALL ".join(parts) + ") AS runs"


def measure_fanout(s, schemas: list[str], workers: int) -> float:
    """Wall time from sending the beat's ingestion fan-out until every tenant's run has finished."""
    from django.db import connection

    from marketing.tasks import ingestion_schedule_all

    connection.set_schema_to_public()
    with connection.cursor() as cursor:  # a fresh night: no run yet for this window in any schema
        for k in range(0, len(schemas), 100):  # a hundred at a time: one lock per table and index
            tables = ", ".join(f'"{name}".marketing_ingestionrun' for name in schemas[k : k + 100])
            cursor.execute(f"TRUNCATE {tables}")
    purge_queues()
    wait_for_safe_hour(60 + len(schemas) * 0.1)
    env = {**s.env, "INKWELL_INGESTION_HOUR": str(datetime.now(UTC).hour)}
    processes = [
        start_celery(env, "worker", s.workdir / f"fanout-{workers}-{k}.log", name=f"fanout{k}", concurrency=1)
        for k in range(workers)
    ]
    query = finished_runs_query(schemas)
    try:
        wait_for_workers(workers)
        started = time.perf_counter()
        ingestion_schedule_all.delay()
        deadline = started + 1800
        while True:
            time.sleep(0.25 if len(schemas) <= 50 else 1.0)
            with connection.cursor() as cursor:
                cursor.execute(query)
                (finished,) = cursor.fetchone()
            if (finished or 0) >= len(schemas):
                elapsed = time.perf_counter() - started
                with connection.cursor() as cursor:
                    cursor.execute(finished_runs_query(schemas, statuses=("failed",)))
                    (failed,) = cursor.fetchone()
                if failed:
                    say(f"  ({failed} of the {len(schemas)} ingestion runs failed)")
                return elapsed
            if time.perf_counter() > deadline:
                raise RuntimeError(
                    f"fan-out not done after 30 minutes: {finished}/{len(schemas)} runs finished"
                )
    finally:
        for process in processes:
            stop_process(process, timeout=30)
        purge_queues()


def minutely_tasks() -> list[str]:
    """The beat's every-minute entries (outage sweeps and agent lifecycle), read from its schedule."""
    from django.conf import settings

    return sorted(spec["task"] for spec in settings.CELERY_BEAT_SCHEDULE.values() if spec["schedule"] == 60.0)


def queued_messages() -> int:
    from amqp.exceptions import ChannelError
    from django.conf import settings

    from inkwell.celery import app

    total = 0
    with app.connection_for_write() as conn:
        for queue in settings.CELERY_TASK_QUEUES:
            # Redis keeps no empty list: a queue with nothing in it is "not found"
            with contextlib.suppress(ChannelError):
                total += conn.default_channel.queue_declare(queue=queue.name, passive=True).message_count
    return total


def measure_minutely(s, tenants: int) -> float:
    """Worker time of one minute of the minutely fan-outs (minutely_tasks) with nothing waiting anywhere,
    their steady state: one worker process, from sending them until the queues are empty and the
    worker idle. A first, untimed minute relays what is waiting (the clones carry their template's
    unrelayed events) and the notifications that queues."""
    from inkwell.celery import app

    def one_minute() -> float:
        started = time.perf_counter()
        for name in minutely_tasks():
            app.send_task(name)
        deadline = started + 900
        while time.perf_counter() < deadline:
            time.sleep(0.2)
            if queued_messages() == 0 and not any((app.control.inspect(timeout=0.5).active() or {}).values()):
                return time.perf_counter() - started
        raise RuntimeError(f"the minutely fan-outs over {tenants} tenants were not done in 15 minutes")

    purge_queues()
    process = start_celery(s.env, "worker", s.workdir / "minutely.log", name="minutely", concurrency=1)
    try:
        wait_for_workers(1)
        first = one_minute()
        say(f"  first minute of the minutely fan-outs (relaying what was waiting): {first:.1f} s")
        return one_minute()
    finally:
        stop_process(process, timeout=30)
        purge_queues()


def process_tree_rss_mb(pid: int) -> float:
    """Resident size of `pid` and all its descendants, in MB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total_kb, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
        todo.extend(children.get(current, []))
    return total_kb / 1024


def measure_memory(s, port: int, hosts: list[str]) -> float:
    """Web + worker + beat started as `make run` starts them, a few requests, then their summed RSS."""
    import http.client

    purge_queues()
    web = start_web(s.env, port, s.workdir / "web.log")
    worker = start_celery(s.env, "worker", s.workdir / "worker.log", name="idle", concurrency=2)
    beat = start_celery(s.env, "beat", s.workdir / "beat.log")
    try:
        wait_for_workers(1)
        for host in hosts:
            for path in ("/", "/sign-in/"):
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    connection.request("GET", path, headers={"Host": host})
                    connection.getresponse().read()
                finally:
                    connection.close()
        time.sleep(5)  # let beat's first ticks and the worker settle
        parts = {
            name: process_tree_rss_mb(p.pid) for name, p in (("web", web), ("worker", worker), ("beat", beat))
        }
        say("  RSS " + ", ".join(f"{name} {mb:.1f} MB" for name, mb in parts.items()))
        return sum(parts.values())
    finally:
        for process in (beat, worker, web):
            stop_process(process, timeout=30)
        purge_queues()


def measure_phase(s, args, label: str, claim_offset: int, *, stock_migrations: bool) -> dict:
    from tenants.models import TenantConfig
    from tenants.selectors import tenant_host

    schemas = tenant_schemas()
    say(f"phase {label}: {len(schemas)} active tenants")
    figures: dict = {"tenants": len(schemas)}
    figures["claims"] = measure_claims(args.claims, claim_offset)
    TenantConfig.objects.update(timezone="UTC")  # the claimed tenants' nights are now too
    say(f"  provisioning p50 {statistics.median(figures['claims']):.1f} ms")
    figures["dashboard"] = measure_dashboard(1, args.requests)
    say(f"  dashboard p95 {percentile(figures['dashboard'], 0.95):.1f} ms")
    schemas = tenant_schemas()  # the claimed tenants too: the fan-out covers every active tenant
    figures["fanout_tenants"] = len(schemas)
    samples: dict[int, list[float]] = {1: [], 2: []}
    for workers in (1, 2) * FANOUT_SAMPLES:  # alternated, so a slow spell of the machine hits both
        samples[workers].append(measure_fanout(s, schemas, workers))
        say(f"  fan-out over {len(schemas)} tenants, {workers} worker(s): {samples[workers][-1]:.1f} s")
    figures["fanout"] = {workers: min(times) for workers, times in samples.items()}
    figures["minutely"] = measure_minutely(s, len(schemas))
    say(
        f"  one minute of the minutely fan-outs over {len(schemas)} tenants, 1 worker: {figures['minutely']:.1f} s"
    )
    hosts = [tenant_host(subdomain(1)), tenant_host(subdomain(len(schemas) // 2 or 1))]
    figures["memory"] = measure_memory(s, args.port, hosts)
    say(f"  idle memory {figures['memory']:.0f} MB")
    # Last: the slowest at N on a busy machine; every figure above is already printed if it is cut short.
    figures["migrations"] = measure_migrations(s.env, stock=stock_migrations)
    say("  migrations " + ", ".join(f"{k} {v:.1f} s" for k, v in figures["migrations"].items()))
    figures["relations"], figures["db_mb"] = catalog_size()
    return figures


# --- report -----------------------------------------------------------------------------------------


def report(small: dict, large: dict) -> None:
    n_small, n_large = small["tenants"], large["tenants"]
    rows = [
        ("provisioning p50 (ms)", statistics.median(small["claims"]), statistics.median(large["claims"])),
        ("dashboard p95 (ms)", percentile(small["dashboard"], 0.95), percentile(large["dashboard"], 0.95)),
    ]
    rows += [
        (f"{label} (s)", small["migrations"][label], large["migrations"][label])
        for label in small["migrations"]
        if label in large["migrations"]
    ]
    rows += [
        ("tenants in the fan-out (+ claimed)", small["fanout_tenants"], large["fanout_tenants"]),
        ("fan-out 1 worker (s)", small["fanout"][1], large["fanout"][1]),
        ("fan-out 2 workers (s)", small["fanout"][2], large["fanout"][2]),
        ("minutely fan-outs, 1 worker (s)", small["minutely"], large["minutely"]),
        ("idle memory web+worker+beat (MB)", small["memory"], large["memory"]),
        ("pg_class relations", small["relations"], large["relations"]),
        ("database size (MB)", small["db_mb"], large["db_mb"]),
    ]
    print()
    print(f"{'figure':<40}{f'{n_small} tenants':>14}{f'{n_large} tenants':>14}{'ratio':>10}")
    for label, a, b in rows:
        print(f"{label:<40}{a:>14,.1f}{b:>14,.1f}{b / a:>9.2f}x")
    print()
    for label, a, b in rows[:2]:
        print(f"ratio {label.split(' (')[0]} {n_large} / {n_small} tenants: {b / a:.2f}x (target ≤ 1.5x)")
    for label in small["migrations"]:
        if label not in large["migrations"]:
            print(f"{label} at {n_small} tenants: {small['migrations'][label]:.1f} s (not run at {n_large})")
            continue
        a, b = small["migrations"][label], large["migrations"][label]
        per_tenant = (b - a) / (n_large - n_small) * 1000
        print(
            f"ratio {label} {n_large} / {n_small} tenants: {b / a:.2f}x ({per_tenant:.1f} ms per extra tenant)"
        )
    if "migrate_schemas parallel" in large["migrations"]:
        seq, par = (
            large["migrations"]["migrate_schemas sequential"],
            large["migrations"]["migrate_schemas parallel"],
        )
        print(f"ratio migrate_schemas sequential / parallel at {n_large} tenants: {seq / par:.2f}x")
    one, two = (large["migrations"][f"migrate_tenants {REAPPLY_MIGRATION}, {w} worker(s)"] for w in (1, 2))
    print(
        f"ratio migrate_tenants {REAPPLY_MIGRATION} 1 / 2 workers at {n_large} tenants: {one / two:.2f}x (target ≥ 1.7x)"
    )
    for workers in (1, 2):
        a, b = small["fanout"][workers], large["fanout"][workers]
        fanned = large["fanout_tenants"]  # the claimed tenants are active too
        print(
            f"ratio fan-out {workers} worker(s) {n_large} / {n_small} tenants: {b / a:.2f}x ({b / fanned * 1000:.0f} ms per tenant over {fanned})"
        )
    per_tenant = large["minutely"] / large["fanout_tenants"]
    print(
        f"minutely fan-outs at {n_large} tenants: {per_tenant * 1000:.0f} ms of worker time per tenant each minute "
        f"({per_tenant * 10000 / 60:.1f} worker processes kept busy at 10,000 tenants)"
    )
    print(
        f"ratio idle memory {n_large} / {n_small} tenants: {large['memory'] / small['memory']:.2f}x (target ≤ 1.5x)"
    )
    print(
        f"ratio fan-out 1 / 2 workers at {n_large} tenants: {large['fanout'][1] / large['fanout'][2]:.2f}x (target ≥ 1.7x)"
    )
    headline = percentile(large["dashboard"], 0.95) / percentile(small["dashboard"], 0.95)
    print(f"ratio dashboard p95 {n_large} / {n_small} tenants: {headline:.2f}x")


def main() -> None:
    args = parse_args()
    # A SIGTERM (timeout, kill) unwinds like Ctrl-C, so the stack's PostgreSQL and files are removed.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    began = time.perf_counter()
    with stack(name="scale", database=DB, env={"INKWELL_SPARE_SCHEMAS": "0"}) as s:
        migrate(s)
        from django.db import connections

        try:
            say(f"PostgreSQL {s.show('server_version')}; building {args.small} tenants through the services")
            for i in range(1, args.small + 1):
                build_real(i)
            template = schema(1)
            script = dump_template(s, template)
            say(f"  built in {time.perf_counter() - began:.0f} s; template dump {len(script) / 1e6:.1f} MB")
            small = measure_phase(s, args, f"{args.small}", claim_offset=0, stock_migrations=True)

            build_started = time.perf_counter()
            numbers = list(range(args.small + 1, args.tenants + 1))
            say(f"cloning {len(numbers)} tenants from {template}")
            clone_schemas(s, script, template, numbers)
            clone_public_rows(numbers)
            say(f"  cloned in {time.perf_counter() - build_started:.0f} s")
            large = measure_phase(
                s,
                args,
                f"{args.tenants}",
                claim_offset=1000 * (args.claims + 1),
                stock_migrations=args.stock_migrations,
            )
        finally:
            connections.close_all()
        say(f"whole run {(time.perf_counter() - began) / 60:.1f} min")
        report(small, large)


if __name__ == "__main__":
    main()
