"""“Find my workspace” on the public host."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from tenants.models import Membership, Tenant, User
from tests.conftest import client_for

SENT = "has workspaces, we’ve emailed you a list"


def ask(email: str, ip: str = "10.0.0.1"):
    return Client(HTTP_HOST="localhost").post("/find-workspace/", {"email": email}, REMOTE_ADDR=ip)


def member_of_both(alpha, beta):
    Membership.objects.create(user=alpha.owner, tenant=beta.tenant, role=Membership.Role.MEMBER)
    return alpha.owner


def links_in(body: str) -> dict[str, str]:
    """host → sign-in path, for each workspace listed."""
    found = re.findall(r"Sign in: http://([a-z0-9-]+\.localhost):8000(/sign-in/link/\S+/)", body)
    return dict(found)


def test_one_email_lists_every_workspace_with_a_link_that_signs_in_there(alpha, beta):
    person = member_of_both(alpha, beta)
    response = ask(person.email.upper())
    assert response.status_code == 200 and SENT in response.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [person.email]
    body = mail.outbox[0].body
    assert "Alpha Movers — http://alpha.localhost:8000/" in body and "Beta Shipping" in body
    links = links_in(body)
    assert set(links) == {alpha.host, beta.host}
    # each link belongs to its own workspace only (tried while it is still unused)
    assert client_for(beta).post(links[alpha.host]).status_code == 400
    assert client_for(alpha).post(links[beta.host]).status_code == 400
    for world in (alpha, beta):
        client = client_for(world)
        assert client.post(links[world.host]).status_code == 302
        assert client.get("/api/v1/me/").json()["tenant"]["subdomain"] == world.tenant.subdomain


def test_unknown_addresses_get_the_same_answer_and_no_email(alpha):
    def page(email):
        html = ask(email).content.decode().replace(email, "X")
        return re.sub(r'"X-CSRFToken": "\w+"', "", html)

    assert page(alpha.owner.email) == page("nobody@nowhere.example")
    assert [m.to for m in mail.outbox] == [[alpha.owner.email]]


@pytest.mark.parametrize("status", [Tenant.Status.SUSPENDED, Tenant.Status.CANCELED])
def test_only_live_workspaces_are_listed(alpha, beta, status):
    person = member_of_both(alpha, beta)
    Tenant.objects.filter(pk=beta.tenant.pk).update(status=status)
    ask(person.email)
    assert set(links_in(mail.outbox[0].body)) == {alpha.host}
    assert "Beta Shipping" not in mail.outbox[0].body


def test_no_email_without_a_live_workspace_or_for_a_deactivated_person(alpha):
    Tenant.objects.filter(pk=alpha.tenant.pk).update(status=Tenant.Status.SUSPENDED)
    ask(alpha.owner.email)
    User.objects.create_user(email="loner@example.com")  # a person with no workspace at all
    ask("loner@example.com")
    Tenant.objects.filter(pk=alpha.tenant.pk).update(status=Tenant.Status.ACTIVE)
    User.objects.filter(pk=alpha.member.pk).update(is_active=False)
    ask(alpha.member.email)
    assert mail.outbox == []


def test_requests_are_limited_per_address(alpha):
    limit, _ = settings.SIGNIN_RATE_PER_ADDRESS
    for i in range(limit):
        assert ask(alpha.owner.email, ip=f"10.1.0.{i}").status_code == 200
    response = ask(alpha.owner.email.upper(), ip="10.1.1.1")
    assert response.status_code == 429 and "Too many requests" in response.content.decode()
    assert len(mail.outbox) == limit


def test_requests_are_limited_per_ip_before_the_address_is_counted(alpha):
    ip_limit, _ = settings.SIGNIN_RATE_PER_IP
    address_limit, _ = settings.SIGNIN_RATE_PER_ADDRESS
    for i in range(ip_limit):
        assert ask(f"someone{i}@example.com", ip="10.2.2.2").status_code == 200
    for _ in range(address_limit):
        assert ask(alpha.owner.email, ip="10.2.2.2").status_code == 429
    assert ask(alpha.owner.email, ip="10.2.2.3").status_code == 200  # the person's allowance is intact
    assert len(mail.outbox) == 1


def test_bad_email_is_a_form_error(db):
    response = ask("not an email")
    assert response.status_code == 400 and "valid email" in response.content.decode()


def test_linked_from_the_home_page_and_from_sign_in_pages(alpha):
    assert 'href="/find-workspace/"' in Client(HTTP_HOST="localhost").get("/").content.decode()
    for path in ("/sign-in/", "/sign-in/code/"):
        page = client_for(alpha).get(path).content.decode()
        assert 'href="http://localhost:8000/find-workspace/"' in page
    unknown = Client(HTTP_HOST="nobody.localhost").get("/")
    assert unknown.status_code == 404 and "http://localhost:8000/find-workspace/" in unknown.content.decode()
