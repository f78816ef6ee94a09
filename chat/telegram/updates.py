"""Handling one Telegram update: a message (a command) or a callback query (a button pressed).

Who is asking is the chat: its TelegramLink (public schema) names one owner of one business, and
every command then runs inside that business's schema (`tenant_context`) and nowhere else. A chat
with no link, or whose link no longer holds (the person is no longer an owner, the business is
paused, agent access is off), gets a polite refusal, whatever it asks.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django_tenants.utils import tenant_context

from billing.plans import plan_allows
from chat.models import Approval
from chat.services import approvals as approval_services
from chat.telegram import commands
from chat.telegram.commands import HELP, NOT_LINKED, Reply
from chat.telegram.format import esc
from chat.telegram.links import telegram_link_claim
from chat.telegram.send import telegram_callback_answer, telegram_edit, telegram_send
from inkwell.errors import DomainError
from tenants.models import Membership, TelegramLink, Tenant

logger = logging.getLogger(__name__)

COMMANDS = {
    "/status": lambda tenant: [commands.status_reply(tenant=tenant)],
    "/report": lambda tenant: [commands.report_reply(tenant=tenant)],
    "/leads": lambda tenant: [commands.leads_reply(tenant=tenant)],
    "/approve": lambda tenant: commands.approve_replies(tenant=tenant),
    "/help": lambda tenant: [Reply(HELP)],
}
MAKE_A_NEW_ONE = "Make a new one from the dashboard (Agents → Telegram) and open it here."
CODE_REFUSALS = {
    "telegram_code_unknown": "I don't recognise that link. " + MAKE_A_NEW_ONE,
    "telegram_code_used": "That link has been used already. " + MAKE_A_NEW_ONE,
    "telegram_code_expired": "That link has expired: links last 10 minutes. " + MAKE_A_NEW_ONE,
}
PRIVATE_ONLY = (
    "I can only be linked in a private chat with an owner, so that no one else in a group reads "
    "the business's figures. Open the link in your own chat with me."
)
UNKNOWN = "I don't know that one. /help lists what I can do."


def update_handle(update: dict) -> None:
    """Answer `update` (already verified and de-duplicated by the webhook)."""
    if isinstance(update.get("callback_query"), dict):
        _callback(update["callback_query"])
    elif isinstance(update.get("message"), dict):
        _message(update["message"])
    # Other kinds (edited messages, channel posts, the bot added to a group) need no answer.


def _chat_id(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _link_of(chat_id: int) -> TelegramLink | None:
    return (
        TelegramLink.objects.select_related("tenant", "tenant__config", "user")
        .filter(chat_id=chat_id)
        .first()
    )


def link_refusal(link: TelegramLink) -> str | None:
    """Why `link` can't be answered for now (in words for the owner), or None when it can."""
    tenant, brand = link.tenant, esc(link.tenant.config.brand_name or link.tenant.name)
    if tenant.status != Tenant.Status.ACTIVE:
        return f"{brand} is not active at the moment, so I can't answer for it."
    owner = Membership.objects.filter(tenant=tenant, user=link.user, role=Membership.Role.OWNER)
    if not (link.user.is_active and owner.exists()):  # a deactivated account is no one's owner
        return (
            f"The person who linked this chat is no longer an owner of {brand}. "
            "An owner can link it again from the dashboard (Agents → Telegram)."
        )
    if not (tenant.config.feature_agents and plan_allows(tenant=tenant, feature="agents")):
        return f"Agent access is switched off for {brand}, and with it this bot."
    return None


def _send(link_or_none, chat_id: int, replies: list[Reply]) -> None:
    tenant = link_or_none.tenant if link_or_none else None
    for reply in replies:
        telegram_send(tenant=tenant, chat_id=chat_id, text=reply.text, reply_markup=reply.reply_markup)


def _label(chat: dict) -> str:
    name = " ".join(part for part in (chat.get("first_name"), chat.get("last_name")) if part)
    username = chat.get("username")
    return (name or chat.get("title") or "") + (f" (@{username})" if username else "")


def _message(message: dict) -> None:
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    chat_id = _chat_id(chat.get("id"))
    if chat_id is None:
        return
    text = message.get("text") if isinstance(message.get("text"), str) else ""
    word, _, argument = text.strip().partition(" ")
    command = word.split("@", 1)[0].lower()
    if command == "/start" and argument.strip():
        _link(chat, chat_id, argument.strip())
        return
    link = _link_of(chat_id)
    if link is None:
        _send(None, chat_id, [Reply(NOT_LINKED)])
        return
    refusal = link_refusal(link)
    if refusal:
        _send(link, chat_id, [Reply(refusal)])
        return
    if command == "/start":
        brand = esc(link.tenant.config.brand_name or link.tenant.name)
        _send(link, chat_id, [Reply(f"This chat is linked to <b>{brand}</b>.\n\n{HELP}")])
        return
    handler = COMMANDS.get(command)
    if handler is None:
        _send(link, chat_id, [Reply(UNKNOWN)])
        return
    with tenant_context(link.tenant):
        _send(link, chat_id, handler(link.tenant))


def _link(chat: dict, chat_id: int, code: str) -> None:
    if chat.get("type") != "private":
        _send(None, chat_id, [Reply(PRIVATE_ONLY)])
        return
    try:
        link = telegram_link_claim(code=code, chat_id=chat_id, chat_label=_label(chat))
    except DomainError as exc:
        _send(None, chat_id, [Reply(CODE_REFUSALS.get(exc.code, esc(exc.message)))])
        return
    brand = esc(link.tenant.config.brand_name or link.tenant.name)
    text = (
        f"✅ This chat is now linked to <b>{brand}</b>. I'll tell you about new leads, signed "
        f"contracts and chat visitors waiting for you (change that in the dashboard).\n\n{HELP}"
    )
    _send(link, chat_id, [Reply(text)])


# --- buttons ---------------------------------------------------------------------------------------

DECISIONS = {"approve": "approval_approve", "reject": "approval_reject"}


def _callback(query: dict) -> None:
    query_id = str(query.get("id") or "")
    message = query.get("message") if isinstance(query.get("message"), dict) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    sender = query.get("from") if isinstance(query.get("from"), dict) else {}
    chat_id = _chat_id(chat.get("id")) or _chat_id(sender.get("id"))
    if chat_id is None or not query_id:
        return
    link = _link_of(chat_id)
    refusal = "This chat isn't linked to a business." if link is None else link_refusal(link)
    if refusal:
        telegram_callback_answer(
            tenant=link and link.tenant, chat_id=chat_id, callback_query_id=query_id, text=refusal
        )
        return
    action, _, raw = str(query.get("data") or "").partition(":")
    if action not in DECISIONS or not raw.isdigit():
        telegram_callback_answer(
            tenant=link.tenant, chat_id=chat_id, callback_query_id=query_id, text="I don't know that button."
        )
        return
    with tenant_context(link.tenant):
        _decide(link, chat_id, query_id, action, int(raw), _chat_id(message.get("message_id")))


def _decide(
    link: TelegramLink, chat_id: int, query_id: str, action: str, approval_id: int, message_id
) -> None:
    """Approve or reject through the approvals service (the one the dashboard uses), as the linked
    owner, then say so on the button and in the message the buttons were on."""
    tenant = link.tenant
    ref = f"approval:{approval_id}"
    approval = Approval.objects.filter(pk=approval_id).first()
    if approval is None:
        telegram_callback_answer(
            tenant=tenant,
            chat_id=chat_id,
            callback_query_id=query_id,
            text="That proposal no longer exists.",
            ref=ref,
        )
        return
    decide = getattr(approval_services, DECISIONS[action])
    try:
        approval = decide(approval_id=approval_id, user=link.user, via="telegram")
    except DomainError as exc:
        notice, outcome = exc.message, f"⚠️ {esc(exc.message)}"
        approval.refresh_from_db()
    except (ObjectDoesNotExist, Http404):
        notice = outcome = "That proposal no longer exists."
    else:
        notice, outcome = _outcome(approval)
    telegram_callback_answer(tenant=tenant, chat_id=chat_id, callback_query_id=query_id, text=notice, ref=ref)
    text = f"{commands.approval_text(approval)}\n\n{outcome}"
    if message_id:
        telegram_edit(tenant=tenant, chat_id=chat_id, message_id=message_id, text=text, ref=ref)
    else:
        telegram_send(tenant=tenant, chat_id=chat_id, text=text, ref=ref)


def _outcome(approval: Approval) -> tuple[str, str]:
    """(the short notice on the button, the line added to the message)."""
    status = approval.status
    if status == Approval.Status.APPROVED:
        return "Approved.", "✅ <b>Approved</b> and applied."
    if status == Approval.Status.REJECTED:
        return "Rejected.", "❌ <b>Rejected</b>: nothing was changed."
    if status == Approval.Status.FAILED:
        result = approval.result or {}
        why = result.get("message") or result.get("error") or "see the dashboard"
        return (
            "Approved, but it could not be applied.",
            f"⚠️ Approved, but it could not be applied: {esc(why)}",
        )
    return approval.get_status_display(), f"Status: {esc(approval.get_status_display())}"
