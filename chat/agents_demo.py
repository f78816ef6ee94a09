"""The demo tenant's agent access and agent workspace.

Agent access: an "SEO agent" with a token (scopes read, write_content and memory; its secret is thrown
away, so nobody can use it — owners make their own tokens on /agents/), a week of its tool calls, a
landing page it drafted and proposed for publishing (waiting for the owner's approval), and the
outbox's domain events for what the other demos made.

The workspace (chat/workspace_demo.py): a second agent ("Content agent", its token's secret thrown
away too), three days of their work told through the services — states with their transition log, a
task board across every status, the SEO agent's checkpoints, and messages on the agent bus.

Loaded once: the token is found by its agent name, the calls by their agent, the draft by its slug
and the approval by its page, and an event type the outbox already has is not emitted again (once the
services emit their own events, the demos' leads, contracts and hand-overs bring theirs); the
workspace by its first task.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from chat.models import AgentCall, Approval, Conversation, DomainEvent
from chat.services.approvals import page_publish_propose
from chat.services.events import event_emit
from contracts.models import Contract, ContractEvent
from contracts.services.events import Actor
from marketing.models import Lead, Page
from marketing.services.pages import page_create
from tenants.models import AgentToken, Tenant, User
from tenants.services.agent_tokens import AgentIdentity, agent_token_create

AGENT = "SEO agent"
SCOPES = ["read", "write_content", "memory"]
DRAFT_SLUG = "winter-car-storage"
DRAFT_TITLE = "Winter car storage in Vaughan"
DRAFT_BODY = """\
```hero
# Winter car storage in Vaughan
Your summer car, kept dry, heated and insured from November to April, ten minutes from Highway 400.
```

## Why store with us

- **Heated, dry warehouse**: no road salt, no snow on the roof, no frozen battery.
- **Insured for its full value** the whole season, like every vehicle we ship.
- **Pickup and delivery** with an enclosed carrier anywhere in the Greater Toronto Area.

## How it works

1. **Book a spot** before November 15: spots are limited.
2. **We pick it up** (or you drop it off at our yard in Vaughan).
3. **We bring it back** in spring, washed, with the battery charged.

```quote
Ask for your winter storage quote
```
"""
DRAFT_DESCRIPTION = (
    "Heated, insured winter car storage in Vaughan with enclosed pickup and delivery across the GTA."
)

# (tool, arguments, outcome, error code, duration in ms, hours ago): what an SEO agent does in a week.
CALLS: list[tuple[str, dict, str, str, int, float]] = [
    ("site_info", {}, "ok", "", 38, 140),
    ("get_dashboard", {"range": "last_7_days"}, "ok", "", 212, 139.9),
    ("get_seo_data", {"range": "last_28_days", "limit": 20}, "ok", "", 264, 139.8),
    ("search_memory", {"query": "winter storage"}, "ok", "", 71, 96),
    ("get_leads", {"limit": 10, "status": "new"}, "ok", "", 96, 72),
    ("get_dashboard", {"range": "yesterday_to_tomorrow"}, "invalid", "invalid_arguments", 4, 71.9),
    ("publish_content", {"slug": DRAFT_SLUG, "title": DRAFT_TITLE}, "ok", "", 188, 48),
    (
        "send_telegram",
        {"text": "Drafted the winter storage page for you."},
        "denied",
        "missing_scope",
        3,
        47.9,
    ),
    ("add_memory", {"title": "Winter storage season", "text": "November 15 to April 15."}, "ok", "", 83, 24),
    ("get_events", {"since_cursor": "0"}, "ok", "", 29, 2),
]


def _digest(arguments: dict) -> str:
    return hashlib.sha256(json.dumps(arguments, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _token(tenant: Tenant, owner: User, name: str = AGENT, scopes=SCOPES) -> AgentToken:
    live = AgentToken.objects.filter(tenant=tenant, name=name, revoked_at__isnull=True).first()
    if live is not None:
        return live
    # The secret is dropped here: the demo shows the agent's history, not a key anyone holds.
    return agent_token_create(tenant=tenant, name=name, scopes=scopes, actor=owner).token


def _calls(agent: AgentIdentity) -> int:
    if AgentCall.objects.filter(agent_name=agent.name).exists():
        return 0
    now = timezone.now()
    for tool, arguments, outcome, error_code, duration, hours_ago in CALLS:
        call = AgentCall.objects.create(
            token_id=agent.token_id,
            agent_name=agent.name,
            tool=tool,
            args_digest=_digest(arguments),
            duration_ms=duration,
            outcome=outcome,
            error_code=error_code,
        )
        # `created` is set on insert; the demo spreads the calls over the week.
        AgentCall.objects.filter(pk=call.pk).update(created=now - timedelta(hours=hours_ago))
    return len(CALLS)


def _proposal(agent: AgentIdentity) -> Approval | None:
    page = Page.objects.filter(slug=DRAFT_SLUG).first()
    if page is None:
        actor = Actor(type=ContractEvent.Actor.API, label=agent.label)
        data = {
            "slug": DRAFT_SLUG,
            "title": DRAFT_TITLE,
            "body": DRAFT_BODY,
            "seo_description": DRAFT_DESCRIPTION,
        }
        page = page_create(data=data, actor=actor)
    if Approval.objects.filter(kind=Approval.Kind.PAGE_PUBLISH, target_ref=f"page:{page.pk}").exists():
        return None
    return page_publish_propose(page=page, agent=agent)


def _events() -> int:
    """Events for what the other demos made, of the types the outbox has none of yet (the same data
    the services' own events carry)."""
    have = set(DomainEvent.objects.values_list("type", flat=True).distinct())
    emitted = 0
    lead = Lead.objects.order_by("-created", "-pk").first()
    if "lead.created" not in have and lead is not None:
        data = {"lead": lead.pk, "source": lead.source, "service_type": lead.service_type}
        event_emit(type="lead.created", data=data, actor_label="system")
        emitted += 1
    contract = Contract.objects.filter(status=Contract.Status.SIGNED).order_by("-pk").first()
    if "contract.signed" not in have and contract is not None:
        data = {
            "contract": contract.pk,
            "reference": contract.reference,
            "service_type": contract.service_type,
        }
        event_emit(type="contract.signed", data=data, actor_label="system")
        emitted += 1
    waiting = Conversation.objects.filter(needs_reply=True).order_by("-pk").first()
    if "chat.handover" not in have and waiting is not None:
        data = {"conversation": waiting.pk, "lead": waiting.lead_id}
        event_emit(type="chat.handover", data=data, actor_label="chat assistant")
        emitted += 1
    return emitted


def agents_demo_load(*, tenant: Tenant, owner: User) -> int:
    """Load the demo agents into the current (demo) tenant's schema once, then relay the bus messages
    the workspace made. Returns the tool calls added (0 when it was loaded before)."""
    from chat.services.bus import bus_relay
    from chat.workspace_demo import workspace_demo_load

    with transaction.atomic():
        agent = AgentIdentity.of(_token(tenant, owner))
        made = _calls(agent)
        _proposal(agent)
        _events()
        messages = workspace_demo_load(tenant=tenant, owner=owner, make_token=partial(_token, tenant, owner))
    if messages:
        bus_relay()  # Redis is up while the demo loads; a relay that can't reach it leaves them waiting
    return made
