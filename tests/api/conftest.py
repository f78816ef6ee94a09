"""Fixtures of the API tests: the tenants' API keys, a person in both tenants, and campaigns on."""

import pytest
from django.db import connection

from tenants.models import Membership, TenantConfig, User
from tenants.services.apikeys import apikey_create
from tests.conftest import TenantWorld, client_for


def key_client(world: TenantWorld, key: str):
    return client_for(world, HTTP_AUTHORIZATION=f"Api-Key {key}")


@pytest.fixture
def campaigns_on(alpha, beta):
    TenantConfig.objects.filter(pk__in=[alpha.tenant.pk, beta.tenant.pk]).update(feature_campaigns=True)


@pytest.fixture
def alpha_key(alpha):
    return apikey_create(tenant=alpha.tenant, label="Alpha's CRM", actor=None).key


@pytest.fixture
def beta_key(beta):
    return apikey_create(tenant=beta.tenant, label="Beta's CRM", actor=None).key


@pytest.fixture
def both(alpha, beta):
    """An owner of beta who is also a member of alpha: signed in on beta's host, only the tenant
    check can keep alpha's objects from them."""
    person = User.objects.create_user(email="both@example.com")
    Membership.objects.create(user=person, tenant=alpha.tenant, role=Membership.Role.MEMBER)
    Membership.objects.create(user=person, tenant=beta.tenant, role=Membership.Role.OWNER)
    return client_for(beta, user=person)


def in_schema(world: TenantWorld):
    """Switch the connection to `world`'s schema, for making its objects with the services."""
    connection.set_tenant(world.tenant)
