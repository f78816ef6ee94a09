"""The agent bus page (/agents/bus/), for owners: the messages between this business's agents and the
owner, newest first, PAGE_SIZE a page (?before=<id> pages back), the list refreshed every 10 s
(/agents/bus/messages/, the same page's list alone), and a form to post into it as the owner (to one
agent or to all of them), as rate-limited as an agent's sending."""

from __future__ import annotations

from django import forms
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from chat.models import BUS_TEXT_MAX, Agent, BusMessage
from chat.services.bus import bus_send
from dashboard.rendering import render_dashboard
from inkwell.errors import DomainError
from tenants.models import Membership
from tenants.permissions import member_required

TEMPLATE = "chat/bus.html"
OWNER = Membership.Role.OWNER
PAGE_SIZE = 50


class BusPostForm(forms.Form):
    to = forms.ChoiceField(required=False, label="To")
    text = forms.CharField(max_length=BUS_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}), label="Message")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        agents = Agent.objects.exclude(state=Agent.State.DEAD).values_list("pk", "name")
        self.fields["to"].choices = [("", "Every agent"), *((str(pk), name) for pk, name in agents)]


class BadPage(ValueError):
    pass


def _messages(request) -> dict:
    """One page of messages, newest first: those before ?before=<id> (the first page without it).
    Named `bus_messages`: `messages` is the messages framework's, which the base layout shows."""
    before = request.GET.get("before", "")
    if before and not (before.isdigit() and len(before) <= 18):
        raise BadPage
    messages = BusMessage.objects.select_related("sender", "recipient").order_by("-pk")
    if before:
        messages = messages.filter(pk__lt=int(before))
    shown = list(messages[: PAGE_SIZE + 1])
    older = shown[PAGE_SIZE - 1].pk if len(shown) > PAGE_SIZE else None
    return {"bus_messages": shown[:PAGE_SIZE], "before": before, "older": older}


def _page(request, *, form=None, status=200):
    try:
        listed = _messages(request)
    except BadPage:
        return HttpResponseBadRequest("?before= takes a message id.")
    context = {**listed, "form": form or BusPostForm()}
    return render_dashboard(request, TEMPLATE, context, status=status)


@require_GET
@member_required(role=OWNER)
def bus_view(request):
    return _page(request)


@require_GET
@member_required(role=OWNER)
def bus_messages_view(request):
    """The list alone (the same page of it), which the page polls every 10 s."""
    try:
        listed = _messages(request)
    except BadPage:
        return HttpResponseBadRequest("?before= takes a message id.")
    return render(request, f"{TEMPLATE}#messages", listed)


@require_POST
@member_required(role=OWNER)
def bus_post_view(request):
    """Post as the signed-in owner: the sender is the person, never a field of the form. Past
    BUS_RATE_PER_MINUTE a minute the form says so and nothing is sent."""
    form = BusPostForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    to = Agent.objects.get(pk=form.cleaned_data["to"]) if form.cleaned_data["to"] else None
    try:
        bus_send(
            sender=None,
            sender_label=request.user.email,
            owner_id=request.user.pk,
            to=to,
            text=form.cleaned_data["text"],
        )
    except DomainError as exc:
        form.add_error("text", exc.message)
        return _page(request, form=form, status=exc.status_code)
    return redirect("agent_bus")
