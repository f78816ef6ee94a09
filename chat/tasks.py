"""Chat and memory background work. Sections: memory embeddings, chat notifications, questionnaire."""

from celery import shared_task

# --- memory embeddings ------------------------------------------------------------------------------

# --- chat notifications -------------------------------------------------------------------------------


@shared_task(acks_late=True)
def conversation_handover_notify(*, conversation_id: int) -> bool:
    """Text the owner(s) that a visitor waits for them (once per hand-over)."""
    from chat.services.inbox import conversation_handover_notify as notify

    return notify(conversation_id=conversation_id)


# --- questionnaire ------------------------------------------------------------------------------------
