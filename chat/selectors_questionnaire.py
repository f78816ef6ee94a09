"""Reads for the questionnaire page and API (a constant number of queries whatever the history)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from chat.models import Answer, Question, QuestionAsk
from chat.services.questionnaire import question_for_date

RECENT_ASKS = 14


@dataclass(frozen=True)
class Today:
    local_date: date
    ask: QuestionAsk | None  # sent already
    question: Question | None  # to be sent (when no ask yet)


def ask_list() -> QuerySet[QuestionAsk]:
    """Asks newest first, each with its answers oldest first."""
    return QuestionAsk.objects.order_by("-local_date").prefetch_related(
        Prefetch("answers", queryset=Answer.objects.order_by("created", "pk"))
    )


def questionnaire_today(*, tenant, asks: list[QuestionAsk]) -> Today:
    local = timezone.localdate(timezone.now(), ZoneInfo(tenant.config.timezone))
    ask = next((a for a in asks if a.local_date == local), None)
    return Today(local_date=local, ask=ask, question=None if ask else question_for_date(local_date=local))
