"""The owner's Telegram page (/agents/telegram/): a one-time deep link shown once, the business's
linked chats, each chat's notifications (changed by whoever linked it), unlinking; members and
other businesses' owners kept out."""

import hashlib
import re

import pytest

from tenants.models import Membership, TelegramLink, TelegramLinkCode, User
from tests.chat.telegram_helpers import CHAT, link_chat
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
PAGE = "/agents/telegram/"


def test_the_owner_makes_a_link_shown_once(alpha):
    client = client_for(alpha, user=alpha.owner)
    assert "No chat is linked yet" in client.get(PAGE).content.decode()
    response = client.post(f"{PAGE}link/")
    # The code links a chat to the business (leads, approvals): never kept by a cache or the history.
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    code = re.search(r"https://t\.me/InkwellDemoBot\?start=([\w-]+)", page).group(1)
    assert len(code) >= 40
    stored = TelegramLinkCode.objects.get()
    assert stored.digest == hashlib.sha256(code.encode()).hexdigest()
    assert (stored.tenant, stored.user) == (alpha.tenant, alpha.owner)
    assert f'--text "/start {code}"' in page  # how to try it with the outbox backend
    assert code not in client.get(PAGE).content.decode()


def test_the_page_lists_the_businesss_chats_and_saves_preferences(alpha):
    link = link_chat(alpha)
    client = client_for(alpha, user=alpha.owner)
    page = client.get(PAGE).content.decode()
    assert "Ada (@ada)" in page and alpha.owner.email in page
    response = client.post(f"{PAGE}{link.pk}/preferences/", {"notify_contracts": "on"})
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.notify_leads, link.notify_contracts, link.notify_handovers) == (False, True, False)


def test_only_whoever_linked_a_chat_changes_what_it_is_told(alpha):
    co_owner = User.objects.create_user(email="co-owner@alpha.example")
    Membership.objects.create(user=co_owner, tenant=alpha.tenant, role=Membership.Role.OWNER)
    link = link_chat(alpha)
    response = client_for(alpha, user=co_owner).post(f"{PAGE}{link.pk}/preferences/", {})
    assert response.status_code == 403
    link.refresh_from_db()
    assert link.notify_leads and link.notify_contracts


def test_an_owner_unlinks_a_chat(alpha):
    link = link_chat(alpha)
    assert client_for(alpha, user=alpha.owner).post(f"{PAGE}{link.pk}/unlink/").status_code == 302
    assert not TelegramLink.objects.filter(pk=link.pk).exists()


@pytest.mark.parametrize("action", ["link/", "{pk}/preferences/", "{pk}/unlink/"])
def test_members_cannot_link_or_change_chats(alpha, action):
    link = link_chat(alpha)
    response = client_for(alpha, user=alpha.member).post(PAGE + action.format(pk=link.pk), {})
    assert response.status_code == 403
    assert not TelegramLinkCode.objects.exists() and TelegramLink.objects.get(pk=link.pk).notify_leads


@pytest.mark.parametrize("action", ["{pk}/preferences/", "{pk}/unlink/"])
def test_another_businesss_chat_is_not_found_even_by_an_owner_of_both(alpha, beta, action):
    person = User.objects.create_user(email="both-telegram-page@example.com")
    for world in (alpha, beta):
        Membership.objects.create(user=person, tenant=world.tenant, role=Membership.Role.OWNER)
    beta_link = link_chat(beta, chat_id=CHAT, user=person)
    response = client_for(alpha, user=person).post(PAGE + action.format(pk=beta_link.pk), {})
    assert response.status_code == 404
    beta_link.refresh_from_db()
    assert beta_link.notify_leads
    assert "Ada (@ada)" not in client_for(alpha, user=person).get(PAGE).content.decode()


def test_the_page_takes_only_post_for_changes(alpha):
    client = client_for(alpha, user=alpha.owner)
    assert client.get(f"{PAGE}link/").status_code == 405
    assert not TelegramLinkCode.objects.exists()


def test_old_update_ids_and_expired_codes_are_purged_daily(alpha, settings):
    from datetime import timedelta

    from django.utils import timezone

    from chat import tasks
    from chat.telegram.links import telegram_link_code_create
    from tenants.models import TelegramUpdate

    assert settings.CELERY_BEAT_SCHEDULE["telegram-purge"]["task"] == tasks.telegram_purge.name
    now = timezone.now()
    TelegramUpdate.objects.create(update_id=1)
    TelegramUpdate.objects.create(update_id=2)
    TelegramUpdate.objects.filter(update_id=1).update(received=now - timedelta(days=7, seconds=1))
    TelegramUpdate.objects.filter(update_id=2).update(received=now - timedelta(days=6, hours=23))
    telegram_link_code_create(tenant=alpha.tenant, user=alpha.owner)
    telegram_link_code_create(tenant=alpha.tenant, user=alpha.owner)
    old, recent = TelegramLinkCode.objects.order_by("pk")
    TelegramLinkCode.objects.filter(pk=old.pk).update(expires_at=now - timedelta(days=1, seconds=1))
    TelegramLinkCode.objects.filter(pk=recent.pk).update(expires_at=now - timedelta(hours=23))
    assert tasks.telegram_purge.run() == 2
    assert list(TelegramUpdate.objects.values_list("update_id", flat=True)) == [2]
    assert list(TelegramLinkCode.objects.values_list("pk", flat=True)) == [recent.pk]


def test_the_page_reads_the_same_queries_whatever_the_number_of_chats(alpha):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(alpha, user=alpha.owner)
    link_chat(alpha)
    client.get(PAGE)  # warm: the session, the tenant's config
    with CaptureQueriesContext(connection) as one:
        assert client.get(PAGE).status_code == 200
    for chat_id in (CHAT + 1, CHAT + 2, CHAT + 3):
        link_chat(alpha, chat_id=chat_id)
    with CaptureQueriesContext(connection) as four:
        page = client.get(PAGE).content.decode()
    assert page.count("/unlink/") == 4
    assert len(four) == len(one)
