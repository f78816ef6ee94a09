"""Behind PgBouncer in transaction mode each transaction may run on another server session, holding
whatever search_path its last client left. PGBOUNCER_TRANSACTION_MODE keeps every statement in its
own tenant's schema anyway (inkwell/db/base.py)."""

import runpy

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from contracts.models import Contract
from contracts.services.contracts import contract_create
from contracts.services.events import Actor
from inkwell.db.base import OUTSIDE_TRANSACTION
from tests.conftest import client_for
from tests.contracts.conftest import CONTRACT_DATA

FORM = {key: str(value) for key, value in CONTRACT_DATA.items()} | {
    "contact_preference": "both",
    "insurance": "declined",
    "insurance_rate": "0",
    "declared_value": "0",
}


class ServerSessionSwap:
    """An execute wrapper standing in for PgBouncer's transaction pooling: before the first statement
    of every transaction the app starts (each statement, in autocommit), the session is reset as a
    different server connection would be — RESET ALL, the parameters PgBouncer itself re-applies
    (TimeZone), and the search_path another tenant's client left there.

    The test's own transaction stands for the server's lifetime: what runs directly inside it is
    autocommit in production, and each block the app opens inside it is one of its transactions.
    """

    def __init__(self, *, left_by: str):
        self.depth = len(connection.savepoint_ids)
        self.left_by = left_by
        self.current = None
        self.swaps = 0

    def __call__(self, execute, sql, params, many, context):
        app_blocks = context["connection"].savepoint_ids[self.depth :]
        transaction = app_blocks[0] if app_blocks else None  # savepoint ids are never reused
        if transaction is None or transaction != self.current:
            with psycopg.ClientCursor(context["connection"].connection) as raw:
                raw.execute("RESET ALL")
                raw.execute("SELECT set_config('TimeZone', %s, false)", [context["connection"].timezone_name])
                raw.execute(f'SET search_path = "{self.left_by}", public')
            self.swaps += 1
        self.current = transaction
        return execute(sql, params, many, context)


def _contracts(world) -> list[str]:
    with tenant_context(world.tenant):
        return sorted(Contract.objects.values_list("customer_name", flat=True))


@pytest.fixture
def one_contract_each(alpha, beta):
    for world, name in ((alpha, "Alma Alpha-Client"), (beta, "Bert Beta-Client")):
        with tenant_context(world.tenant):
            contract_create(
                data=CONTRACT_DATA | {"customer_name": name}, actor=Actor(type="owner", user=world.owner)
            )


def test_a_request_cycle_stays_in_its_tenants_schema_in_transaction_mode(
    alpha, beta, one_contract_each, settings
):
    settings.PGBOUNCER_TRANSACTION_MODE = True
    client = client_for(alpha, user=alpha.owner)
    swap = ServerSessionSwap(left_by=beta.tenant.schema_name)
    with connection.execute_wrapper(swap):
        listing = client.get("/contracts/").content.decode()
        created = client.post("/contracts/new/", FORM | {"customer_name": "Cleo New-Client"})
        detail = client.get(created["Location"])

    assert swap.swaps > 10  # the sessions really were swapped under the requests
    assert "Alma Alpha-Client" in listing and "Bert Beta-Client" not in listing
    assert created.status_code == 302 and detail.status_code == 200
    assert "Cleo New-Client" in detail.content.decode()
    assert _contracts(alpha) == ["Alma Alpha-Client", "Cleo New-Client"]
    assert _contracts(beta) == ["Bert Beta-Client"]


def test_without_it_a_swapped_session_shows_another_tenants_rows(alpha, beta, one_contract_each, settings):
    """What the setting prevents (and proof that the swap above bites): django-tenants' SET runs as a
    transaction of its own, and the query after it lands on a session left by the other tenant."""
    settings.PGBOUNCER_TRANSACTION_MODE = False
    client = client_for(alpha, user=alpha.owner)
    with connection.execute_wrapper(ServerSessionSwap(left_by=beta.tenant.schema_name)):
        listing = client.get("/contracts/").content.decode()
    assert "Bert Beta-Client" in listing and "Alma Alpha-Client" not in listing


def test_statements_keep_their_parameters_and_results(alpha, settings):
    settings.PGBOUNCER_TRANSACTION_MODE = True
    connection.set_tenant(alpha.tenant)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema(), %s, '100%%'", ["it's"])
        assert cursor.fetchone() == ("t_alpha", "it's", "100%")
        cursor.execute("SELECT '100%'")  # no parameters: a % is only a %
        assert cursor.fetchone() == ("100%",)
        cursor.executemany(
            "INSERT INTO contracts_referencecounter (year, last) VALUES (%s, %s)", [(1, 0), (2, 0)]
        )
        assert cursor.rowcount == 2
        cursor.execute("UPDATE contracts_referencecounter SET last = 1 WHERE year IN (1, 2)")
        assert cursor.rowcount == 2


def test_the_setting_turns_server_side_cursors_off(monkeypatch):
    from inkwell import settings as settings_module

    monkeypatch.setenv("DATABASE_URL", "postgresql://inkwell@db.invalid/inkwell")
    monkeypatch.setenv("REDIS_URL", "redis://redis.invalid:6379/0")
    monkeypatch.delenv("INKWELL_PGBOUNCER_TRANSACTION_MODE", raising=False)
    stock = runpy.run_path(settings_module.__file__, run_name="settings_under_test")
    monkeypatch.setenv("INKWELL_PGBOUNCER_TRANSACTION_MODE", "1")
    pooled = runpy.run_path(settings_module.__file__, run_name="settings_under_test")

    assert not stock["PGBOUNCER_TRANSACTION_MODE"]
    assert not stock["DATABASES"]["default"].get("DISABLE_SERVER_SIDE_CURSORS")
    assert (
        pooled["PGBOUNCER_TRANSACTION_MODE"] and pooled["DATABASES"]["default"]["DISABLE_SERVER_SIDE_CURSORS"]
    )
    assert (
        pooled["DATABASES"]["default"]["ENGINE"] == "inkwell.db"
        and pooled["DATABASES"]["default"]["CONN_MAX_AGE"] == 0
    )


def test_statements_refused_in_a_transaction_block_get_their_set_separately(alpha, settings):
    """CREATE DATABASE (pytest-django's own), VACUUM, CREATE INDEX CONCURRENTLY … fail inside the
    implicit transaction of a multi-statement message: they are sent after a SET of their own."""
    settings.PGBOUNCER_TRANSACTION_MODE = True
    assert OUTSIDE_TRANSACTION.search("CREATE INDEX CONCURRENTLY x ON y (z)")
    assert OUTSIDE_TRANSACTION.search('create database "test_x"') and OUTSIDE_TRANSACTION.search("VACUUM y")
    assert not OUTSIDE_TRANSACTION.search("SELECT 1")
    connection.set_tenant(alpha.tenant)
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        cursor.execute("SELECT current_schema() -- as if CONCURRENTLY")
        assert cursor.fetchone() == ("t_alpha",)
        cursor.execute("SELECT current_schema()")
    alone, batched = (q["sql"] for q in queries.captured_queries)
    assert alone.startswith("SELECT") and batched.startswith('SET search_path = "t_alpha","public"; SELECT')


def test_a_caught_database_error_inside_an_atomic_block_leaves_the_transaction_usable(alpha, settings):
    """Django rolls a failed inner block back to its savepoint; that ROLLBACK goes without a SET in
    front (an aborted transaction refuses the SET, and the rollback with it), so the outer block goes
    on — as every get_or_create race and caught IntegrityError needs."""
    from django.db import IntegrityError, transaction

    settings.PGBOUNCER_TRANSACTION_MODE = True
    connection.set_tenant(alpha.tenant)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO contracts_referencecounter (year, last) VALUES (7, 0)")
        with pytest.raises(IntegrityError), transaction.atomic():
            cursor.execute("INSERT INTO contracts_referencecounter (year, last) VALUES (7, 0)")
        cursor.execute("SELECT current_schema(), count(*) FROM contracts_referencecounter WHERE year = 7")
        assert cursor.fetchone() == ("t_alpha", 1)
