"""A tenant's agents in the staff back office, read-only: /admin/tenants/tenant/<pk>/agents/ shows
its agents (state, last heartbeat, last tool, the latest state changes), the latest tool calls they
made (chat.AgentCall), its task board (chat.Task, each with its TaskEvents inline), the agents'
checkpoints (chat.Checkpoint, content shown: staff see what the owner sees), the agent bus
(chat.BusMessage, with the recipients fixed when each was sent) and the latest domain events of its
outbox (chat.DomainEvent), with whether each reached the stream. All live in the tenant's schema, so
they are reached through their tenant like its contracts and pages (a ModelAdmin on the public
domain would read the public schema). Tokens themselves are public rows with their own admin
(tenants/admin_agents.py)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.template.response import TemplateResponse
from django.urls import path
from django_tenants.utils import tenant_context

from chat.models import (
    Agent,
    AgentCall,
    AgentTransition,
    BusMessage,
    Checkpoint,
    DomainEvent,
    Task,
    TaskEvent,
)
from tenants.admin_tenant import admin_tenant_or_404
from tenants.models import AgentToken

LATEST = 100


def tenant_agent_urls(model_admin) -> list:
    """URLs the TenantAdmin mounts under /admin/tenants/tenant/."""
    return [
        path(
            "<int:pk>/agents/",
            model_admin.admin_site.admin_view(
                lambda request, pk: tenant_agents_view(model_admin, request, pk)
            ),
            name="tenants_tenant_agents",
        ),
    ]


def tenant_agents_view(model_admin, request, pk):
    if request.method != "GET":
        raise PermissionDenied  # nothing here is changed by hand: calls and events are records
    tenant = admin_tenant_or_404(model_admin, request, pk)
    with tenant_context(tenant):
        calls = list(AgentCall.objects.order_by("-created", "-pk")[:LATEST])
        events = list(DomainEvent.objects.order_by("-pk")[:LATEST])
        agents = list(Agent.objects.order_by("name"))
        transitions = list(AgentTransition.objects.select_related("agent")[:LATEST])
        events_in_order = Prefetch("events", queryset=TaskEvent.objects.order_by("created", "pk"))
        tasks = list(
            Task.objects.select_related("agent").prefetch_related(events_in_order).order_by("-pk")[:LATEST]
        )
        checkpoints = list(Checkpoint.objects.select_related("agent").order_by("-created", "-pk")[:LATEST])
        bus = list(BusMessage.objects.select_related("sender", "recipient").order_by("-pk")[:LATEST])
        names = dict(Agent.objects.values_list("pk", "name"))
        for message in bus:
            message.recipient_names = [names.get(pk, f"#{pk}") for pk in message.recipient_ids]
    context = {
        **model_admin.admin_site.each_context(request),
        "tenant": tenant,
        "tokens": list(AgentToken.objects.filter(tenant=tenant).order_by("-created", "-pk")),
        "calls": calls,
        "agents": agents,
        "transitions": transitions,
        "tasks": tasks,
        "checkpoints": checkpoints,
        "bus": bus,
        "events": events,
        "title": f"Agents of {tenant.name}",
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "admin/tenants/tenant/agents.html", context)
