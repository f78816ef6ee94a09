"""Nightly ingestion: our bulk write (COPY into a staging table, one upsert) vs. per-row ORM
`update_or_create`, on Search Console-sized data.

Each tenant gets its own schema holding the fact tables (made with CREATE TABLE … LIKE from a
migrated tenant schema, so 200 tenants don't need 200 migration runs) and `--days` days of the demo
connector's search rows (a few hundred queries × pages × devices a day, ~280 rows a day). Rows are
generated before each tenant's timed write, so only writing is timed.

- bulk: `marketing.services.ingestion.facts_write`, one transaction per tenant.
- naive: `SearchFact.objects.update_or_create` per row, one transaction per tenant (kinder to it
  than autocommit). It is slow, so it runs on `--naive-tenants` tenants (the first ones) only;
  rows per second are comparable whatever the volume.

Memory: peak resident size (ru_maxrss) after the first bulk tenant and after the last; the bulk
path holds one tenant's rows at a time and COPYs in batches, so it must not grow with tenants.

    .venv/bin/python bench/ingestion.py [--tenants 20] [--days 90] [--naive-tenants 1] [--naive-days 7]
    .venv/bin/python bench/ingestion.py --tenants 200 --days 90 --naive-tenants 2    # the issue's full size

The database `inkwell_bench` is made on a private PostgreSQL server (bench/stack.py), deleted at the end.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import migrate, stack  # noqa: E402

BENCH_DB = "inkwell_bench"
TABLES = ("marketing_searchfact", "marketing_trafficfact", "marketing_adsfact")
END = date(2026, 11, 23)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--tenants", type=int, default=20, help="tenants written by the bulk path (default 20)"
    )
    parser.add_argument("--days", type=int, default=90, help="days of data per tenant (default 90)")
    parser.add_argument("--naive-tenants", type=int, default=1, help="tenants written row by row (default 1)")
    parser.add_argument("--naive-days", type=int, default=7, help="days per naive tenant (default 7)")
    args = parser.parse_args()
    if min(args.tenants, args.days, args.naive_tenants, args.naive_days) < 1:
        parser.error("every count must be at least 1")
    if args.naive_tenants > args.tenants:
        parser.error("--naive-tenants can't exceed --tenants")
    return args


def make_schemas(template: str, names: list[str]) -> None:
    from django.db import connection

    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f'CREATE SCHEMA "{name}"')
            for table in TABLES:
                cursor.execute(f'CREATE TABLE "{name}".{table} (LIKE "{template}".{table} INCLUDING ALL)')


def search_rows(schema: str, days: int) -> list:
    from marketing.connectors.base import SearchRow
    from marketing.connectors.demo import DemoConnector

    tenant = SimpleNamespace(schema_name=schema, subdomain=schema)
    start = END - timedelta(days=days - 1)
    return [r for r in DemoConnector().fetch(tenant, start, END) if isinstance(r, SearchRow)]


def naive_write(rows: list) -> None:
    from django.db import transaction

    from marketing.models import SearchFact

    with transaction.atomic():
        for r in rows:
            SearchFact.objects.update_or_create(
                day=r.day,
                query=r.query,
                page=r.page,
                device=r.device,
                country=r.country,
                defaults={
                    "clicks": r.clicks,
                    "impressions": r.impressions,
                    "position_sum": r.position * r.impressions,
                    "final": r.final,
                },
            )


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    args = parse_args()
    with stack(name="ingestion", database=BENCH_DB) as s:  # its Redis is never used: nothing is queued
        migrate(s)
        from django.core.management import call_command
        from django.db import connection, connections
        from django_tenants.utils import schema_context

        from marketing.models import SearchFact
        from marketing.services.ingestion import facts_write

        template = "bench_template"
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{template}"')
        call_command("migrate_schemas", schema_name=template, interactive=False, verbosity=0)
        bulk_schemas = [f"bench_bulk_{i:03d}" for i in range(args.tenants)]
        naive_schemas = [f"bench_naive_{i:03d}" for i in range(args.naive_tenants)]
        make_schemas(template, bulk_schemas + naive_schemas)
        version = s.show("server_version")
        print(
            f"PostgreSQL {version}, database {BENCH_DB}; bulk: {args.tenants} tenants × {args.days} days; "
            f"naive: {args.naive_tenants} tenant(s) × {args.naive_days} days"
        )

        bulk_rows = bulk_seconds = 0.0
        rss_first = None
        for i, schema in enumerate(bulk_schemas):
            rows = search_rows(schema, args.days)
            with schema_context(schema):
                started = time.perf_counter()
                facts_write(rows=rows)
                bulk_seconds += time.perf_counter() - started
                if i == 0:
                    assert SearchFact.objects.count() == len(rows)
            bulk_rows += len(rows)
            del rows
            if i == 0:
                rss_first = max_rss_mb()
            if (i + 1) % max(1, args.tenants // 10) == 0:
                print(
                    f"  bulk {i + 1}/{args.tenants} tenants, {bulk_rows:,.0f} rows, {bulk_rows / bulk_seconds:,.0f} rows/s"
                )
        rss_last = max_rss_mb()

        naive_rows = naive_seconds = 0.0
        for schema in naive_schemas:
            rows = search_rows(schema, args.naive_days)
            with schema_context(schema):
                started = time.perf_counter()
                naive_write(rows)
                naive_seconds += time.perf_counter() - started
                assert SearchFact.objects.count() == len(rows)
            naive_rows += len(rows)
        connections.close_all()

        bulk_rate, naive_rate = bulk_rows / bulk_seconds, naive_rows / naive_seconds
        print(f"{'path':<8}{'rows':>12}{'seconds':>10}{'rows/s':>12}")
        print(f"{'bulk':<8}{bulk_rows:>12,.0f}{bulk_seconds:>10.1f}{bulk_rate:>12,.0f}")
        print(f"{'naive':<8}{naive_rows:>12,.0f}{naive_seconds:>10.1f}{naive_rate:>12,.0f}")
        print(
            f"peak memory (max RSS): {rss_first:.0f} MB after the first tenant, {rss_last:.0f} MB after {args.tenants}"
        )
        print(f"ratio bulk / naive rows per second: {bulk_rate / naive_rate:.1f}x")


if __name__ == "__main__":
    main()
