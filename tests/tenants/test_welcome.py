"""Welcome (and invitation) links: queued to the worker, delivered once per delivery, single use,
valid SIGNIN_WELCOME_TTL (7 days) rather than the 15 minutes of a sign-in link."""

import re
from datetime import UTC, datetime, timedelta
from unittest.mock import ANY

import pytest
from django.conf import settings
from django.core import mail

from tenants import tasks
from tenants.models import SignInToken
from tenants.services.provisioning import tenant_provision
from tenants.services.signin import signin_code_request, signin_welcome_deliver, signin_welcome_send
from tests.conftest import client_for

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def welcome_path(world) -> str:
    """Send `world`'s owner a welcome link (the task runs inline in tests) and return its path."""
    signin_welcome_send(tenant=world.tenant, user=world.owner)
    url = re.search(r"http://\S+/sign-in/link/\S+/", mail.outbox[-1].body).group(0)
    return "/" + url.split("/", 3)[3]


@pytest.mark.parametrize(
    "age, works", [(timedelta(days=7) - timedelta(seconds=1), True), (timedelta(days=7), False)]
)
def test_a_welcome_link_works_for_seven_days(alpha, time_machine, age, works):
    time_machine.move_to(START, tick=False)
    path = welcome_path(alpha)
    time_machine.move_to(START + age, tick=False)
    client = client_for(alpha)
    assert client.get(path).status_code == (200 if works else 400)
    response = client.post(path)
    assert response.status_code == (302 if works else 400)
    assert (client.get("/dashboard/").status_code == 200) is works


def test_a_welcome_link_works_once(alpha):
    path = welcome_path(alpha)
    assert client_for(alpha).post(path).status_code == 302
    again = client_for(alpha).post(path)
    assert again.status_code == 400 and "already been used" in again.content.decode()


def test_welcome_lifetime_is_configurable_and_the_email_says_it(alpha, settings, time_machine):
    settings.SIGNIN_WELCOME_TTL = timedelta(days=3)
    time_machine.move_to(START, tick=False)
    welcome_path(alpha)
    message = mail.outbox[-1]
    assert "valid for 3 days" in message.body and "valid for 3 days" in message.alternatives[0][0]
    token = SignInToken.objects.get(kind=SignInToken.Kind.WELCOME)
    assert token.expires_at == START + timedelta(days=3) and token.user == alpha.owner


def test_the_default_welcome_email_says_seven_days(alpha):
    welcome_path(alpha)
    assert timedelta(days=7) == settings.SIGNIN_WELCOME_TTL
    assert "valid for 7 days" in mail.outbox[-1].body


def test_a_redelivered_welcome_task_sends_no_second_link(alpha):
    args = dict(tenant=alpha.tenant, user=alpha.owner, delivery_id="a" * 32)
    assert signin_welcome_deliver(**args) is True
    assert signin_welcome_deliver(**args) is False
    assert len(mail.outbox) == 1 and SignInToken.objects.filter(kind="welcome").count() == 1


def test_resending_the_welcome_sends_a_new_link(alpha):
    first, second = welcome_path(alpha), welcome_path(alpha)
    assert first != second and len(mail.outbox) == 2
    assert client_for(alpha).post(second).status_code == 302


def test_provisioning_queues_the_welcome_only_once_the_tenant_is_committed(
    worlds, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(
        tasks.signin_welcome_deliver, "apply_async", lambda *a, **kw: queued.append(kw["kwargs"])
    )
    with django_capture_on_commit_callbacks() as callbacks:
        result = tenant_provision(name="Gamma Haulers", subdomain="gamma", owner_email="owner@gamma.example")
    assert queued == [] and mail.outbox == []
    for callback in callbacks:
        callback()
    assert queued == [{"tenant_id": result.tenant.pk, "user_id": result.owner.pk, "delivery_id": ANY}]


def test_a_code_challenge_is_not_a_sign_in_link(alpha):
    challenge = signin_code_request(tenant=alpha.tenant, phone=alpha.owner.phone, ip=None)
    client = client_for(alpha)
    assert client.post(f"/sign-in/link/{challenge}/").status_code == 400
    assert client.get("/dashboard/").status_code == 302


def test_no_welcome_reaches_a_person_who_is_no_longer_an_active_member(alpha):
    alpha.member.is_active = False
    alpha.member.save()
    args = dict(tenant=alpha.tenant, delivery_id="c" * 32)
    assert signin_welcome_deliver(user=alpha.member, **args) is False
    alpha.owner.memberships.all().delete()
    assert signin_welcome_deliver(user=alpha.owner, delivery_id="d" * 32, tenant=alpha.tenant) is False
    assert mail.outbox == [] and not SignInToken.objects.exists()
