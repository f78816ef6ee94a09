"""Migrating thousands of schemas: public first, then the spare pool, then the tenants.

A deploy with nothing to migrate must not cost a migration executor per tenant (django-tenants'
migrate_schemas builds one per schema: 14 s at 209 tenants, ~11 minutes at 10,000). So which
schemas are behind is decided by reading every schema's `django_migrations` at once (one UNION ALL
query per SCHEMA_STATUS_CHUNK schemas), comparing with the latest migrations on disk, and only
the schemas behind get django-tenants' `run_migrations`, in a pool of forked worker processes.

One schema's failure never stops the others: each worker catches it, the run goes on, and the
failures are listed at the end (first line of each error). A schema that failed is still behind,
so the next run retries exactly those.

"Latest" for a tenant schema means every leaf migration of the TENANT_APPS is recorded; a new
migration of a shared-only app is then no reason to visit 10,000 schemas (the stock command would,
only to record a no-op). The public schema is compared with the leaves of every app, as the stock
command would run it.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import partial

import psycopg
from django.conf import settings
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django_tenants.migration_executors.base import run_migrations
from django_tenants.routers import TenantSyncRouter
from django_tenants.utils import get_public_schema_name, quote_schema_name

from tenants.models import Tenant

# Schemas whose django_migrations one status query reads (a UNION ALL of this many parts plans in
# well under a second; a deploy at 10,000 tenants sends ten such queries).
SCHEMA_STATUS_CHUNK = 1000
PHASES = (
    # (label, statuses) in the order they are migrated. Spares first: provisioning claims only a
    # current spare, so a pool migrated early keeps signups fast during the whole deploy.
    ("spare", (Tenant.Status.SPARE,)),
    ("active", (Tenant.Status.ACTIVE,)),
    # Suspended and canceled tenants keep their data and may come back: they are migrated too, last.
    ("inactive", (Tenant.Status.SUSPENDED, Tenant.Status.CANCELED)),
)
# One migrate_tenants at a time on a database (two deploys at once would migrate the same schemas
# twice over and fail each other's): a session advisory lock, (space, key) as billing's signup locks.
RUN_LOCK = (0x1B112, 1)
# Provisioning rows are spares being built or claimed right now: their builder migrates them, and a
# claim migrates a stale spare before using it, so a deploy leaves them alone.


class AlreadyRunning(RuntimeError):
    """Another migrate_tenants holds the run lock on this database; nothing was migrated."""


@contextmanager
def _run_lock():
    """Hold RUN_LOCK for the run, on a session of its own: the run's connections are closed before
    workers fork, which would release a lock taken on one of them. (The forked workers inherit this
    session's socket and never touch it; they leave with os._exit, sending nothing.)"""
    holder = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    try:
        if not holder.execute("SELECT pg_try_advisory_lock(%s, %s)", RUN_LOCK).fetchone()[0]:
            since = holder.execute(
                "SELECT a.pid, to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') "
                "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                "AND l.classid = %s AND l.objid = %s AND l.objsubid = 2 AND l.granted",
                RUN_LOCK,
            ).fetchone()
            who = f" (PostgreSQL backend {since[0]}, connected {since[1]} UTC)" if since else ""
            raise AlreadyRunning(
                f"Another migrate_tenants is running on this database{who}; nothing was migrated. "
                "Let it finish, then run migrate_tenants again: it picks up whatever is still behind."
            )
        yield
    finally:
        holder.close()  # the lock goes with the session


@dataclass(frozen=True)
class SchemaOutcome:
    schema_name: str
    ok: bool
    error: str = ""  # "<ExceptionType>: <first line of its message>"
    seconds: float = 0.0


@dataclass
class MigrationReport:
    skipped: list[str] = field(default_factory=list)  # already current: no executor was built
    migrated: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # schema -> first line of its error
    pending: list[str] = field(default_factory=list)  # behind, not run (check mode)
    seconds: float = 0.0


def migration_leaves() -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]]:
    """The latest migration of every app, and of the TENANT_APPS only, as found on disk."""
    from django.db.migrations.loader import MigrationLoader

    leaves = frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())
    router = TenantSyncRouter()
    return leaves, frozenset(node for node in leaves if router.app_in_list(node[0], settings.TENANT_APPS))


def schemas_current(*, schema_names: Iterable[str], leaves: frozenset[tuple[str, str]]) -> set[str]:
    """Which of `schema_names` have every migration in `leaves` recorded.

    Two queries for up to SCHEMA_STATUS_CHUNK schemas, whatever their number: the catalog lists the
    schemas that have a django_migrations table (a schema still being made, or missing, has none and
    is behind), then one UNION ALL counts each schema's recorded leaves.
    """
    names = list(dict.fromkeys(schema_names))
    if not names or not leaves:
        return set(names)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'django_migrations' AND table_schema = ANY(%s)",
            [names],
        )
        with_table = {row[0] for row in cursor.fetchall()}
        candidates = [name for name in names if name in with_table]
        leaf_rows = ", ".join(["(%s, %s)"] * len(leaves))
        leaf_params = [part for node in sorted(leaves) for part in node]
        current: set[str] = set()
        for start in range(0, len(candidates), SCHEMA_STATUS_CHUNK):
            chunk = candidates[start : start + SCHEMA_STATUS_CHUNK]
            parts = " UNION ALL ".join(
                f"SELECT %s, count(DISTINCT (m.app, m.name)) FROM {quote_schema_name(name)}.django_migrations m "  # noqa: S608
                "WHERE (m.app, m.name) IN (SELECT app, name FROM leaves)"
                for name in chunk
            )
            cursor.execute(
                f"WITH leaves(app, name) AS (VALUES {leaf_rows}) {parts}",  # noqa: S608 (quoted, validated names)
                [*leaf_params, *chunk],
            )
            current |= {name for name, count in cursor.fetchall() if count == len(leaves)}
    return current


def _migrate_options(verbosity: int) -> dict:
    """Django's own migrate options with their defaults, as `manage.py migrate --noinput` gets them."""
    from django.core.management.commands.migrate import Command as Migrate

    options = vars(Migrate().create_parser("manage.py", "migrate").parse_args([]))
    options.update(verbosity=verbosity, interactive=False, skip_checks=True, database=DEFAULT_DB_ALIAS)
    return options


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


class SchemaMigrator:
    """Migrates tenant schemas one after another on this process's one database session.

    What Django's migrate command does for a schema, in the same order (history check, plan, pre_migrate
    signal, the plan applied forwards, post_migrate signal, so content types and permissions are made
    as it makes them), except that the project states are rendered once per distinct set of applied
    migrations and copied for each schema, and the session is kept. The public schema is not for this:
    it goes through django-tenants' run_migrations, as `manage.py migrate_schemas` runs it.
    """

    def __init__(self, *, verbosity: int = 0, stdout=None):
        self.verbosity = verbosity
        self.stdout = stdout
        self._start_states = {}  # frozenset(applied keys) -> rendered ProjectState before the plan
        self._end_apps = {}  # frozenset(applied keys) -> rendered apps after it (for post_migrate)

    def migrate(self, schema_name: str) -> None:
        connection.set_schema(schema_name, include_public=False)
        # Made before anything reads it, in this schema alone: with public on the path Django would
        # find public's django_migrations and record this schema's migrations there.
        MigrationRecorder(connection).ensure_schema()
        connection.set_schema(schema_name)
        try:
            executor = MigrationExecutor(connection, self._progress(schema_name))
            executor.loader.check_consistent_history(connection)
            targets = executor.loader.graph.leaf_nodes()
            plan = executor.migration_plan(targets)
            applied = frozenset(executor.loader.applied_migrations)
            start = self._start_states.get(applied)
            if start is None:
                start = executor._create_project_state(with_applied_migrations=True)
                start.apps  # noqa: B018 (rendered now, once, so every copy below starts rendered)
                self._start_states[applied] = start
            options = {"verbosity": self.verbosity, "interactive": False, "db": connection.alias}
            emit_pre_migrate_signal(apps=start.apps, plan=plan, **options)
            end = executor.migrate(targets, plan=plan, state=start.clone())
            end_apps = self._end_apps.get(applied)
            if end_apps is None:
                end.clear_delayed_apps_cache()
                end_apps = self._end_apps[applied] = end.apps
            emit_post_migrate_signal(apps=end_apps, plan=plan, **options)
        finally:
            connection.set_schema_to_public()

    def _progress(self, schema_name: str):
        if self.verbosity < 1 or self.stdout is None:
            return None

        def progress(action, migration=None, fake=False):
            if action == "apply_success":
                self.stdout.write(f"[{schema_name}] applied {migration}\n")

        return progress


def migrate_schema(
    schema_name: str, *, verbosity: int = 0, migrator: SchemaMigrator | None = None
) -> SchemaOutcome:
    """Migrate one schema; a failure is returned, never raised. Tenant schemas go through `migrator`
    (this process's), the public schema through django-tenants' run_migrations."""
    started = time.monotonic()
    try:
        if migrator is None or schema_name == get_public_schema_name():
            run_migrations((), _migrate_options(verbosity), "migrate_tenants", schema_name)
        else:
            migrator.migrate(schema_name)
    except Exception as exc:  # one schema's failure is reported, the run goes on
        if not connection.in_atomic_block:
            connection.close()  # whatever state the failure left, the next schema starts afresh
        return SchemaOutcome(schema_name, False, _first_line(exc), time.monotonic() - started)
    finally:
        connection.set_schema_to_public()
    return SchemaOutcome(schema_name, True, "", time.monotonic() - started)


_worker_migrator: SchemaMigrator | None = None  # a forked worker's own, kept for all its schemas


def _migrate_in_worker(schema_name: str, *, verbosity: int = 0) -> SchemaOutcome:
    global _worker_migrator
    if _worker_migrator is None:
        _worker_migrator = SchemaMigrator(verbosity=verbosity, stdout=sys.stdout)
    return migrate_schema(schema_name, verbosity=verbosity, migrator=_worker_migrator)


def _forget_inherited_connections() -> None:
    """Pool initializer: a forked worker must never use (or close: that would end the parent's
    session) a connection it inherited. The parent closes its own before forking; whatever is
    left is dropped here without a word to the server, and the worker connects on first use."""
    for conn in connections.all(initialized_only=True):
        conn.connection = None
        getattr(conn, "_connection_pools", {}).pop(conn.alias, None)


def _close_before_fork() -> None:
    for conn in connections.all(initialized_only=True):
        conn.close()
        if conn.alias in getattr(conn, "_connection_pools", {}):  # (reading conn.pool would make one)
            conn.close_pool()


def _in_processes(run: Callable[[str], SchemaOutcome], names: list[str], processes: int):
    """Yield run(name) for each of `names` as forked worker processes finish them. A worker that dies
    (killed, out of memory) fails its schemas with BrokenProcessPool instead of hanging the deploy."""
    _close_before_fork()
    context = multiprocessing.get_context("fork")  # workers inherit the loaded Django and settings
    with ProcessPoolExecutor(
        processes, mp_context=context, initializer=_forget_inherited_connections
    ) as pool:
        futures = {pool.submit(run, name): name for name in names}
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # the worker process itself failed, not the migration
                yield SchemaOutcome(futures[future], False, _first_line(exc))


def default_workers() -> int:
    return max(1, int(settings.TENANT_MIGRATION_WORKERS))


def tenants_migrate(
    *,
    workers: int | None = None,
    verbosity: int = 1,
    retry_failed: bool = False,
    check: bool = False,
    progress: Callable[[str], None] = print,
) -> MigrationReport:
    """Bring every schema to the latest migrations: public, then spares, then tenants.

    Schemas already current are skipped without a migration executor; the rest run `workers` at a
    time in forked processes (in this process when one worker, or one schema, is enough). Progress
    goes to `progress`: a line per ~5 % of a phase and one at its end (none at verbosity 0). With
    `retry_failed`, the schemas that failed get one more try each, one at a time, once the others
    are done. With `check`, nothing is migrated: the report lists what is behind. Raises
    AlreadyRunning when another run holds the lock (checking needs none).
    """
    with nullcontext() if check else _run_lock():
        return _tenants_migrate(
            workers=workers, verbosity=verbosity, retry_failed=retry_failed, check=check, progress=progress
        )


def _tenants_migrate(*, workers, verbosity, retry_failed, check, progress) -> MigrationReport:
    if verbosity < 1:
        progress = _quiet
    workers = default_workers() if workers is None else max(1, workers)
    inner = max(0, verbosity - 1)  # -v 2 shows each schema's "Applying …" lines
    started = time.monotonic()
    report = MigrationReport()
    public = get_public_schema_name()
    connection.set_schema_to_public()

    all_leaves, leaves = migration_leaves()
    if public in schemas_current(schema_names=[public], leaves=all_leaves):
        report.skipped.append(public)
        progress(f"{public}: up to date")
    elif check:
        report.pending.append(public)
        progress(f"{public}: behind (tenant schemas are judged once it is migrated)")
        report.seconds = time.monotonic() - started
        return report
    else:
        outcome = migrate_schema(public, verbosity=inner)
        _record(report, outcome)
        progress(f"{public}: {'migrated' if outcome.ok else 'FAILED'} in {outcome.seconds:.1f} s")
        if not outcome.ok:
            # Tenant schemas may depend on what the public schema failed to get (foreign keys to it).
            report.seconds = time.monotonic() - started
            return report

    phases = []
    for label, statuses in PHASES:
        names = list(
            Tenant.objects.filter(status__in=statuses)
            .exclude(schema_name=public)
            .order_by("pk")
            .values_list("schema_name", flat=True)
        )
        phases.append((label, names))
    current = schemas_current(schema_names=[n for _label, names in phases for n in names], leaves=leaves)
    todo = []
    for label, names in phases:
        behind = [name for name in names if name not in current]
        report.skipped += [name for name in names if name in current]
        progress(
            f"{label}: {len(names)} schema(s), {len(names) - len(behind)} up to date, {len(behind)} behind"
        )
        todo.append((label, behind))
    if check:
        report.pending += [name for _label, behind in todo for name in behind]
        report.seconds = time.monotonic() - started
        return report

    here = partial(
        migrate_schema, verbosity=inner, migrator=SchemaMigrator(verbosity=inner, stdout=sys.stdout)
    )
    forked = partial(_migrate_in_worker, verbosity=inner)
    for label, behind in todo:
        # A phase ends before the next starts: spares are done before any tenant.
        processes = min(workers, len(behind))
        outcomes = map(here, behind) if processes <= 1 else _in_processes(forked, behind, processes)
        _run_phase(label, behind, outcomes, report, progress, started)

    if retry_failed and report.failed:
        retry = list(report.failed)
        progress(f"retrying {len(retry)} failed schema(s) one at a time")
        for name in retry:
            del report.failed[name]
        _run_phase("retry", retry, map(here, retry), report, progress, started)
    report.seconds = time.monotonic() - started
    return report


def _quiet(line: str) -> None:
    """Progress at verbosity 0: none (failures are still listed by the command)."""


def _record(report: MigrationReport, outcome: SchemaOutcome) -> None:
    if outcome.ok:
        report.migrated.append(outcome.schema_name)
    else:
        report.failed[outcome.schema_name] = outcome.error


def _run_phase(label, names, outcomes, report, progress, started) -> None:
    if not names:
        return
    every = max(1, len(names) // 20)
    failed = 0
    for done, outcome in enumerate(outcomes, start=1):
        _record(report, outcome)
        failed += not outcome.ok
        if done % every == 0 or done == len(names):
            progress(
                f"{label}: {done}/{len(names)} done, {failed} failed, {time.monotonic() - started:.1f} s elapsed"
            )
