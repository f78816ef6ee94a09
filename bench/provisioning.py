"""Tenant provisioning: claiming a ready spare schema vs. django-tenants' migrate-on-create.

Three paths are timed in one run, on a fresh database of a private PostgreSQL server (bench/stack.py):

- spare-claim: our `tenant_provision` with a spare ready. It locks a spare row, checks that the
  spare is fully migrated, renames its schema (ALTER SCHEMA … RENAME) and writes the tenant row,
  domain, config, owner and membership, all in one transaction. The spares are made beforehand
  (`spare_schemas_top_up`), outside the timed region, as the beat task does in production.
- migrate-on-create: what django-tenants does when a tenant with `auto_create_schema = True` is
  saved: insert a Tenant row, then `create_schema()`, i.e. CREATE SCHEMA and run every tenant
  migration in it. It writes no domain, config or user, so the comparison favours it.
- fallback: `tenant_provision` with no spare ready. It makes a spare the migrate-on-create way,
  then claims it, so it should cost what migrate-on-create costs ("never slower", within noise).

Migrate-on-create grows with every tenant migration the project adds; a claim does not. With
`--extra-migrations M` a synthetic tenant app with M more migrations (one CreateModel each, with
a foreign key and an index) is generated in a temporary directory and installed for this run
only, to show that growth without touching the project's apps.

Every path gets one untimed warm-up call first (imports, migration graph loading, caches), as a
long-running worker would have. The ratio migrate-on-create / spare-claim (p50) is printed last.

    .venv/bin/python bench/provisioning.py [--runs 7] [--extra-migrations 0]

The server, its database `inkwell_bench` and the synthetic app live in one temporary directory,
deleted at the end; the developer's `inkwell` database and the test database are never touched.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import migrate, stack  # noqa: E402

BENCH_DB = "inkwell_bench"
HEAVY_APP = "bench_heavy"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per path (default 7)")
    parser.add_argument(
        "--extra-migrations",
        type=int,
        default=0,
        metavar="M",
        help="add a synthetic tenant app with M migrations for this run (default 0)",
    )
    args = parser.parse_args()
    if args.runs < 1 or args.extra_migrations < 0:
        parser.error("--runs must be at least 1 and --extra-migrations at least 0")
    return args


# --- a synthetic tenant app with M migrations -------------------------------------------------------


def _fields(i: int, parent: str) -> list[tuple[str, str]]:
    """The fields of model i; `parent` is how model i - 1 is referred to."""
    fields = [
        ("name", "models.CharField(max_length=200)"),
        ("amount", "models.DecimalField(max_digits=12, decimal_places=2, default=0)"),
        ("notes", "models.TextField(blank=True)"),
        ("created", "models.DateTimeField(auto_now_add=True, db_index=True)"),
    ]
    if i > 0:
        fields.append(("parent", f'models.ForeignKey("{parent}", null=True, on_delete=models.CASCADE)'))
    return fields


def write_heavy_app(directory: Path, count: int) -> None:
    """A tenant app `bench_heavy` whose models.py and migrations/ agree: migration i creates model i."""
    package = directory / HEAVY_APP
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "migrations" / "__init__.py").write_text("")
    models = ["from django.db import models\n"]
    for i in range(count):
        body = "".join(f"    {name} = {field}\n" for name, field in _fields(i, f"Extra{i - 1:04d}"))
        models.append(f"\nclass Extra{i:04d}(models.Model):\n{body}")
        fields = "".join(
            f'                ("{name}", {field}),\n'
            for name, field in _fields(i, f"{HEAVY_APP}.extra{i - 1:04d}")
        )
        dependencies = f'[("{HEAVY_APP}", "{i:04d}_extra{i - 1:04d}")]' if i else "[]"
        (package / "migrations" / f"{i + 1:04d}_extra{i:04d}.py").write_text(
            "from django.db import migrations, models\n\n\n"
            "class Migration(migrations.Migration):\n"
            f"    dependencies = {dependencies}\n"
            "    operations = [\n"
            "        migrations.CreateModel(\n"
            f'            name="Extra{i:04d}",\n'
            "            fields=[\n"
            '                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),\n'
            f"{fields}"
            "            ],\n"
            "        ),\n"
            "    ]\n"
        )
    (package / "models.py").write_text("".join(models))


# --- the three paths --------------------------------------------------------------------------------


def migrate_on_create(i: int) -> None:
    """django-tenants' TenantMixin.save() with auto_create_schema=True: a row, then create_schema()."""
    from tenants.models import Tenant

    tenant = Tenant.objects.create(
        schema_name=f"t_moc_{i}", name=f"Moc {i}", subdomain=f"moc-{i}", status=Tenant.Status.ACTIVE
    )
    tenant.create_schema(check_if_exists=False, verbosity=0)


def provision(kind: str, i: int) -> None:
    from tenants.services.provisioning import tenant_provision

    tenant_provision(
        name=f"{kind.title()} {i}",
        subdomain=f"{kind}-{i}",
        owner_email=f"owner{i}@{kind}.example",
        owner_name=f"Owner {i}",
        external_key=f"bench:{kind}:{i}",
        send_welcome=False,
    )


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def spare_count() -> int:
    from tenants.selectors import spare_tenants

    return spare_tenants().count()


def tenant_migration_count() -> int:
    from django.apps import apps
    from django.conf import settings
    from django.db.migrations.loader import MigrationLoader

    labels = {apps.get_app_config(app.rsplit(".", 1)[-1]).label for app in settings.TENANT_APPS}
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return sum(1 for app, _name in graph.nodes if app in labels)


def run(runs: int) -> dict[str, list[float]]:
    from tenants.services.provisioning import spare_schemas_top_up

    times: dict[str, list[float]] = {"spare-claim": [], "migrate-on-create": [], "fallback": []}

    # Warm-up, untimed: one of each.
    migrate_on_create(0)
    assert spare_count() == 0
    provision("fallback", 0)
    spare_schemas_top_up(target=1)
    provision("claim", 0)

    # migrate-on-create and the fallback alternate (taking turns going first), so drift on the
    # machine hits both alike. The fallback must never find a spare: each one claims what it made.
    for i in range(1, runs + 1):
        pair = [
            ("migrate-on-create", lambda i=i: migrate_on_create(i)),
            ("fallback", lambda i=i: provision("fallback", i)),
        ]
        for path, fn in pair if i % 2 else reversed(pair):
            assert spare_count() == 0
            times[path].append(timed(fn))

    # Spares are made before the timed region, as the beat task does ahead of sign-ups.
    spare_schemas_top_up(target=runs)
    for i in range(1, runs + 1):
        times["spare-claim"].append(timed(lambda i=i: provision("claim", i)))
    assert spare_count() == 0
    return times


def report(times: dict[str, list[float]]) -> None:
    p50 = {path: statistics.median(values) for path, values in times.items()}
    print(f"{'path':<20}{'p50 ms':>10}{'min ms':>10}{'max ms':>10}")
    for path, values in times.items():
        print(f"{path:<20}{p50[path]:>10.1f}{min(values):>10.1f}{max(values):>10.1f}")
    print(f"ratio fallback / migrate-on-create p50: {p50['fallback'] / p50['migrate-on-create']:.2f}x")
    print(f"ratio migrate-on-create / spare-claim p50: {p50['migrate-on-create'] / p50['spare-claim']:.1f}x")


def main() -> None:
    args = parse_args()
    # The stack's private Redis serves the lock that spare-pool upkeep takes.
    with stack(name="provisioning", database=BENCH_DB) as s:
        os.environ.update(s.env)
        from django.conf import settings
        from django.db import connections

        if args.extra_migrations:
            heavy_dir = s.workdir / "apps"
            write_heavy_app(heavy_dir, args.extra_migrations)
            sys.path.insert(0, str(heavy_dir))
            settings.TENANT_APPS = [*settings.TENANT_APPS, HEAVY_APP]
            settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, HEAVY_APP]
        migrate(s)  # django.setup() reads the apps set above

        version = s.show("server_version")
        print(
            f"PostgreSQL {version}, database {BENCH_DB}; {tenant_migration_count()} tenant migrations "
            f"({args.extra_migrations} synthetic); {args.runs} timed runs per path after 1 warm-up"
        )
        try:
            times = run(args.runs)
        finally:
            connections.close_all()
        report(times)


if __name__ == "__main__":
    main()
