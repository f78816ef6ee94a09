"""django-tenants' PostgreSQL backend, correct behind PgBouncer in transaction pooling mode.

The problem. django-tenants sends `SET search_path = <tenant>, public` when Django makes a cursor
and trusts that setting for what the cursor runs next. Outside `transaction.atomic` (most reads, the
tenant middleware, many task and command queries) Django runs in autocommit, so the SET and the
query are two transactions. PgBouncer in transaction mode hands out a server connection per
transaction: the query may run on another server session, with the search_path some other client
left there — another tenant's tables, silently.

The fix, on with the setting PGBOUNCER_TRANSACTION_MODE: every statement carries its own
search_path. The cursor sends `SET search_path = …; <statement>` as ONE message. Django binds
parameters on the client (psycopg's ClientCursor, Django's default), so the statement is plain
text and the message goes by the simple query protocol, where PostgreSQL runs all of its statements
as one implicit transaction — and PgBouncer keeps one server connection for a whole transaction.
So the statement runs with its tenant's path whether or not it is inside an atomic block, in
requests, Celery tasks and commands alike, at one round trip per statement (the stock backend
spends an extra one on the SET for every cursor). django-tenants' own per-cursor SET is then
skipped: it would be a transaction of its own, worth nothing.

Why not the alternatives: ATOMIC_REQUESTS only wraps views (the tenant middleware's lookup, tasks
and commands still run in autocommit); `SET LOCAL` at the start of each atomic block leaves every
autocommit query exposed; wrapping each of those in BEGIN / SET LOCAL / COMMIT costs four round
trips per query. Statement-level SET needs nothing from the callers.

What it does not cover: the raw psycopg connection (`connection.connection`) and `cursor.copy()`,
which send no SET of their own (a COPY inside a transaction uses the path its transaction's last
statement set). Off (the default), this backend behaves exactly like django-tenants'.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db.backends.postgresql.base import Cursor as DjangoCursor
from django.db.backends.postgresql.introspection import TableInfo
from django_tenants.postgresql_backend import base as tenants_base
from django_tenants.postgresql_backend.introspection import DatabaseSchemaIntrospection
from django_tenants.utils import quote_schema_name

# Statements PostgreSQL refuses inside a transaction block, which a multi-statement message is.
# They get the SET as a message of its own, as django-tenants sends it: right on a direct connection
# (run migrations and database administration there, not through PgBouncer).
OUTSIDE_TRANSACTION = re.compile(
    r"^\s*(?:(?:CREATE|DROP)\s+(?:DATABASE|TABLESPACE)|VACUUM|ALTER\s+SYSTEM)\b|\bCONCURRENTLY\b",
    re.IGNORECASE,
)

# Transaction control needs no search_path, and must not get one: after an error the transaction
# is aborted and refuses every statement but ROLLBACK — a SET in front of `ROLLBACK TO SAVEPOINT`
# would fail, and with it every caught IntegrityError inside an atomic block.
TRANSACTION_CONTROL = re.compile(
    r"^\s*(?:SAVEPOINT|RELEASE|ROLLBACK|COMMIT|BEGIN|START\s+TRANSACTION|END)\b", re.IGNORECASE
)


def transaction_pooling() -> bool:
    return bool(getattr(settings, "PGBOUNCER_TRANSACTION_MODE", False))


class Cursor(DjangoCursor):
    """Django's client-side-binding cursor; sends `search_path_statement()` in front of each statement
    when that returns one (only for cursors made by DatabaseWrapper.create_cursor)."""

    search_path_statement = None

    def execute(self, query, params=None, *, prepare=None, binary=None):
        statement = self.search_path_statement() if self.search_path_statement is not None else None
        if statement is None or (isinstance(query, str) and TRANSACTION_CONTROL.match(query)):
            return super().execute(query, params, prepare=prepare, binary=binary)
        if isinstance(query, str) and OUTSIDE_TRANSACTION.search(query):
            super().execute(statement)
            return super().execute(query, params, prepare=prepare, binary=binary)
        if params is not None:
            query = self.mogrify(query, params)  # merged here; no placeholder is read again below
        elif isinstance(query, bytes):
            query = query.decode()
        elif not isinstance(query, str):
            query = query.as_string(self)  # psycopg.sql composables
        super().execute(f"{statement}; {query}", binary=binary)
        self.nextset()  # expose the statement's result, not the SET's
        return self

    def executemany(self, query, params_seq, *, returning=False):
        if self.search_path_statement is None or self.search_path_statement() is None:
            return super().executemany(query, params_seq, returning=returning)
        # One statement (with its SET) per parameter set; rowcount adds up as psycopg's own does.
        total = 0
        for params in params_seq:
            self.execute(query, params)
            total += max(self.rowcount, 0)
        self._rowcount = total
        return None


class Introspection(DatabaseSchemaIntrospection):
    def get_table_list(self, cursor):
        """The tables and views of the connection's schema (and of its temporary schema).

        django-tenants narrows the search_path to the schema and keeps Django's query, which calls
        pg_table_is_visible() on every relation in the database: ~240 a tenant, a quarter of a million
        at 1,000 tenants, for each `has_table` of the migration recorder (six per schema migrated, one
        per spare made). pg_class has no index on the namespace, but pg_depend does: every relation
        records a dependency on its schema, found through pg_depend's index on what is depended on.
        The same answer (tested against django-tenants' own), without the SHOW/SET round trips.
        """
        cursor.execute(
            """
            SELECT c.relname,
                   CASE WHEN c.relispartition THEN 'p' WHEN c.relkind IN ('m', 'v') THEN 'v' ELSE 't' END,
                   obj_description(c.oid, 'pg_class')
            FROM pg_catalog.pg_depend d
            JOIN pg_catalog.pg_class c ON c.oid = d.objid
            WHERE d.classid = 'pg_catalog.pg_class'::regclass
              AND d.refclassid = 'pg_catalog.pg_namespace'::regclass
              AND d.refobjid IN (
                  SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = %s
                  UNION ALL SELECT pg_catalog.pg_my_temp_schema()
              )
              AND c.relkind IN ('f', 'm', 'p', 'r', 'v')
            """,
            [self.connection.schema_name],
        )
        return [TableInfo(*row) for row in cursor.fetchall() if row[0] not in self.ignored_tables]


class DatabaseWrapper(tenants_base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.introspection = Introspection(self)

    def get_connection_params(self):
        params = super().get_connection_params()
        if params.get("cursor_factory") is DjangoCursor:
            params["cursor_factory"] = Cursor
        return params

    def create_cursor(self, name=None):
        cursor = super().create_cursor(name)
        if name is None and isinstance(cursor, Cursor):
            cursor.search_path_statement = self._search_path_statement
        return cursor

    def _search_path_statement(self) -> str | None:
        if not transaction_pooling():
            return None
        key = (self.schema_name, self.include_public_schema)
        cached = getattr(self, "_search_path_cache", None)
        if cached is None or cached[0] != key:
            paths = ",".join(quote_schema_name(s) for s in self._get_cursor_search_paths())
            cached = self._search_path_cache = (key, f"SET search_path = {paths}")
        return cached[1]

    def _handle_search_path(self, cursor=None):
        if transaction_pooling() and cursor is not None:
            return  # each statement sets its own (see the module docstring)
        # A server-side (named) cursor can't carry it: those are off behind PgBouncer
        # (DISABLE_SERVER_SIDE_CURSORS), and get django-tenants' own SET otherwise.
        super()._handle_search_path(cursor)
