"""The owner's side of conversations: reading, replying, and being told about a hand-over.

Read state is the team's, not each person's: `Conversation.owner_read_at` is one column, so a
conversation one member opened is read for everyone (small teams answer visitors together).
Members and owners alike may reply (the inbox is front-desk work, like leads).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from redis.exceptions import RedisError

from chat.models import Conversation, Message
from chat.selectors_inbox import conversation_needs_reply_count, needs_reply_count_key
from inkwell.ratelimit import counter_hit
from tenants.messaging import SmsDeliveryError, render_text, sms_send
from tenants.models import Membership, User
from tenants.selectors import tenant_url

logger = logging.getLogger(__name__)

MAX_REPLY = 2000


def inbox_count_refresh() -> int | None:
    """Count the conversations waiting for a reply in the current schema and keep the number for the
    navigation (no expiry: every change of `needs_reply` refreshes it — a hand-over through its
    notification task, a reply — and so does each look at the inbox). Returns the count, or None when
    the cache can't be reached (the navigation then shows no count)."""
    count = conversation_needs_reply_count()
    try:
        cache.set(needs_reply_count_key(connection.schema_name), count, timeout=None)
    except RedisError:
        logger.warning("Can't keep the inbox count of %s", connection.schema_name)
        return None
    return count


def _inbox_count_refresh_on_commit() -> None:
    # After commit, the count sees this transaction's change; in the schema current now (a callback
    # may run once the caller has left it).
    schema = connection.schema_name

    def refresh():
        with schema_context(schema):
            inbox_count_refresh()

    transaction.on_commit(refresh)


@transaction.atomic
def conversation_handover_notify(*, conversation_id: int) -> bool:
    """Text each owner with a phone that conversation `conversation_id` waits for them, with a link to
    it. Once per hand-over: the row is locked and marked (`handover_notified_at`), so a redelivered
    task sends nothing; an owner's reply clears the mark, so the next hand-over is texted again.
    At most CHAT_HANDOVER_SMS_PER_HOUR hand-overs a business are texted per hour; past that the
    conversation is only marked (the inbox shows it waiting). Returns whether it sent (or tried to
    send) anything."""
    conversation = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
    if conversation is None or not conversation.needs_reply or conversation.handover_notified_at:
        return False
    tenant = connection.tenant
    conversation.handover_notified_at = timezone.now()
    conversation.save(update_fields=["handover_notified_at"])
    _inbox_count_refresh_on_commit()
    try:
        sent = counter_hit(scope="chat-handover-sms", key=connection.schema_name, window=3600)
    except RedisError:
        sent = 0  # the limit can't be counted: text the owner rather than leave them untold
    if sent > settings.CHAT_HANDOVER_SMS_PER_HOUR:
        logger.warning("Hand-over texts of %s over the hourly limit: not texted", tenant.schema_name)
        return False
    body = render_text(
        "sms/chat/handover.txt",
        {
            "brand": tenant.config.brand_name,
            "reason": conversation.handover_reason[:120],
            "url": tenant_url(tenant, f"/chat/inbox/{conversation.pk}/"),
        },
    ).strip()
    owners = Membership.objects.filter(tenant=tenant, role=Membership.Role.OWNER).select_related("user")
    for membership in owners:
        if not membership.user.phone:
            continue
        try:
            sms_send(
                to=membership.user.phone, body=body, tenant=tenant, ref=f"conversation:{conversation.pk}"
            )
        except SmsDeliveryError:
            # Not retried: the conversation shows in the inbox's "needs reply" whatever the SMS does.
            logger.warning("Hand-over SMS to an owner of %s failed", tenant.schema_name)
    return True


def conversation_mark_read(*, conversation: Conversation, user: User) -> None:
    """Mark `conversation` read up to its last message as loaded (for the whole team: see the module
    docstring). A message that arrived after it was loaded stays unread. `user` must be a member of
    the current tenant (the views check it); read state is not kept per person."""
    seen = conversation.last_message_at
    if conversation.owner_read_at is not None and conversation.owner_read_at >= seen:
        return
    # Never move the mark backwards (another tab may have read further meanwhile).
    Conversation.objects.filter(pk=conversation.pk).exclude(owner_read_at__gte=seen).update(
        owner_read_at=seen
    )
    conversation.owner_read_at = seen


def author_label(user: User) -> str:
    """How an owner's message is signed in the transcript (never shown to the visitor as an email)."""
    return (user.full_name or "").strip() or user.email or f"user {user.pk}"


@transaction.atomic
def owner_reply(*, conversation: Conversation, text: str, user: User) -> Message:
    """Answer the visitor of `conversation` as `user` (an owner or member). The message is the
    visitor's to read in the widget's transcript; the conversation no longer needs a reply (and a
    later hand-over texts the owners again), and is read up to this message.
    Raises ValidationError on the `text` field (empty, over MAX_REPLY characters)."""
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise ValidationError({"text": ValidationError("Write a reply first.", code="required")})
    if len(text) > MAX_REPLY:
        raise ValidationError(
            {"text": ValidationError(f"At most {MAX_REPLY} characters.", code="max_length")}
        )
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    message = Message.objects.create(
        conversation=locked,
        role=Message.Role.OWNER,
        origin=Message.Origin.OWNER,
        text=text,
        author_label=author_label(user)[:200],
    )
    locked.last_message_at = locked.owner_read_at = message.created
    locked.needs_reply = False
    locked.handover_notified_at = None
    locked.save(update_fields=["last_message_at", "owner_read_at", "needs_reply", "handover_notified_at"])
    for field in ("last_message_at", "owner_read_at", "needs_reply", "handover_notified_at"):
        setattr(conversation, field, getattr(locked, field))
    _inbox_count_refresh_on_commit()
    return message
