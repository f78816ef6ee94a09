"""Citus readiness: no SQL statement may touch two tenant schemas, or a tenant schema and a public
table other than the reference tables.

Citus schema-based sharding (`citus.enable_schema_based_sharding`) places each tenant schema whole
on one worker node; the public schema's small, read-mostly tables are distributed as *reference
tables* (a copy on every node). A statement is then routed to one node only if it touches one
tenant schema plus reference tables. One that reads two tenant schemas, or a tenant table and a
public table kept on the coordinator (sessions, the outbox, audit events…), either fails or is
pulled apart across nodes. `check` finds those statements before they are written into code:
tests/conftest.py installs it on every database connection for the whole suite.

A statement's tables are read from its FROM / JOIN / UPDATE / INSERT INTO / DELETE FROM /
TRUNCATE clauses (quoted or not, schema-qualified or not). An unqualified table resolves as
django-tenants' `search_path` (tenant schema, then public) resolves it: a tenant app's table to the
connection's current schema, a shared app's to public. DDL is left alone: django-tenants runs it
schema by schema and Citus propagates it; what DDL may reference (foreign keys from tenant tables
to public ones) is checked from the models by `foreign_key_violations`.
"""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from functools import cache

from django.db.backends.signals import connection_created

PUBLIC = "public"

# The public tables Citus would distribute as reference tables (a copy on every node). Each is small
# (about one row per tenant, user or agent, or a fixed set), changes far less often than it is read,
# and is read together with tenant data, so a tenant's node needs its own copy:
REFERENCE_MODELS = {
    # the tenant itself (host lookup, status, plan: Inkwell's plans are a column here, not a table)
    "tenants.Tenant",
    "tenants.Domain",  # host → tenant, read on every request
    # people: tenant tables point at users (created_by, actor, decided_by), and team pages join them
    "tenants.User",
    "tenants.Membership",
    # agents' identities: tenant tables (agent, agent call, approval) point at their tokens
    "tenants.AgentToken",
    # django.contrib.auth's fixed tables, read with a user's permissions
    "auth.Permission",
    "auth.Group",
    # the public copy of content types; every tenant schema also has its own (contenttypes is in
    # both SHARED_APPS and TENANT_APPS), which an unqualified name on a tenant connection finds first
    "contenttypes.ContentType",
}

# Statements deliberately allowed to break the rule, by a fragment of their SQL. Keep this tiny: each
# entry is a query that cannot run on a Citus cluster as written, with the reason it may stay.
ALLOWED: dict[str, str] = {}
# Tables a statement may read across tenant schemas when it touches nothing else. Deploy tooling,
# not requests: it runs once per deploy on the coordinator, where each schema's part is a
# single-schema query.
ALLOWED_ACROSS_SCHEMAS = {
    # migration status of many schemas in one query (a deploy finds the schemas already current)
    "django_migrations",
}

_DDL = frozenset(
    [
        "ALTER",
        "ANALYZE",
        "BEGIN",
        "COMMENT",
        "COMMIT",
        "CREATE",
        "DISCARD",
        "DO",
        "DROP",
        "GRANT",
        "LISTEN",
        "NOTIFY",
        "RELEASE",
        "RESET",
        "REVOKE",
        "ROLLBACK",
        "SAVEPOINT",
        "SET",
        "SHOW",
        "VACUUM",
    ]
)
_TABLE_KEYWORDS = frozenset({"FROM", "JOIN", "UPDATE", "INTO", "TRUNCATE"})
# Words that may follow FROM/JOIN/… but are not a table's name.
_NOT_TABLES = frozenset({"ONLY", "TABLE", "LATERAL", "SELECT", "VALUES", "WITH"})
_SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema"})
# Identifiers ("quoted" or bare), %s placeholders and 'strings' (skipped), and single punctuation.
_TOKEN = re.compile(r"""'(?:[^']|'')*'|"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z_0-9$]*)|(%s|%\(\w+\)s)|(\S)""")


class CrossSchemaQuery(AssertionError):
    """A statement Citus schema-based sharding could not route to one node."""


def _in_apps(config, app_list: list[str]) -> bool:
    """django-tenants' own test (TenantSyncRouter.app_in_list): the app's name or its AppConfig's path."""
    return config.name in app_list or f"{config.__module__}.{type(config).__name__}" in app_list


@cache
def _tables() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(tenant tables, public tables, reference tables) by db_table, from the installed models and
    the lists that decide where django-tenants creates each app's tables."""
    from django.apps import apps
    from django.conf import settings

    tenant, public = {"django_migrations"}, {"django_migrations"}  # every schema records its own
    for model in apps.get_models(include_auto_created=True):
        config = apps.get_app_config(model._meta.app_label)
        if _in_apps(config, settings.TENANT_APPS):
            tenant.add(model._meta.db_table)
        if _in_apps(config, settings.SHARED_APPS):
            public.add(model._meta.db_table)
    reference = set()
    for name in REFERENCE_MODELS:
        model = apps.get_model(name)
        reference.add(model._meta.db_table)
        # their many-to-many tables (a user's groups and permissions, a group's permissions)
        reference.update(f.remote_field.through._meta.db_table for f in model._meta.local_many_to_many)
    return frozenset(tenant), frozenset(public), frozenset(reference)


@cache
def tables_in(sql: str) -> tuple[tuple[str | None, str], ...]:
    """The (schema or None, table) names a statement reads or writes; () for DDL and session commands."""
    tokens = []
    for match in _TOKEN.finditer(sql):
        quoted, bare, placeholder, punct = match.groups()
        if quoted is not None:
            tokens.append(("name", quoted.replace('""', '"')))
        elif bare is not None:
            tokens.append(("word", bare))
        elif placeholder is not None or punct is not None:
            tokens.append(("punct", punct or "%s"))
        else:
            tokens.append(("punct", "'"))  # a string literal
    if not tokens or (tokens[0][0] == "word" and tokens[0][1].upper() in _DDL):
        return ()
    found = []
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        i += 1
        if kind != "word" or value.upper() not in _TABLE_KEYWORDS:
            continue
        keyword = value.upper()
        while True:
            while i < len(tokens) and tokens[i][0] == "word" and tokens[i][1].upper() in _NOT_TABLES:
                i += 1
            ref, i = _reference(tokens, i, into=keyword == "INTO")
            if ref is None:
                break
            found.append(ref)
            # skip an alias ("AS x" or "x"), then go on with a comma-separated list (FROM a, b; TRUNCATE)
            if i < len(tokens) and tokens[i][0] == "word" and tokens[i][1].upper() == "AS":
                i += 1
            if i < len(tokens) and tokens[i][0] != "punct" and not _is_clause_word(tokens[i]):
                i += 1
            if keyword in ("FROM", "TRUNCATE") and i < len(tokens) and tokens[i] == ("punct", ","):
                i += 1
                continue
            break
    return tuple(found)


_CLAUSE_WORDS = frozenset(
    [
        "WHERE",
        "ON",
        "USING",
        "SET",
        "VALUES",
        "GROUP",
        "ORDER",
        "LIMIT",
        "OFFSET",
        "HAVING",
        "WINDOW",
        "UNION",
        "EXCEPT",
        "INTERSECT",
        "RETURNING",
        "FOR",
        "INNER",
        "LEFT",
        "RIGHT",
        "FULL",
        "CROSS",
        "NATURAL",
        "JOIN",
        "DEFAULT",
        "SELECT",
        "OF",
        "NOWAIT",
        "SKIP",
        "NOTHING",
    ]
)


def _is_clause_word(token: tuple[str, str]) -> bool:
    return token[0] == "word" and token[1].upper() in _CLAUSE_WORDS


def _reference(tokens: list, i: int, *, into: bool = False) -> tuple[tuple[str | None, str] | None, int]:
    """A table reference at tokens[i] (`name` or `schema.name`), or None for a function call, a
    sub-select, a placeholder (EXTRACT(day FROM %s)) or a column (IS DISTINCT FROM "t"."c")."""
    if i >= len(tokens) or tokens[i][0] == "punct" or _is_clause_word(tokens[i]):
        return None, i
    first_kind, first = tokens[i]
    i += 1
    if i + 1 < len(tokens) and tokens[i] == ("punct", ".") and tokens[i + 1][0] != "punct":
        schema, name = first, tokens[i + 1][1]
        i += 2
    else:
        schema, name = None, first
    is_call = first_kind == "word" and schema is None and i < len(tokens) and tokens[i] == ("punct", "(")
    if is_call and not into:  # a function (unnest(…)); after INTO, "t (" starts the column list
        return None, i
    return (schema, name), i


def violation(sql: str, *, schema_name: str) -> str | None:
    """Why `sql`, run with `schema_name` first on the search path, could not be routed to one Citus
    node; None when it can."""
    tenant_tables, public_tables, reference_tables = _tables()
    tenant_schemas, public_used = set(), set()
    known = [(s, t) for s, t in tables_in(sql) if t in tenant_tables or t in public_tables]
    if known and all(table in ALLOWED_ACROSS_SCHEMAS for _, table in known):
        return None
    for schema, table in known:
        if schema in _SYSTEM_SCHEMAS or (schema is None and table.startswith("pg_")):
            continue
        if schema is None:
            # search_path: the tenant's schema first (tenant apps' tables), then public
            schema = schema_name if schema_name != PUBLIC and table in tenant_tables else PUBLIC
        elif schema in tenant_tables or schema in public_tables:
            continue  # "table"."column" (EXTRACT(… FROM "t"."c")), not a table
        if schema == PUBLIC:
            public_used.add(table)
        else:
            tenant_schemas.add(schema)
    if len(tenant_schemas) > 1:
        return f"touches tenant schemas {', '.join(sorted(tenant_schemas))}"
    if tenant_schemas and (others := public_used - reference_tables):
        (schema,) = tenant_schemas
        return f"joins tenant schema {schema} with public table(s) {', '.join(sorted(others))} (not reference tables)"
    return None


# --- the execute wrapper ---------------------------------------------------------------------------

_allowed = threading.local()
found: list[str] = []  # every violation seen since the last `reset()`, for the test's own check


@contextmanager
def allowed(reason: str):
    """Let the statements run inside this block break the rule on this thread: for operator tooling
    that reads every schema on purpose (and would need rewriting for Citus). `reason` is for readers."""
    previous = getattr(_allowed, "reason", None)
    _allowed.reason = reason
    try:
        yield
    finally:
        _allowed.reason = previous


def check(execute, sql, params, many, context):
    """`connection.execute_wrapper` hook: raises CrossSchemaQuery before a statement that breaks the
    rule reaches the database, and records it (should the caller swallow the exception)."""
    if isinstance(sql, str) and getattr(_allowed, "reason", None) is None:
        connection = context["connection"]
        problem = _violation_cached(sql, getattr(connection, "schema_name", None) or PUBLIC)
        if problem is not None and not any(fragment in sql for fragment in ALLOWED):
            message = f"Citus could not route this statement to one node: it {problem}.\n{sql}"
            found.append(message)
            raise CrossSchemaQuery(message)
    return execute(sql, params, many, context)


_cache: dict[tuple[str, str], str | None] = {}


def _violation_cached(sql: str, schema_name: str) -> str | None:
    try:
        return _cache[sql, schema_name]
    except KeyError:
        result = _cache[sql, schema_name] = violation(sql, schema_name=schema_name)
        return result


def _install_on(connection) -> None:
    if check not in connection.execute_wrappers:
        connection.execute_wrappers.append(check)


def _on_connection_created(sender, connection, **kwargs) -> None:
    _install_on(connection)


def install() -> None:
    """Check every statement on every connection of this process from now on (connections made
    later, on other threads, included)."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        _install_on(connection)
    connection_created.connect(_on_connection_created, dispatch_uid="inkwell.sqlcheck")


def uninstall() -> None:
    from django.db import connections

    connection_created.disconnect(dispatch_uid="inkwell.sqlcheck")
    for connection in connections.all(initialized_only=True):
        if check in connection.execute_wrappers:
            connection.execute_wrappers.remove(check)


def reset() -> list[str]:
    """The violations recorded since the last reset, then forget them."""
    seen = list(found)
    found.clear()
    return seen


# --- the models' own references -------------------------------------------------------------------


def foreign_key_violations() -> list[str]:
    """Foreign keys from a tenant table to a public table that is not a reference table: Citus accepts
    a foreign key from a distributed schema's table only to a reference table (or its own schema)."""
    from django.apps import apps

    tenant_tables, public_tables, reference_tables = _tables()
    problems = []
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table not in tenant_tables or table in public_tables:
            continue
        for field in model._meta.concrete_fields:
            target = field.related_model
            if target is None or target._meta.db_table in tenant_tables:
                continue
            if target._meta.db_table not in reference_tables:
                problems.append(f"{model._meta.label}.{field.name} → {target._meta.label}")
    return problems
