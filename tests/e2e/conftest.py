"""Browser tests: Debian's Chromium, driven by Playwright, against the project served for real.

pytest-django's `live_server` is transactional and flushes every table afterwards, which would
wipe the session's shared tenants. So this package provisions a tenant of its own (committed,
with names no other test uses), serves the project from Django's LiveServerThread on a free
port of 127.0.0.1, and removes all of it when the package is done.

The server thread lives in this process, so it sends email through the locmem backend that
pytest-django installs: tests read sign-in links from `django.core.mail.outbox`, and SMS codes
from the OutboundMessage table, as the outbox SMS backend stores them.

Tests are marked `django_db` (which also makes pytest-django create the test database when only
browser tests are selected): the test's own connection sits in a transaction that is rolled back,
and only reads; everything the server writes is committed and removed with the tenant.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import expect

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling Google, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

SUBDOMAIN = "alpha-e2e"
BUSINESS = "Alpha E2E Movers"
OWNER_EMAIL = "owner@alpha-e2e.example"
OWNER_PHONE = "+14165550333"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Runs before any fixture, so nothing is provisioned or started for a test that can't run.
    if not CHROMIUM.exists():
        pytest.skip(
            f"Chromium not installed: apt-get install chromium (no {CHROMIUM}); skipping browser tests"
        )


@dataclass(frozen=True)
class Site:
    tenant: object
    owner: object
    host: str  # what the browser addresses: alpha-e2e.localhost:<port>
    url: str  # http://<host>


def _remove_tenant_and_owner() -> None:
    """Delete everything this package makes (also what a crashed run left in a reused database)."""
    from django.contrib.sessions.models import Session
    from django.db.models import Q

    from tenants.models import OutboundMessage, Tenant, User
    from tenants.services.provisioning import spare_schema_drop

    owner = User.objects.filter(email=OWNER_EMAIL).first()
    for tenant in Tenant.objects.filter(subdomain=SUBDOMAIN):
        OutboundMessage.objects.filter(tenant=tenant).delete()
        spare_schema_drop(tenant)  # DROP SCHEMA … CASCADE, then the row (domain, config, memberships cascade)
    OutboundMessage.objects.filter(Q(to=OWNER_EMAIL) | Q(to=OWNER_PHONE)).delete()
    if owner is not None:
        for session in Session.objects.all():
            if session.get_decoded().get("_auth_user_id") == str(owner.pk):
                session.delete()
        owner.delete()


@pytest.fixture(scope="package")
def e2e_tenant(django_db_setup, django_db_blocker):
    from tenants.selectors import spare_tenants
    from tenants.services.provisioning import spare_schemas_top_up, tenant_provision

    with django_db_blocker.unblock():
        _remove_tenant_and_owner()
        spares = spare_tenants().count()
        result = tenant_provision(
            name=BUSINESS,
            subdomain=SUBDOMAIN,
            owner_email=OWNER_EMAIL,
            owner_phone=OWNER_PHONE,
            owner_name="Ada Owner",
            send_welcome=False,
        )
        spare_schemas_top_up(target=spares)  # other tests count on the pool the session started with
    yield result
    with django_db_blocker.unblock():
        _remove_tenant_and_owner()


@pytest.fixture(scope="package")
def site(e2e_tenant):
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread
    from django.test.utils import override_settings

    # LiveServerThread closes its database connections after each request and when it stops,
    # so pytest-django can drop the test database at the end.
    server = LiveServerThread("127.0.0.1", StaticFilesHandler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    host = f"{SUBDOMAIN}.{settings.INKWELL_DOMAIN}:{server.port}"
    # Links in emails must point at this server, as they would at the real one.
    with override_settings(INKWELL_PORT=server.port, INKWELL_PUBLIC_URL=f"http://localhost:{server.port}"):
        yield Site(tenant=e2e_tenant.tenant, owner=e2e_tenant.owner, host=host, url=f"http://{host}")
    server.terminate()


@pytest.fixture(scope="package")
def browser():
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop parked in this thread. Django then takes this for
    # an async context: it refuses database calls (they are in fact synchronous, so allow them) and
    # hands out a second set of connections, which must be closed before the loop goes away or
    # they outlive the test database.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        connections.close_all()


@pytest.fixture
def page(site, browser):  # site first, so the server outlives the browser and its open connections
    """A fresh phone-sized browser (no cookies) with the tenant's site as base URL."""
    context = browser.new_context(**PHONE, base_url=site.url)
    context.set_default_timeout(5_000)
    page = context.new_page()
    yield page
    context.close()


def emailed_link(to: str) -> str:
    message = next(m for m in reversed(mail.outbox) if m.to == [to])
    return re.search(r"http://\S+/sign-in/link/\S+/", message.body).group(0)


def sign_in_by_link(page, site) -> None:
    """What the owner does: ask for a link, open it from the email, confirm."""
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(OWNER_EMAIL)
    page.get_by_role("button", name="Email me a sign-in link").tap()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(emailed_link(OWNER_EMAIL))
    page.get_by_role("button", name=f"Continue to {BUSINESS}").tap()
    expect(page).to_have_url(f"{site.url}/dashboard/")


@pytest.fixture
def owner_page(page, site):
    """`page`, signed in as the owner."""
    sign_in_by_link(page, site)
    return page
