"""Chat and memory background work. Sections: memory embeddings, chat notifications, questionnaire."""

from celery import shared_task

from chat.embeddings import EmbeddingUnavailable

# --- memory embeddings ------------------------------------------------------------------------------


@shared_task(
    acks_late=True,
    autoretry_for=(EmbeddingUnavailable,),
    retry_backoff=10,  # 10 s, 20 s, 40 s… (jittered), at most 10 min apart
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def memory_entry_embed(*, entry_id: int) -> str:
    """Embed a memory entry after it was added or its words changed; merges it into an older
    near-duplicate. Idempotent: an entry already embedded by the current model is skipped."""
    from chat.services.memory import memory_embed

    return memory_embed(entry_id=entry_id)


# --- chat notifications -------------------------------------------------------------------------------


@shared_task(acks_late=True)
def conversation_handover_notify(*, conversation_id: int) -> bool:
    """Text the owner(s) that a visitor waits for them (once per hand-over)."""
    from chat.services.inbox import conversation_handover_notify as notify

    return notify(conversation_id=conversation_id)


# --- questionnaire ------------------------------------------------------------------------------------


@shared_task(acks_late=True)
def questionnaire_send_all() -> int:
    """Hourly: every active tenant checks whether today's question is due (its own local hour)."""
    from inkwell.fanout import for_each_tenant

    return for_each_tenant(questionnaire_send)


@shared_task(acks_late=True)
def questionnaire_send() -> int | None:
    """Text today's question in the current tenant's schema if it is due; the ask's id, or None."""
    from django.db import connection

    from chat.services.questionnaire import questionnaire_send_due
    from tenants.models import Tenant

    # Read now: a worker's cached tenant could hold a stale time zone or toggle.
    tenant = Tenant.objects.select_related("config").get(pk=connection.tenant.pk)
    ask = questionnaire_send_due(tenant=tenant)
    return ask.pk if ask else None


# --- agent access: the event stream -------------------------------------------------------------


@shared_task(acks_late=True)
def events_relay_all() -> int:
    """Every minute: relay each active tenant's waiting events, so those that waited out a Redis or
    broker outage (their own relay task failed or was never queued) arrive once it is back."""
    from inkwell.fanout import for_each_tenant_batched

    return for_each_tenant_batched(events_relay)


@shared_task(acks_late=True)
def events_relay() -> int:
    """Relay this schema's outbox events to its Redis Stream (idempotent: each event goes once)."""
    from chat.services.events import events_relay as relay

    return relay()


@shared_task(acks_late=True)
def bus_relay() -> int:
    """Relay this schema's waiting bus messages to their recipients' streams (each goes once)."""
    from chat.services.bus import bus_relay as relay

    return relay()


@shared_task(acks_late=True)
def bus_relay_all() -> int:
    """Every minute: relay each active tenant's bus messages that waited out a Redis or broker outage."""
    from inkwell.fanout import for_each_tenant_batched

    return for_each_tenant_batched(bus_relay)


@shared_task(acks_late=True)
def telegram_event_notify(*, event_id: int) -> int:
    """Tell the linked Telegram chats of this schema's tenant about a relayed event (per their
    preferences). Returns how many chats were messaged."""
    from chat.telegram.notify import event_notify

    return event_notify(event_id=event_id)


@shared_task(acks_late=True)
def telegram_purge() -> int:
    """Daily (public schema): forget old Telegram update ids and expired link codes."""
    from chat.telegram.links import telegram_purge as purge

    return purge()


# --- agent access: the approvals queue ----------------------------------------------------------


@shared_task(acks_late=True)
def approvals_expire_all() -> int:
    """Hourly: every active tenant marks its proposals past their time as expired."""
    from inkwell.fanout import for_each_tenant

    return for_each_tenant(approvals_expire)


@shared_task(acks_late=True)
def approvals_expire() -> int:
    """Expire this schema's pending proposals whose time is up (idempotent). Returns how many."""
    from chat.services.approvals import approvals_expire as expire

    return expire()


# --- agent workspace: the task board's teardown -----------------------------------------------------


@shared_task(acks_late=True)
def tasks_teardown_all() -> int:
    """Every five minutes: every active tenant tears down its task board."""
    from inkwell.fanout import for_each_tenant

    return for_each_tenant(tasks_teardown)


@shared_task(acks_late=True)
def tasks_teardown() -> dict[str, int]:
    """Archive this schema's finished tasks, free stale and dead claims (idempotent)."""
    from chat.services.tasks import task_teardown

    return task_teardown()


# --- agent lifecycle ------------------------------------------------------------------------------


@shared_task(acks_late=True)
def agents_evaluate_all() -> int:
    """Every minute: each active tenant's agents are checked for being stuck, idle or dead."""
    from inkwell.fanout import for_each_tenant_batched

    return for_each_tenant_batched(agents_evaluate)


@shared_task(acks_late=True)
def agents_evaluate() -> dict:
    """This schema's agents: stuck flagged (once), idling by warm policy, dead past the threshold."""
    from chat.services.agents import agents_evaluate as evaluate

    return evaluate()
