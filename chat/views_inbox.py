"""The owner's inbox of chat conversations (/chat/inbox/): the list (all / unread / needs reply, in the
URL, htmx swaps the body, paginated) with this month's model usage, and one conversation's transcript
with a reply form. Members and owners alike read and reply (see chat/services/inbox.py); opening a
transcript marks it read. Everything a visitor or the model wrote is shown as text (autoescaped)."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from chat.models import Conversation
from chat.selectors_inbox import Show, conversation_list, conversation_transcript, llm_usage_this_month
from chat.services.inbox import MAX_REPLY, conversation_mark_read, inbox_count_refresh, owner_reply
from dashboard.rendering import form_apply, render_dashboard
from tenants.permissions import member_required

PAGE_SIZE = 25


class ReplyForm(forms.Form):
    # The length rule is the service's (one rule); the browser is told the limit too.
    text = forms.CharField(
        label="Your reply",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_REPLY}),
    )


@member_required
def inbox_view(request):
    show = request.GET.get("show", Show.ALL)
    show = show if show in Show.VALUES else Show.ALL
    page = Paginator(conversation_list(show=show), PAGE_SIZE).get_page(request.GET.get("page"))
    inbox_count_refresh()  # the navigation's count, right whenever someone looks at the inbox
    context = {
        "show": show,
        # A filter starts at page 1; the list has no other parameter to keep.
        "filters": [
            (label, f"{request.path}?show={value}" if value else request.path, value == show)
            for value, label in Show.CHOICES
        ],
        "page": page,
        "usage": llm_usage_this_month(tz_name=request.tenant.config.timezone),
    }
    return render_dashboard(request, "chat/inbox.html", context)


def _transcript(request, pk: int, *, form: ReplyForm | None = None, notice: str = "", status: int = 200):
    conversation, messages = conversation_transcript(pk=pk)
    conversation_mark_read(conversation=conversation, user=request.user)
    context = {
        "conversation": conversation,
        "transcript": messages,  # not "messages": the base template shows those as notices
        "form": form or ReplyForm(),
        "notice": notice,
    }
    return render_dashboard(request, "chat/inbox_conversation.html", context, status=status)


@member_required
def conversation_view(request, pk):
    return _transcript(request, pk)


@require_POST
@member_required
def reply_view(request, pk):
    conversation = get_object_or_404(Conversation, pk=pk)
    form = ReplyForm(request.POST)
    sent = form_apply(
        form, lambda data: owner_reply(conversation=conversation, text=data["text"], user=request.user)
    )
    if sent is None:
        return _transcript(request, pk, form=form, status=400)
    if request.htmx:
        return _transcript(request, pk, notice="Sent: the visitor sees it in the chat.")
    return redirect("chat_inbox_conversation", pk=pk)
