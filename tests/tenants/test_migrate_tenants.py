"""manage.py migrate_tenants: public, then spares, then tenants; current schemas skipped; failures
listed without stopping the others; a second run retries only what is still behind."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.commands import migrate as django_migrate
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.models import Tenant
from tenants.selectors import spare_tenants
from tenants.services import schema_migrations
from tenants.services.provisioning import spare_is_current


@pytest.fixture
def executors_built(monkeypatch):
    """Every migration executor built in this process (by Django's migrate command for the public
    schema, by the SchemaMigrator for tenant schemas), by the schema it was built in."""
    built = []

    class Counting(django_migrate.MigrationExecutor):
        def __init__(self, *args, **kwargs):
            built.append(connection.schema_name)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(django_migrate, "MigrationExecutor", Counting)
    monkeypatch.setattr(schema_migrations, "MigrationExecutor", Counting)
    return built


def test_schemas_at_the_latest_migration_are_skipped_without_an_executor(worlds, executors_built, capsys):
    spare = spare_tenants().get()
    with CaptureQueriesContext(connection) as queries:
        call_command("migrate_tenants", workers=1)

    assert executors_built == []
    out = capsys.readouterr().out
    assert "public: up to date" in out and "active: 2 schema(s), 2 up to date, 0 behind" in out
    assert "0 migrated, 4 already up to date, 0 failed" in out
    # Every tenant schema's state came from one query, not one per schema.
    unions = [q["sql"] for q in queries.captured_queries if "UNION ALL" in q["sql"]]
    assert len(unions) == 1
    assert all(
        f'"{name}".django_migrations' in unions[0] for name in ("t_alpha", "t_beta", spare.schema_name)
    )


def test_check_names_a_schema_missing_its_latest_migration(worlds, alpha):
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{alpha.tenant.schema_name}".django_migrations WHERE app = %s', ["contracts"]
        )

    with pytest.raises(CommandError) as exc:
        call_command("migrate_tenants", check=True)
    assert "1 schema(s) behind: t_alpha" in str(exc.value)


def test_public_first_then_spares_then_active_then_inactive_tenants(worlds, monkeypatch):
    spare = spare_tenants().get()
    Tenant.objects.create(schema_name="t_paused", name="Paused", status=Tenant.Status.SUSPENDED)
    Tenant.objects.create(schema_name="spare_building", status=Tenant.Status.PROVISIONING)
    order = []

    def record(schema_name, **kwargs):
        order.append(schema_name)
        return schema_migrations.SchemaOutcome(schema_name, True)

    monkeypatch.setattr(schema_migrations, "schemas_current", lambda **kwargs: set())  # all behind
    monkeypatch.setattr(schema_migrations, "migrate_schema", record)
    schema_migrations.tenants_migrate(workers=1, progress=lambda line: None)

    # A spare being built right now is its builder's to migrate.
    assert order == ["public", spare.schema_name, "t_alpha", "t_beta", "t_paused"]


def _new_schema(name: str, *, broken: bool) -> None:
    """An empty schema, like a spare being made; if `broken`, with a table the first tenant migration
    creates already there (as if someone had made it by hand)."""
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{name}"')
        if broken:
            cursor.execute(f'CREATE TABLE "{name}".django_content_type (id serial PRIMARY KEY)')


def test_a_failing_schema_is_reported_and_the_others_are_migrated(
    django_db_setup, django_db_blocker, executors_built, capsys
):
    """Real worker processes see only committed schemas: this test commits its own two and drops them."""
    names = ["t_mig_behind", "t_mig_broken"]
    with django_db_blocker.unblock():
        try:
            for name in names:
                _new_schema(name, broken=name == "t_mig_broken")
                Tenant.objects.create(schema_name=name, name=name, status=Tenant.Status.ACTIVE)

            with pytest.raises(CommandError) as exc:
                call_command("migrate_tenants", workers=2)
            assert exc.value.returncode == 1
            captured = capsys.readouterr()
            assert "active: 4 schema(s), 2 up to date, 2 behind" in captured.out
            assert "active: 2/2 done, 1 failed" in captured.out
            assert "1 migrated, 4 already up to date, 1 failed" in captured.out
            assert (
                'FAILED t_mig_broken: ProgrammingError: relation "django_content_type" already exists'
                in captured.err
            )
            assert spare_is_current("t_mig_behind") and not spare_is_current("t_mig_broken")
            assert spare_is_current("t_alpha") and spare_is_current("t_beta")

            # The next run (here in this process, where executors are counted) tries only the failed one.
            with pytest.raises(CommandError):
                call_command("migrate_tenants", workers=1, retry_failed=True)
            assert executors_built == ["t_mig_broken", "t_mig_broken"]  # the run, then its retry
            assert "retrying 1 failed schema(s)" in capsys.readouterr().out
        finally:
            connection.set_schema_to_public()
            with connection.cursor() as cursor:
                for name in names:
                    cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
            Tenant.objects.filter(schema_name__in=names).delete()


def test_worker_count_comes_from_the_environment(monkeypatch):
    import os
    import runpy

    from inkwell import settings as settings_module

    monkeypatch.setenv("DATABASE_URL", "postgresql://inkwell@db.invalid/inkwell")
    monkeypatch.setenv("REDIS_URL", "redis://redis.invalid:6379/0")
    monkeypatch.delenv("INKWELL_TENANT_MIGRATION_WORKERS", raising=False)
    assert runpy.run_path(settings_module.__file__)["TENANT_MIGRATION_WORKERS"] == os.cpu_count()
    monkeypatch.setenv("INKWELL_TENANT_MIGRATION_WORKERS", "6")
    assert runpy.run_path(settings_module.__file__)["TENANT_MIGRATION_WORKERS"] == 6


def test_a_schema_name_holding_a_double_quote_is_read_as_one_identifier(worlds):
    """The status query quotes each schema as PostgreSQL quotes identifiers (an embedded " doubled):
    a name that closes its quotes must neither break the deploy's query nor run as SQL of its own."""
    odd = 'odd"name'
    leaves = frozenset({("contracts", "9999_only_odd_has_it")})
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "odd""name"')
        cursor.execute('CREATE TABLE "odd""name".django_migrations (app text, name text)')
        cursor.execute('INSERT INTO "odd""name".django_migrations VALUES (%s, %s)', list(*leaves))
    try:
        # the odd schema has the (made-up) leaf, t_alpha doesn't: each read in its own schema
        assert schema_migrations.schemas_current(schema_names=[odd, "t_alpha"], leaves=leaves) == {odd}
    finally:
        with connection.cursor() as cursor:
            cursor.execute('DROP SCHEMA "odd""name" CASCADE')


def test_a_failed_public_schema_stops_the_run_and_says_no_tenant_was_migrated(worlds, monkeypatch, capsys):
    visited = []

    def fail_public(schema_name, **kwargs):
        visited.append(schema_name)
        return schema_migrations.SchemaOutcome(schema_name, schema_name != "public", "ProgrammingError: boom")

    monkeypatch.setattr(schema_migrations, "schemas_current", lambda **kwargs: set())  # all behind
    monkeypatch.setattr(schema_migrations, "migrate_schema", fail_public)
    with pytest.raises(CommandError) as exc:
        call_command("migrate_tenants", workers=1)

    assert visited == ["public"]
    assert "FAILED public: ProgrammingError: boom" in capsys.readouterr().err
    # The tenant schemas were never visited: nothing may read as if they were done.
    assert "the others are done" not in str(exc.value)
    assert "no tenant schema was migrated" in str(exc.value)


def _forget_migration(schema_name: str, app: str, name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{schema_name}".django_migrations WHERE app = %s AND name = %s', [app, name]
        )


def _unapply_bus_recipients(schema_name: str) -> None:
    """Undo chat/0011 and the chat migrations after it in a schema (its column dropped, their
    records deleted), as if they were new."""
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{schema_name}".chat_busmessage DROP COLUMN recipient_ids')
        cursor.execute(
            f'DELETE FROM "{schema_name}".django_migrations WHERE app = %s AND name >= %s',
            ["chat", "0011_bus_recipients"],
        )


def test_one_process_renders_each_starting_state_once_and_goes_on_after_a_failure(
    worlds, monkeypatch, executors_built
):
    """Schemas at the same migrations share one rendered starting state (rendering it is most of what
    Django's migrate costs a schema); a schema at other migrations gets its own, and a schema that
    fails leaves the session usable for the next one."""
    spare = spare_tenants().get().schema_name
    for name in (spare, "t_alpha"):  # both miss chat/0012 only: one starting state
        _forget_migration(name, "chat", "0012_checkpoint_digests")
    _unapply_bus_recipients("t_beta")  # misses chat/0011 and 0012: another
    _new_schema("spare_mig_broken", broken=True)  # from nothing (a third), and fails
    Tenant.objects.create(schema_name="spare_mig_broken", status=Tenant.Status.SPARE)
    with connection.cursor() as cursor:  # for post_migrate to make again, as Django's migrate does
        cursor.execute("DELETE FROM \"t_alpha\".django_content_type WHERE model = 'busmessage'")
    renders = []
    render = schema_migrations.MigrationExecutor._create_project_state

    def counted(executor, with_applied_migrations=False):
        renders.append(connection.schema_name)
        return render(executor, with_applied_migrations)

    monkeypatch.setattr(schema_migrations.MigrationExecutor, "_create_project_state", counted)
    report = schema_migrations.tenants_migrate(workers=1, progress=lambda line: None)

    assert report.migrated == [spare, "t_alpha", "t_beta"]
    assert list(report.failed) == ["spare_mig_broken"]
    assert executors_built == [spare, "spare_mig_broken", "t_alpha", "t_beta"]
    assert renders == [spare, "spare_mig_broken", "t_beta"]  # t_alpha reused the spare's
    for name in (spare, "t_alpha", "t_beta"):
        assert spare_is_current(name)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.columns "
            "WHERE table_name = 'chat_busmessage' AND column_name = 'recipient_ids'"
        )
        assert "t_beta" in {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT count(*) FROM \"t_alpha\".django_content_type WHERE model = 'busmessage'")
        assert cursor.fetchone()[0] == 1


def test_the_schema_table_list_is_django_tenants_own_answer(worlds):
    """The backend lists a schema's tables through pg_depend (indexed) instead of asking
    pg_table_is_visible() of every relation in the database: same tables, views and kinds."""
    from django_tenants.postgresql_backend.introspection import DatabaseSchemaIntrospection

    with connection.cursor() as cursor:
        cursor.execute('CREATE VIEW "t_alpha".a_view AS SELECT 1 AS one')
        cursor.execute("CREATE TEMPORARY TABLE a_temp (id int)")
    for name in ("t_alpha", "public"):
        connection.set_schema(name)
        with connection.cursor() as cursor:
            ours = sorted(connection.introspection.get_table_list(cursor))
            theirs = sorted(DatabaseSchemaIntrospection(connection).get_table_list(cursor))
        assert ours == theirs
        assert len(ours) > 20
        kinds = {(t.name, t.type) for t in ours}
        assert ("a_temp", "t") in kinds
        assert (("a_view", "v") in kinds) == (name == "t_alpha")


def test_a_second_run_while_one_holds_the_lock_migrates_nothing_and_says_why(worlds, alpha):
    """Two deploys at once: the one that finds the run lock taken (here by a real second session)
    exits 1 with a sentence and touches no schema; once the lock is free, a run goes through."""
    import psycopg

    _unapply_bus_recipients(alpha.tenant.schema_name)
    other = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    try:
        assert other.execute("SELECT pg_try_advisory_lock(%s, %s)", schema_migrations.RUN_LOCK).fetchone()[0]
        with pytest.raises(CommandError) as exc:
            call_command("migrate_tenants", workers=1)
        assert exc.value.returncode == 1
        assert str(exc.value).startswith(
            f"Another migrate_tenants is running on this database (PostgreSQL backend {other.info.backend_pid}, "
        )
        assert "nothing was migrated" in str(exc.value)
        assert not spare_is_current(alpha.tenant.schema_name)
        # --check reads only, and needs no lock
        with pytest.raises(CommandError, match=r"1 schema\(s\) behind: t_alpha"):
            call_command("migrate_tenants", check=True)
    finally:
        other.close()
    call_command("migrate_tenants", workers=1, verbosity=0)
    assert spare_is_current(alpha.tenant.schema_name)
