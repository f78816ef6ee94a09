"""A deploy with nothing to migrate: django-tenants' migrate_schemas vs. our migrate_tenants.

On a fresh database of a private PostgreSQL server (bench/stack.py), N tenant schemas are built
(empty schemas with tenant rows, migrated by migrate_tenants itself, whose time is printed too),
then each command is timed with every schema already current:

- migrate_schemas (standard executor): one migration executor per schema, one after the other;
- migrate_schemas --executor multiprocessing: the same in TENANT_MULTIPROCESSING_MAX_PROCESSES
  (set to the CPU count here) forked processes;
- migrate_tenants: one query finds every schema current; no executor is built.

Each command runs in this process after one untimed warm-up (imports, migration graph), as a
deploy's own process would not have — the comparison favours neither. The ratio
migrate_schemas (standard) / migrate_tenants is printed last.

    .venv/bin/python bench/migrations.py [--tenants 20] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import migrate, stack  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tenants", type=int, default=20, help="tenant schemas (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per command (default 3)")
    args = parser.parse_args()
    if args.tenants < 1 or args.runs < 1:
        parser.error("--tenants and --runs must be at least 1")
    return args


def build(count: int) -> float:
    """Empty schemas with tenant rows, brought up to date by migrate_tenants; returns its seconds."""
    from django.core.management import call_command
    from django.db import connection

    from tenants.models import Tenant

    for i in range(count):
        schema = f"t_bench_{i:05d}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{schema}"')
        Tenant.objects.create(
            schema_name=schema, name=f"Bench {i}", subdomain=f"bench-{i}", status=Tenant.Status.ACTIVE
        )
    start = time.perf_counter()
    call_command("migrate_tenants", verbosity=0)
    return time.perf_counter() - start


def timed(runs: int, *args, **options) -> list[float]:
    from django.core.management import call_command

    call_command(*args, **options)  # warm-up
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        call_command(*args, **options)
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    args = parse_args()
    workers = os.cpu_count() or 1
    env = {"INKWELL_TENANT_MIGRATION_WORKERS": str(workers), "INKWELL_DB_POOL_MAX": "0"}
    with stack(name="migrations", database="inkwell_bench", env=env) as s:
        migrate(s, pool=False)
        from django.conf import settings

        settings.TENANT_MULTIPROCESSING_MAX_PROCESSES = workers
        built = build(args.tenants)
        print(f"{args.tenants} tenant schemas built by migrate_tenants ({workers} workers) in {built:.1f} s")
        results = {
            "migrate_schemas (standard)": timed(args.runs, "migrate_schemas", interactive=False, verbosity=0),
            f"migrate_schemas (multiprocessing, {workers})": timed(
                args.runs, "migrate_schemas", executor="multiprocessing", interactive=False, verbosity=0
            ),
            "migrate_tenants": timed(args.runs, "migrate_tenants", verbosity=0),
        }
        for name, seconds in results.items():
            print(
                f"{name:<40} no-op at {args.tenants} tenants: median {statistics.median(seconds):7.2f} s "
                f"(min {min(seconds):.2f}, max {max(seconds):.2f})"
            )
        stock = statistics.median(results["migrate_schemas (standard)"])
        parallel = statistics.median(results[f"migrate_schemas (multiprocessing, {workers})"])
        ours = statistics.median(results["migrate_tenants"])
        print(f"ratio migrate_schemas (multiprocessing) / migrate_tenants: {parallel / ours:.1f}x")
        print(f"ratio migrate_schemas (standard) / migrate_tenants: {stock / ours:.1f}x")


if __name__ == "__main__":
    main()
