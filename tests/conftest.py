"""Test fixtures: real PostgreSQL (the embedded server unless DATABASE_URL is set) and real Redis.

Tenant schemas are made once per session (two tenants, alpha and beta, each with an owner and a
member) and every test runs inside a transaction that is rolled back, so tests can't see each
other's writes, including the schemas and tenants they create.
"""

import os
import threading
from dataclasses import dataclass

import pytest
import redis as redis_lib
from django.conf import settings
from django.db import connection
from django.test import Client

from inkwell import embedded, sqlcheck

# The browser tests share one browser, one served site and one tenant (package fixtures in
# tests/e2e/conftest.py), so in parallel runs they go to one process together.
_ONE_GROUP = ("tests/e2e/",)
# Seconds each test took in the last run that ran it, kept in pytest's cache.
_SECONDS_KEY = "inkwell/test-seconds"
# Until a run has measured them: the files that run whole stacks or migrate schemas for tens of
# seconds; scheduled last, one of them alone would keep a worker busy after the others have finished.
_KNOWN_SLOW = {
    "tests/test_devstack.py": 60.0,
    "tests/tenants/test_provisioning.py": 40.0,
    "tests/e2e/": 50.0,
    "tests/api/test_schemathesis.py": 20.0,
    "tests/test_install.py": 12.0,
}


def _scope(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return next((group for group in _ONE_GROUP if path.startswith(group)), path)


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # optional: pytest-xdist may be switched off
def pytest_xdist_make_scheduler(config, log):
    """`make test` runs the tests in parallel processes (pytest-xdist, `--dist loadfile`): the tests
    of one file run in the same process, so a module-scoped fixture is still made once, and so do
    the tests under each folder in _ONE_GROUP. The longest files go first (as long as the last run
    measured them), so that no long one is left to start when the other workers are nearly done."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    cache = getattr(config, "cache", None)  # None with `-p no:cacheprovider`
    measured = cache.get(_SECONDS_KEY, {}) if cache is not None else {}

    def expected_seconds(unit) -> float:
        scope, nodeids = unit
        # Unmeasured tests at a tenth of a second each (most take less).
        return max(_KNOWN_SLOW.get(scope, 0.0), sum(measured.get(nodeid, 0.1) for nodeid in nodeids))

    class Scheduling(LoadFileScheduling):
        _ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return _scope(nodeid)

        def _assign_work_unit(self, node) -> None:
            if not self._ordered:  # the queue is complete before the first unit is handed out
                self._ordered = True
                units = sorted(self.workqueue.items(), key=expected_seconds, reverse=True)
                self.workqueue.clear()
                self.workqueue.update(units)
            super()._assign_work_unit(node)

    return Scheduling(config, log)


class _TestTimer:
    """Records, on the process that schedules, how long each test took (without the session set-up
    each worker's first test pays), for the next run's order."""

    def __init__(self, config):
        self.config = config
        self.seconds: dict[str, float] = {}
        self.started: set = set()

    def pytest_runtest_logreport(self, report):
        node = getattr(report, "node", None)  # the worker it came from (in a parallel run)
        if report.when == "setup" and node not in self.started:
            self.started.add(node)
            return
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self, session):
        cache = getattr(self.config, "cache", None)  # None with `-p no:cacheprovider`
        if self.seconds and cache is not None:
            kept = cache.get(_SECONDS_KEY, {})
            kept.update({nodeid: round(seconds, 3) for nodeid, seconds in self.seconds.items()})
            cache.set(_SECONDS_KEY, kept)


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the main process, not an xdist worker
        config.pluginmanager.register(_TestTimer(config), "inkwell-test-timer")


@pytest.fixture(scope="session", autouse=True)
def redis_server():
    """An embedded Redis just for tests, one per xdist worker (reused if one from an earlier run is
    still up)."""
    process = (
        None if os.environ.get("REDIS_URL") else embedded.start_redis(settings.REDIS_PROFILE, reuse=True)
    )
    yield settings.REDIS_URL
    if process is not None:
        embedded.stop_process(process)


def _clear_test_cache() -> None:
    client = redis_lib.Redis.from_url(settings.REDIS_URL)
    try:
        prefix = settings.CACHES["default"]["KEY_PREFIX"]
        site_prefix = settings.CACHES["site"]["KEY_PREFIX"]  # after the schema name (per-tenant keys)
        keys = list(client.scan_iter(f"{prefix}:*", count=500))
        keys += list(client.scan_iter(f"*:{site_prefix}:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="session", autouse=True)
def _citus_sql_check():
    """Every statement the suite runs, on every connection, goes through the Citus-readiness checker
    (inkwell/sqlcheck.py): one that touches two tenant schemas, or a tenant schema and a public table
    other than the reference tables, fails the test that ran it."""
    sqlcheck.install()
    yield
    sqlcheck.uninstall()


@pytest.fixture(autouse=True)
def _no_cross_schema_queries(_citus_sql_check):
    sqlcheck.reset()
    yield
    # Also when the code under test caught the checker's exception and carried on.
    seen = sqlcheck.reset()
    assert not seen, "\n\n".join(seen)


@pytest.fixture(autouse=True)
def _isolated_cache_and_schema():
    from marketing.site import rendered_pages

    _clear_test_cache()  # rate-limit counters must not leak between tests
    rendered_pages.clear()  # nor pages a test rendered from its own (rolled back) data
    yield
    connection.set_schema_to_public()


@dataclass
class TenantWorld:
    tenant: object
    owner: object
    member: object
    host: str


def _make_world(subdomain: str, name: str) -> TenantWorld:
    from tenants.models import Membership, User
    from tenants.services.provisioning import tenant_provision

    result = tenant_provision(
        name=name,
        subdomain=subdomain,
        owner_email=f"owner@{subdomain}.example",
        owner_phone="+1416555" + {"alpha": "0101", "beta": "0202"}[subdomain],
        owner_name=f"{name} Owner",
        external_key=f"test:{subdomain}",
        send_welcome=False,
    )
    member = User.objects.create_user(
        email=f"member@{subdomain}.example", phone="+1416555" + {"alpha": "0111", "beta": "0222"}[subdomain]
    )
    Membership.objects.create(user=member, tenant=result.tenant, role=Membership.Role.MEMBER)
    return TenantWorld(tenant=result.tenant, owner=result.owner, member=member, host=f"{subdomain}.localhost")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After pytest-django has created and migrated the test database, make the shared tenants once."""
    from tenants.services.provisioning import spare_schemas_top_up

    # pytest-django skips creating the test database when no selected test asks for one; never
    # let this fixture write test tenants into a real database in that case.
    assert connection.settings_dict["NAME"].startswith("test_"), (
        "refusing to create test tenants outside a test database"
    )
    with django_db_blocker.unblock():
        spare_schemas_top_up(target=1)
        worlds = {"alpha": _make_world("alpha", "Alpha Movers"), "beta": _make_world("beta", "Beta Shipping")}
        spare_schemas_top_up(target=1)
    yield worlds


@pytest.fixture
def worlds(django_db_setup, db):
    from tenants.models import Tenant, User

    # Fresh instances per test, so one test's in-memory changes never reach the next.
    return {
        key: TenantWorld(
            tenant=Tenant.objects.get(pk=w.tenant.pk),
            owner=User.objects.get(pk=w.owner.pk),
            member=User.objects.get(pk=w.member.pk),
            host=w.host,
        )
        for key, w in django_db_setup.items()
    }


@pytest.fixture
def alpha(worlds):
    return worlds["alpha"]


@pytest.fixture
def beta(worlds):
    return worlds["beta"]


def client_for(world: TenantWorld, user=None, **extra) -> Client:
    """A test client addressing the tenant's own host, optionally signed in as `user` the way the
    sign-in views do it (session bound to that tenant)."""
    client = Client(HTTP_HOST=world.host, **extra)
    if user is not None:
        client.force_login(user)
        session = client.session
        session["tenant"] = world.tenant.schema_name
        session.save()
    return client


@pytest.fixture
def public_client():
    return Client(HTTP_HOST="localhost")


def form_data(*forms) -> dict:
    """What a browser posts for `forms` as they are shown: unticked boxes and file inputs left out."""
    from django.db.models.fields.files import FieldFile

    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False or isinstance(value, FieldFile):
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


def settings_form(world: TenantWorld, **changes) -> dict:
    """The owner's settings form (/dashboard/settings/) posted as stored, with `changes` on top."""
    from tenants.forms import TenantConfigForm
    from tenants.models import TenantConfig

    return {**form_data(TenantConfigForm(instance=TenantConfig.objects.get(pk=world.tenant.pk))), **changes}


def on_own_connection(work):
    """Run `work()` on a thread of its own, so on a database connection of its own (committing as it
    goes, outside the test's rolled-back transaction), and return its result."""
    result = []

    def run():
        try:
            result.append(work())
        except Exception as exc:
            result.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if isinstance(result[0], Exception):
        raise result[0]
    return result[0]
