"""Every host looks finished: static files and the icon on any host, https redirects that spare the
health probe, and 404 log lines that say which host they were for."""

import logging

import pytest
from django.test import Client

from tenants.services.status import tenant_suspend
from tests.conftest import client_for

STYLESHEET = "/static/inkwell/app.css"
HTMX = "/static/vendor/htmx/htmx.min.js"


@pytest.mark.parametrize("host", ["nobody.localhost", "localhost", "alpha.localhost", "127.0.0.1"])
def test_static_files_load_on_every_host(worlds, host):
    for path in [STYLESHEET, HTMX]:
        response = Client(HTTP_HOST=host).get(path)
        assert response.status_code == 200, (host, path)


def test_unknown_host_page_uses_static_files_that_load(db):
    client = Client(HTTP_HOST="nobody.localhost")
    page = client.get("/").content.decode()
    assert STYLESHEET in page and HTMX in page
    assert client.get(STYLESHEET).status_code == 200


def test_suspended_tenant_page_uses_static_files_that_load(alpha):
    tenant_suspend(tenant=alpha.tenant, reason="unpaid")
    client = client_for(alpha)
    page = client.get("/")
    assert page.status_code == 403 and STYLESHEET in page.content.decode()
    assert client.get(STYLESHEET).status_code == 200


@pytest.mark.parametrize("host", ["localhost", "alpha.localhost"])
def test_favicon_is_served_on_public_and_tenant_hosts(worlds, host):
    client = Client(HTTP_HOST=host)
    assert '<link rel="icon" href="/static/inkwell/favicon.svg"' in client.get("/").content.decode()
    response = client.get("/favicon.ico", follow=True)
    assert response.redirect_chain == [("/static/inkwell/favicon.svg", 301)]
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"


@pytest.mark.parametrize(
    "host, path",
    [("alpha.localhost", "/no-such-page/"), ("nobody.localhost", "/"), ("localhost", "/no-such-page/")],
)
def test_not_found_log_lines_name_the_host(worlds, caplog, host, path):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert Client(HTTP_HOST=host).get(path).status_code == 404
    assert [r.getMessage() for r in caplog.records if r.name == "django.request"] == [
        f"Not Found: {path} on {host}"
    ]


def test_logged_host_is_escaped(worlds, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        Client(HTTP_HOST="localhost").get("/no-such-page/", HTTP_HOST="localhost\nforged line")
    assert all("\n" not in r.getMessage() for r in caplog.records)


def test_https_redirect_honours_the_proxy_and_spares_the_health_probe(worlds, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    plain = Client(HTTP_HOST="alpha.localhost")
    response = plain.get("/dashboard/")
    assert response.status_code == 301 and response["Location"] == "https://alpha.localhost/dashboard/"
    assert plain.get("/healthz").status_code == 200  # load balancers probe over plain http
    assert Client(HTTP_HOST="alpha.localhost", HTTP_X_FORWARDED_PROTO="https").get("/").status_code == 200


def test_unknown_host_page_carries_the_security_headers(db):
    response = Client(HTTP_HOST="nobody.localhost").get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
