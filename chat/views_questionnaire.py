"""The questionnaire page (/questionnaire/): the owner's settings (mobile, send hour, on/off), the
paused banner with Resume, today's question, recent asks with their answers (an answer can be typed
here too), and the question bank. Members read; owners change things. Writes redirect back to the
page (or, with htmx, answer with the page's body); a refused form shows the page with its errors
(400)."""

from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods, require_POST

from chat.forms_questionnaire import AnswerForm, QuestionForm, QuestionnaireSettingsForm
from chat.models import Answer, Question, QuestionAsk
from chat.selectors_questionnaire import RECENT_ASKS, ask_list, questionnaire_today
from chat.services.questionnaire import (
    question_move,
    question_update,
    questionnaire_answer,
    questionnaire_resume,
    questionnaire_settings_get,
    questionnaire_settings_update,
)
from dashboard.rendering import form_apply, render_dashboard
from tenants.models import Membership, SmsOptOut
from tenants.permissions import member_required

TEMPLATE = "chat/questionnaire.html"
OWNER = Membership.Role.OWNER


def _settings_form(settings_, data=None) -> QuestionnaireSettingsForm:
    initial = {"phone": settings_.phone, "send_hour": settings_.send_hour, "enabled": settings_.enabled}
    return QuestionnaireSettingsForm(data=data, initial=initial)


def _page(request, status: int = 200, **extra):
    settings_ = questionnaire_settings_get()
    asks = list(ask_list()[:RECENT_ASKS])
    context = {
        "settings": settings_,
        "settings_form": _settings_form(settings_),
        "opted_out": bool(settings_.phone) and SmsOptOut.objects.filter(phone=settings_.phone).exists(),
        "today": questionnaire_today(tenant=request.tenant, asks=asks),
        "asks": asks,
        "answer_form": AnswerForm(),
        "answer_for": None,
        "questions": Question.objects.order_by("position"),
        "editing": None,
        **extra,
    }
    return render_dashboard(request, TEMPLATE, context, status=status)


def _done(request, notice: str):
    return _page(request, notice=notice) if request.htmx else redirect("questionnaire")


def _actor_label(request) -> str:
    return request.user.email or str(request.user.pk)


@member_required
def questionnaire_view(request):
    return _page(request)


@require_POST
@member_required(role=OWNER)
def questionnaire_settings_view(request):
    settings_ = questionnaire_settings_get()
    form = _settings_form(settings_, data=request.POST)
    if form_apply(form, lambda data: questionnaire_settings_update(data=data)) is None:
        return _page(request, status=400, settings_form=form)
    return _done(request, "Settings saved.")


@require_POST
@member_required(role=OWNER)
def questionnaire_resume_view(request):
    resumed = questionnaire_resume()
    return _done(request, "Daily questions resumed." if resumed else "Daily questions weren't paused.")


@require_POST
@member_required(role=OWNER)
def questionnaire_answer_view(request, pk):
    # Only this tenant's schema is searched: another business's ask is a 404 whoever asks.
    ask = get_object_or_404(QuestionAsk, pk=pk)
    form = AnswerForm(request.POST)
    result = form_apply(
        form,
        lambda data: questionnaire_answer(
            ask=ask, text=data["text"], via=Answer.Via.DASHBOARD, actor_label=_actor_label(request)
        ),
    )
    if result is None:
        return _page(request, status=400, answer_form=form, answer_for=ask.pk)
    return _done(request, "Answer saved to the business memory.")


@require_http_methods(["GET", "POST"])
@member_required(role=OWNER)
def questionnaire_question_edit_view(request, pk):
    question = get_object_or_404(Question, pk=pk)
    if request.method == "GET":
        return _page(request, editing=question.pk, edit_form=QuestionForm.for_question(question))
    form = QuestionForm.for_question(question, data=request.POST)
    if form_apply(form, lambda data: question_update(question=question, data=data)) is None:
        return _page(request, status=400, editing=question.pk, edit_form=form)
    return _done(request, "Question saved.")


@require_POST
@member_required(role=OWNER)
def questionnaire_question_move_view(request, pk):
    question = get_object_or_404(Question, pk=pk)
    moved = question_move(question=question, up=request.POST.get("direction") != "down")
    return _done(request, "Order saved." if moved else "That question is already at the end.")
