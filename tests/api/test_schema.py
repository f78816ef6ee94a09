"""The OpenAPI schema (/api/schema/) and the docs (/api/docs/)."""

import re

import yaml
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api.conftest import key_client
from tests.conftest import client_for


def _api_paths(patterns=None, prefix="") -> set[str]:
    """Every /api/v1/ path of the tenant URLconf, in OpenAPI's spelling ({id})."""
    paths = set()
    for pattern in get_resolver("inkwell.urls_tenant").url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            paths |= _api_paths(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
            paths.add("/" + re.sub(r"<(?:\w+:)?pk>", "{id}", route))  # every API path takes a pk
    return paths


def test_schema_generates_without_a_warning(tmp_path):
    # What `manage.py spectacular --validate --fail-on-warn` checks: OpenAPI 3 valid, nothing guessed.
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert set(schema["paths"]) == _api_paths()  # every endpoint is documented
    api_key = schema["components"]["securitySchemes"]["ApiKey"]
    assert (api_key["type"], api_key["in"], api_key["name"]) == ("apiKey", "header", "Authorization")
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {"code", "message", "fields"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403", "404"} <= codes, (method, path)
            for code in codes - {"200", "201", "204"}:
                ref = operation["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", (method, path, code)
            if method in ("post", "patch") and operation.get("requestBody"):
                assert "400" in codes, (method, path)


def test_anyone_may_read_the_schema(alpha, public_client):
    response = client_for(alpha).get("/api/schema/?format=json")
    assert response.status_code == 200
    body = response.content.decode()
    assert alpha.tenant.name not in body and alpha.owner.email not in body  # no tenant data in it
    assert public_client.get("/api/schema/").status_code == 404  # tenant hosts only


def test_the_docs_are_for_members_and_keys(alpha, beta, alpha_key):
    anonymous = client_for(alpha).get("/api/docs/")
    assert anonymous.status_code == 302 and "/sign-in/" in anonymous["Location"]
    assert client_for(alpha, user=beta.owner).get("/api/docs/").status_code == 404
    assert key_client(alpha, alpha_key).get("/api/docs/").status_code == 200
    response = client_for(alpha, user=alpha.member).get("/api/docs/")
    assert response.status_code == 200


def test_the_docs_page_keeps_to_the_csp(alpha):
    client = client_for(alpha, user=alpha.member)
    response = client.get("/api/docs/")
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    # no inline script or style: every script and stylesheet is a file on this host
    assert "<style" not in html and " style=" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/' in attrs and not body.strip() for attrs, body in scripts)
    sources = re.findall(r'(?:src|href)="(/[^"]+)"', html)
    assert any("swagger-ui-bundle.js" in s for s in sources)
    for source in sources:
        assert client.get(source.replace("&amp;", "&")).status_code == 200, source
    start_up = client.get([s for s in sources if "script" in s][0].replace("&amp;", "&"))
    assert start_up["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in start_up.content.decode() and "/api/schema/" in start_up.content.decode()


def test_the_schema_is_built_once_per_process(alpha, beta, monkeypatch):
    # Anyone may ask for it: building it for each request (about 0.3 s of CPU) would be an easy way to
    # load the server. Neither another host nor ?lang= / ?version= makes it build again.
    from drf_spectacular.generators import SchemaGenerator

    from inkwell.openapi import SchemaView

    monkeypatch.setattr(SchemaView, "built", None)
    builds = []
    original = SchemaGenerator.get_schema
    monkeypatch.setattr(
        SchemaGenerator, "get_schema", lambda self, **kw: builds.append(1) or original(self, **kw)
    )
    first = Client(HTTP_HOST=alpha.host).get("/api/schema/?format=json")
    again = Client(HTTP_HOST="beta.localhost").get("/api/schema/?format=json&lang=xx&version=9")
    assert first.status_code == again.status_code == 200
    assert len(builds) == 1 and first.json() == again.json()
