"""Shared by the Telegram tests: updates shaped like Telegram's, posted to the webhook with its
secret, and the bot's answers read back from the outbox."""

from __future__ import annotations

import itertools
import json

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from chat.models import Approval
from contracts.services.events import Actor
from tenants.models import OutboundMessage, TelegramLink
from tenants.services.agent_tokens import AgentIdentity

SECRET = "test-telegram-secret"  # inkwell/settings_test.py
WEBHOOK = "/telegram/webhook/"
CHAT = 700_001
AGENT = AgentIdentity(token_id=None, name="SEO agent")
_update_ids = itertools.count(9_000_000)


def post(client, update, *, secret: str | None = SECRET):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    body = update if isinstance(update, (bytes, str)) else json.dumps(update)
    return client.post(WEBHOOK, body, content_type="application/json", headers=headers)


def message(chat_id: int, text: str, *, chat_type: str = "private", update_id: int | None = None) -> dict:
    update_id = next(_update_ids) if update_id is None else update_id
    person = {"id": chat_id, "is_bot": False, "first_name": "Ada", "username": "ada"}
    chat = {"id": chat_id, "type": chat_type, "first_name": "Ada", "username": "ada"}
    if chat_type != "private":
        chat = {"id": chat_id, "type": chat_type, "title": "Movers group"}
    return {
        "update_id": update_id,
        "message": {"message_id": 10, "from": person, "chat": chat, "date": 1764100000, "text": text},
    }


def callback(chat_id: int, data: str, *, message_id: int = 77) -> dict:
    person = {"id": chat_id, "is_bot": False, "first_name": "Ada"}
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"cb{next(_update_ids)}",
            "from": person,
            "chat_instance": "42",
            "data": data,
            "message": {
                "message_id": message_id,
                "from": {"id": 1, "is_bot": True, "first_name": "Inkwell"},
                "chat": {"id": chat_id, "type": "private"},
                "date": 1764100000,
                "text": "…",
            },
        },
    }


def sent(chat_id: int, method: str | None = None) -> list[OutboundMessage]:
    """The bot's calls to `chat_id`, oldest first (only `method`'s, if given)."""
    records = OutboundMessage.objects.filter(channel="telegram", to=str(chat_id)).order_by("pk")
    return [r for r in records if method is None or r.headers.get("method") == method]


def said(client, chat_id: int, text: str) -> str:
    """Post `text` from `chat_id` and return everything the bot sent back, joined."""
    before = len(sent(chat_id))
    assert post(client, message(chat_id, text)).status_code == 200
    return "\n".join(r.body for r in sent(chat_id)[before:])


def link_chat(world, chat_id: int = CHAT, user=None) -> TelegramLink:
    return TelegramLink.objects.create(
        chat_id=chat_id, tenant=world.tenant, user=user or world.owner, chat_label="Ada (@ada)"
    )


def make_lead(world, name: str, **fields):
    from marketing.models import Lead

    with tenant_context(world.tenant):
        return Lead.objects.create(name=name, **{"phone": "+14165550100", **fields})


def propose_page(world, slug: str, *, body: str = "Fresh copy.", title: str = "") -> Approval:
    """A real proposal: an agent's draft page waiting to be published (as the MCP tool makes it)."""
    from chat.services.approvals import page_publish_propose
    from marketing.services.pages import page_create

    with tenant_context(world.tenant):
        page = page_create(
            data={"slug": slug, "title": title or slug.replace("-", " ").title(), "body": body},
            actor=Actor(type="api", label=AGENT.label),
        )
        return page_publish_propose(page=page, agent=AGENT)


def install_decisions(monkeypatch) -> None:
    """approval_approve / approval_reject are the approvals work's (chat.services.approvals); until
    that is merged, a minimal stand-in that records the decision only (never in that module's file)."""
    from chat.services import approvals

    if hasattr(approvals, "approval_approve"):
        return

    def decide(status):
        def run(*, approval_id, user, via):
            from inkwell.errors import Conflict

            with transaction.atomic():
                approval = Approval.objects.select_for_update().get(pk=approval_id)
                if approval.status != Approval.Status.PENDING:
                    raise Conflict("That proposal has been decided already.", code="approval_not_pending")
                approval.status = status
                approval.decided_at = timezone.now()
                approval.decided_by_id = user.pk
                approval.decided_by_label = user.email
                approval.decided_via = via
                approval.save()
                return approval

        return run

    monkeypatch.setattr(approvals, "approval_approve", decide(Approval.Status.APPROVED), raising=False)
    monkeypatch.setattr(approvals, "approval_reject", decide(Approval.Status.REJECTED), raising=False)
