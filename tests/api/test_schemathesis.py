"""The whole API against its own OpenAPI schema (schemathesis, in-process through Django's WSGI app):
no answer is a server error, and every answer has the status and the shape the schema documents.
Bounded and derandomized, so it runs the same examples every time and in seconds."""

import uuid

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from chat.models import Conversation, Message
from contracts.services.contracts import contract_create
from contracts.services.events import Actor
from marketing.models import Campaign, Lead, Page, SeasonalEvent
from tenants.models import Membership
from tests.api.conftest import in_schema
from tests.conftest import client_for
from tests.contracts.conftest import CONTRACT_DATA

EXAMPLES = 8
CHECKS = [not_a_server_error, response_schema_conformance]


def _conversation():
    conversation = Conversation.objects.create(visitor=uuid.uuid4(), last_message_at=timezone.now())
    Message.objects.create(conversation=conversation, role="visitor", origin="visitor", text="Hi")
    return conversation


def _approval():
    from chat.services.approvals import page_publish_propose
    from tenants.services.agent_tokens import AgentIdentity

    page = Page.objects.create(slug="proposed", title="Proposed", body="An agent's words.")
    return page_publish_propose(page=page, agent=AgentIdentity(token_id=None, name="SEO agent"))


@pytest.fixture
def alpha_ids(alpha, campaigns_on):
    """One object of each kind on alpha: the second pass sends its id where a path takes one, so
    writes reach real objects."""
    in_schema(alpha)
    Campaign.objects.create(name="Search", channel=Campaign.Channel.GOOGLE_ADS, ads_campaign_id="42")
    contract = contract_create(data=CONTRACT_DATA, actor=Actor(type="owner", user=alpha.owner))
    return {
        "/api/v1/campaigns/": Campaign.objects.create(name="Spring radio", channel=Campaign.Channel.RADIO).pk,
        "/api/v1/calendar/events/": SeasonalEvent.objects.create(
            name="Snowbirds", start_month=10, start_day=1, end_month=11, end_day=30
        ).pk,
        "/api/v1/pages/": Page.objects.create(slug="moving", title="Moving").pk,
        "/api/v1/leads/": Lead.objects.create(name="Lea Lead", email="lea@example.com").pk,
        "/api/v1/contracts/": contract.pk,
        "/api/v1/team/": Membership.objects.get(tenant=alpha.tenant, user=alpha.member).pk,
        "/api/v1/chat/conversations/": _conversation().pk,
        "/api/v1/agents/approvals/": _approval().pk,
    }


@pytest.fixture
def wsgi_app():
    """Django's WSGI app, keeping the test's connection open (and its transaction) between requests,
    as Django's own test client does: otherwise each request's end closes it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    django = WSGIHandler()

    def app(environ, start_response):
        # werkzeug's test client sends its cookies only to the host they were set for ("localhost"),
        # and drops a Cookie header: the session reaches the tenant's host under a header of our own.
        if "HTTP_X_TEST_COOKIE" in environ:
            environ["HTTP_COOKIE"] = environ.pop("HTTP_X_TEST_COOKIE")
        return django(environ, start_response)

    yield app
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _run(operation, headers, path_parameters=None) -> list[str]:
    """Run `operation`'s examples; what went wrong (at most one failure: the first example that
    failed), to report every operation's together."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(path_parameters=path_parameters))
    def check(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    try:
        check()
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is the latter
        return [f"{operation.label}: {exc}"]
    return []


def _owner_session(world) -> dict:
    """What a signed-in owner's browser sends: the session, and the CSRF token as cookie and header."""
    session = client_for(world, user=world.owner).cookies[django_settings.SESSION_COOKIE_NAME].value
    csrf = "c" * 32
    return {
        "Host": world.host,
        "X-Test-Cookie": f"{django_settings.SESSION_COOKIE_NAME}={session}; "
        f"{django_settings.CSRF_COOKIE_NAME}={csrf}",
        "X-CSRFToken": csrf,
        "Authorization": "",  # or schemathesis makes up an API key for the schema's key scheme
    }


def _id_for(operation, ids):
    prefix = operation.path.split("{", 1)[0]
    return next((pk for path, pk in ids.items() if prefix.startswith(path)), None)


# What only a person signed in can do (an API key acts for no one): the owner's pass covers these.
SESSION_ONLY = ("/api/v1/me/", "/api/v1/config/", "/api/v1/dashboard/", "/publish/", "/unpublish/")
SESSION_ONLY += ("/api/v1/agents/approvals/",)  # owners decide; an API key gets 403


def _session_only(operation) -> bool:
    if operation.path.startswith("/api/v1/team/") and operation.method.upper() != "GET":
        return True
    return any(part in operation.path for part in SESSION_ONLY)


def test_every_operation_keeps_to_the_schema(alpha, alpha_key, alpha_ids, wsgi_app):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers={"Host": alpha.host})
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    key = {"Host": alpha.host, "Authorization": f"Api-Key {alpha_key}"}
    owner = _owner_session(alpha)
    failures = []
    for operation in operations:
        pk = _id_for(operation, alpha_ids) if "{id}" in operation.path else None
        # alpha's objects' ids where a path takes one, so writes reach real objects
        failures += _run(
            operation, owner if _session_only(operation) else key, path_parameters={"id": pk} if pk else None
        )
    assert not failures, "\n\n".join(failures)
