"""The agent bus page (/agents/bus/), for owners: the latest messages between this business's agents
and the owner, and a form to post into it as the owner (to one agent or to all of them)."""

from __future__ import annotations

from django import forms
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from chat.models import BUS_TEXT_MAX, Agent, BusMessage
from chat.services.bus import bus_send
from dashboard.rendering import render_dashboard
from inkwell.errors import DomainError
from tenants.models import Membership
from tenants.permissions import member_required

TEMPLATE = "chat/bus.html"
OWNER = Membership.Role.OWNER
SHOWN = 100


class BusPostForm(forms.Form):
    to = forms.ChoiceField(required=False, label="To")
    text = forms.CharField(max_length=BUS_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}), label="Message")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        agents = Agent.objects.exclude(state=Agent.State.DEAD).values_list("pk", "name")
        self.fields["to"].choices = [("", "Every agent"), *((str(pk), name) for pk, name in agents)]


def _page(request, *, form=None, status=200):
    messages = BusMessage.objects.select_related("sender", "recipient").order_by("-created", "-pk")[:SHOWN]
    context = {"messages": messages, "form": form or BusPostForm()}
    return render_dashboard(request, TEMPLATE, context, status=status)


@require_GET
@member_required(role=OWNER)
def bus_view(request):
    return _page(request)


@require_POST
@member_required(role=OWNER)
def bus_post_view(request):
    """Post as the signed-in owner: the sender is the person, never a field of the form."""
    form = BusPostForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    to = Agent.objects.get(pk=form.cleaned_data["to"]) if form.cleaned_data["to"] else None
    try:
        bus_send(sender=None, sender_label=request.user.email, to=to, text=form.cleaned_data["text"])
    except DomainError as exc:
        form.add_error("text", exc.message)
        return _page(request, form=form, status=400)
    return redirect("agent_bus")
