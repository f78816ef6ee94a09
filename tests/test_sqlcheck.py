"""The Citus-readiness checker (inkwell/sqlcheck.py): what it refuses, what it lets through. The
suite as a whole runs under it (tests/conftest.py), so the suite passing is its other half."""

import contextlib
from types import SimpleNamespace

import pytest
from django.db import connection
from django_tenants.utils import schema_context, tenant_context

from contracts.models import Contract
from contracts.services.contracts import contract_create
from contracts.services.events import Actor
from inkwell import sqlcheck
from tenants.models import AuditEvent, User
from tests.conftest import on_own_connection
from tests.contracts.conftest import CONTRACT_DATA


@pytest.fixture
def forgiven():
    """For tests that trip the checker on purpose: what it recorded, cleared before the suite's own
    after-test check sees it."""
    yield sqlcheck.found
    sqlcheck.reset()


def test_a_query_over_two_tenant_schemas_fails(alpha, beta, forgiven):
    sql = (
        f'SELECT count(*) FROM "{alpha.tenant.schema_name}"."contracts_contract" '
        f'UNION ALL SELECT count(*) FROM "{beta.tenant.schema_name}".contracts_contract'
    )
    with (
        pytest.raises(sqlcheck.CrossSchemaQuery, match="touches tenant schemas t_alpha, t_beta"),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert len(forgiven) == 1


def test_another_schema_named_from_a_tenant_connection_fails(alpha, beta, forgiven):
    sql = f'SELECT c.id FROM contracts_contract c JOIN "{beta.tenant.schema_name}"."contracts_contract" b ON true'
    with (
        schema_context(alpha.tenant.schema_name),
        pytest.raises(sqlcheck.CrossSchemaQuery, match="tenant schemas t_alpha, t_beta"),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


def test_a_tenant_table_with_a_public_table_that_is_not_a_reference_table_fails(alpha, forgiven):
    audited = AuditEvent.objects.values("actor_label")
    with (
        schema_context(alpha.tenant.schema_name),
        pytest.raises(sqlcheck.CrossSchemaQuery, match="public table.s. tenants_auditevent"),
    ):
        list(Contract.objects.filter(customer_name__in=audited))


def test_a_tenant_table_joined_with_reference_tables_passes(alpha):
    with tenant_context(alpha.tenant):
        contract = contract_create(data=CONTRACT_DATA, actor=Actor(type="owner", user=alpha.owner))
        # contracts ⋈ users (a reference table) ⋈ memberships ⋈ tenants: one node under Citus
        found = Contract.objects.filter(
            created_by__email=alpha.owner.email, created_by__memberships__tenant=alpha.tenant
        )
        assert list(found) == [contract]


def test_public_tables_alone_pass_whatever_the_current_schema(alpha):
    with schema_context(alpha.tenant.schema_name):
        # the audit log (public, not a reference table) joined with users and memberships: all public
        by_team = AuditEvent.objects.filter(actor__memberships__tenant=alpha.tenant).count()
        assert by_team == AuditEvent.objects.filter(actor__in=[alpha.owner, alpha.member]).count()
        assert User.objects.filter(memberships__tenant=alpha.tenant).count() == 2


def test_a_swallowed_violation_still_fails_the_test(alpha, forgiven):
    # code that hides the checker's exception
    with schema_context(alpha.tenant.schema_name), contextlib.suppress(Exception):
        list(Contract.objects.filter(customer_name__in=AuditEvent.objects.values("actor_label")))
    # tests/conftest.py's after-test check fails on anything recorded here
    assert len(forgiven) == 1


def test_connections_of_other_threads_are_checked_too(alpha, beta, forgiven):
    def cross():
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT 1 FROM "{alpha.tenant.schema_name}".contracts_contract, "{beta.tenant.schema_name}".contracts_contract'
            )

    with pytest.raises(sqlcheck.CrossSchemaQuery):
        on_own_connection(cross)


def test_an_allowed_block_lets_operator_queries_through(alpha, beta):
    with sqlcheck.allowed("reads every schema's migrations on purpose"), connection.cursor() as cursor:
        cursor.execute(
            f'SELECT count(*) FROM "{alpha.tenant.schema_name}".django_migrations '
            f'UNION ALL SELECT count(*) FROM "{beta.tenant.schema_name}".django_migrations'
        )
        assert [n > 0 for (n,) in cursor.fetchall()] == [True, True]


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ('SELECT "x" FROM "contracts_contract" U0 INNER JOIN tenants_user ON (true)', [(None, "contracts_contract"), (None, "tenants_user")]),
        ('SELECT 1 FROM "alpha"."contracts_contract", public.tenants_user u', [("alpha", "contracts_contract"), ("public", "tenants_user")]),
        ('INSERT INTO "marketing_lead" ("a") SELECT "a" FROM tenants_auditevent', [(None, "marketing_lead"), (None, "tenants_auditevent")]),
        ('UPDATE "chat_task" SET "a" = 1 WHERE "b" IN (SELECT 1 FROM "chat_agent")', [(None, "chat_task"), (None, "chat_agent")]),
        ('DELETE FROM "chat_task" WHERE EXTRACT(day FROM "chat_task"."created") = %s', [(None, "chat_task"), ("chat_task", "created")]),
        ("SELECT * FROM unnest(%s) AS v JOIN chat_agent ON true WHERE x = 'FROM tenants_user'", [(None, "chat_agent")]),
        ('INSERT INTO "chat_agent" ("a") VALUES (%s) ON CONFLICT DO UPDATE SET "a" = 1 FOR UPDATE OF "chat_agent"', [(None, "chat_agent")]),
        ('TRUNCATE "chat_agent", "tenants_user"', [(None, "chat_agent"), (None, "tenants_user")]),
        ('CREATE TABLE "x" ("id" bigint REFERENCES "tenants_auditevent" ("id"))', []),
    ],
)  # fmt: skip
def test_tables_are_read_from_every_clause_quoted_or_not(sql, tables):
    assert list(sqlcheck.tables_in(sql)) == tables


def test_a_column_after_from_is_not_taken_for_a_schema():
    sql = 'SELECT 1 FROM "chat_task" WHERE EXTRACT(day FROM "tenants_auditevent"."created") = 1'
    assert sqlcheck.violation(sql, schema_name="alpha") is None


def test_tenant_tables_point_only_at_reference_tables():
    assert sqlcheck.foreign_key_violations() == []


def test_a_tenant_table_pointing_at_a_non_reference_table_is_reported(monkeypatch):
    monkeypatch.setattr(sqlcheck, "REFERENCE_MODELS", sqlcheck.REFERENCE_MODELS - {"tenants.User"})
    sqlcheck._tables.cache_clear()
    try:
        problems = sqlcheck.foreign_key_violations()
    finally:
        monkeypatch.undo()
        sqlcheck._tables.cache_clear()
    assert "contracts.Contract.created_by → tenants.User" in problems


def test_migration_status_may_be_read_across_schemas_but_nothing_else_with_it(alpha, beta, forgiven):
    status = (
        f'WITH apps(app) AS (VALUES (%s)) SELECT count(*) FROM "{alpha.tenant.schema_name}".django_migrations m '
        f"WHERE m.app IN (SELECT app FROM apps) "
        f'UNION ALL SELECT count(*) FROM "{beta.tenant.schema_name}".django_migrations'
    )
    with connection.cursor() as cursor:
        cursor.execute(status, ["contracts"])
        assert [n > 0 for (n,) in cursor.fetchall()] == [True, True]
    mixed = status.replace(
        f'"{beta.tenant.schema_name}".django_migrations', f'"{beta.tenant.schema_name}".chat_task'
    )
    with pytest.raises(sqlcheck.CrossSchemaQuery), connection.cursor() as cursor:
        cursor.execute(mixed, ["contracts"])


def test_a_cached_verdict_is_kept_per_search_path(forgiven):
    # The same statement text is fine on the public schema (both tables resolve to public) and not
    # on a tenant connection (the contracts table resolves to the tenant's schema): a verdict cached
    # for one search path must not answer for the other, the first time or any later one.
    sql = (
        'SELECT "contracts_contract"."id" FROM "contracts_contract" WHERE "contracts_contract"."customer_name" '
        'IN (SELECT U0."actor_label" FROM "tenants_auditevent" U0) /* cache-key test */'
    )
    ran = []

    def execute(sql, params, many, context):
        ran.append(context["connection"].schema_name)

    def run_on(schema_name):
        sqlcheck.check(execute, sql, None, False, {"connection": SimpleNamespace(schema_name=schema_name)})

    for _ in range(2):
        run_on("public")
        with pytest.raises(
            sqlcheck.CrossSchemaQuery, match="t_alpha with public table.s. tenants_auditevent"
        ):
            run_on("t_alpha")
    assert ran == ["public", "public"]
    assert len(forgiven) == 2
