"""The MCP tools: each a thin adapter over the service or selector a person's page or the API uses.

Every tool is a sync function (the ORM is not async-safe; calls.py runs each call on a thread of its
own with the tenant's schema set). Its typed parameters are the input schema the agent sees; its
docstring is the description. `current()` gives the tenant and the calling agent's identity, which
every write records.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from pydantic import Field

from billing.error_codes import BillingErrorCode
from billing.plans import PLANS, plan_get
from billing.selectors import subscription_of
from chat.mcp.calls import agent_tool, current
from chat.models import MemoryEntry
from chat.selectors import memory_entries, memory_search
from chat.selectors_events import MAX_LIMIT as EVENTS_MAX_LIMIT
from chat.selectors_events import events_read
from chat.services.approvals import memory_change_propose, page_publish_propose
from chat.services.memory import memory_add
from chat.telegram.send import telegram_owner_message
from dashboard.selectors import site_info as site_info_selector
from inkwell.errors import DomainError
from marketing.api_metrics import RangeSerializer, summary_body
from marketing.metrics import ORDERINGS, Period, biggest_movers, local_bounds, search_dimension_table
from marketing.models import HOME_SLUG, Lead, Page
from marketing.selectors import lead_list
from marketing.services.ingestion import tenant_local_today
from marketing.services.pages import page_create, page_publish, page_update
from tenants.selectors import tenant_url

Day = Annotated[date | None, Field(description="YYYY-MM-DD, in the business's time zone.")]


def _period(start: date | None, end: date | None) -> Period | None:
    """The range as the metrics API reads it (same defaults and limits), or None for the default."""
    if start is None and end is None:
        return None
    data = {k: v.isoformat() for k, v in (("start", start), ("end", end)) if v is not None}
    serializer = RangeSerializer(data=data, context={"tenant": current().tenant})
    if not serializer.is_valid():
        raise ValidationError(
            {
                name: [ValidationError(str(m), code=getattr(m, "code", "invalid")) for m in messages]
                for name, messages in serializer.errors.items()
            }
        )
    return serializer.validated_data["period"]


# --- read -------------------------------------------------------------------------------------------


@agent_tool(scopes=("read",), title="Business at a glance")
def site_info() -> dict[str, Any]:
    """The business: name, plan, domains, which areas are on, and each data connector's health
    (state, last successful import, whether it is stale or failed)."""
    return site_info_selector(tenant=current().tenant)


@agent_tool(scopes=("read",), title="Dashboard KPIs")
def get_dashboard(start: Day = None, end: Day = None) -> dict[str, Any]:
    """The overview KPIs (search clicks, impressions, CTR, position, sessions, leads, …) with their
    change: week over week and 28 days over 28 days by default, or start–end against the same number
    of days before it; the latest weekly scores per area with reasons; the biggest query movers."""
    return summary_body(tenant=current().tenant, period=_period(start, end))


@agent_tool(scopes=("read",), title="SEO: top queries or pages and movers")
def get_seo_data(
    dimension: Annotated[Literal["query", "page"], Field(description="Search queries or pages.")] = "query",
    start: Day = None,
    end: Day = None,
    order: Annotated[Literal[tuple(ORDERINGS)], Field(description="How to rank the rows.")] = "clicks",
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Top search queries or pages for a range (default: the last 28 complete days) with clicks,
    impressions, CTR and position now and in the period before, and the biggest movers (gained and
    lost clicks, rose and fell in position)."""
    tenant = current().tenant
    period = _period(start, end)
    if period is None:
        yesterday = tenant_local_today(tenant) - timedelta(days=1)
        period = Period(yesterday - timedelta(days=27), yesterday)
    total, rows = search_dimension_table(dimension=dimension, period=period, order=order, limit=limit)
    return {
        **period.as_dict(),
        "previous": period.before().as_dict(),
        "dimension": dimension,
        "count": total,
        "rows": rows,
        "movers": biggest_movers(tenant=tenant, dimension=dimension, current=period),
    }


LEAD_FIELDS = (
    "id", "name", "email", "phone", "status", "source", "service_type", "origin", "destination",
    "preferred_date", "vehicle", "message", "utm_source", "utm_campaign", "landing_page", "created",
)  # fmt: skip


@agent_tool(scopes=("read",), title="Recent leads")
def get_leads(
    status: Literal[tuple(Lead.Status.values)] | None = None,
    source: Literal[tuple(Lead.Source.values)] | None = None,
    search: Annotated[
        str, Field(max_length=100, description="In name, email, phone, origin, destination.")
    ] = "",
    days: Annotated[int | None, Field(ge=1, le=731, description="Only leads of the last N days.")] = None,
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """The newest leads (quote requests), newest first, optionally filtered by status, source, a
    search and the last N days; with the total matching."""
    tenant = current().tenant
    between = None
    if days is not None:
        today = tenant_local_today(tenant)
        between = local_bounds(tenant, Period(today - timedelta(days=days - 1), today))
    leads = lead_list(
        search=search.strip(), status=status or "", source=source or "", created_between=between
    )
    rows = list(leads.order_by("-created", "-pk").values(*LEAD_FIELDS)[:limit])
    return {"count": leads.count(), "leads": rows}


@agent_tool(scopes=("read",), title="Subscription")
def subscription_status() -> dict[str, Any]:
    """The business's plan and subscription: status, period end, whether it cancels at the end,
    and when an overdue payment would suspend it."""
    tenant = current().tenant
    plan = plan_get(tenant.plan or "")
    sub = subscription_of(tenant)
    return {
        "plan": {"code": plan.code, "name": plan.name, "monthly_usd": plan.monthly_usd} if plan else None,
        "subscription": {
            "status": sub.status,
            "current_period_end": sub.current_period_end,
            "cancel_at_period_end": sub.cancel_at_period_end,
            "past_due_since": sub.past_due_since,
        }
        if sub
        else None,
    }


@agent_tool(scopes=("read",), title="Domain events")
def get_events(
    cursor: Annotated[
        str | None,
        Field(max_length=45, description="The next_cursor of the last call; none: from the oldest."),
    ] = None,
    limit: Annotated[int, Field(ge=1, le=EVENTS_MAX_LIMIT)] = 100,
) -> dict[str, Any]:
    """Events since `cursor`, oldest first (lead.created, contract.signed, contract.milestone,
    approval.requested, chat.handover, ingestion.finished), and the cursor to pass next time. An
    event is never given twice to a reader that passes the cursor back."""
    events, next_cursor = events_read(cursor=cursor, limit=limit)
    return {"events": events, "next_cursor": next_cursor}


# --- write ------------------------------------------------------------------------------------------


@agent_tool(scopes=("publish", "write_content"), title="Publish a landing page", read_only=False)
def publish_content(
    slug: Annotated[
        str,
        Field(
            min_length=1,
            max_length=80,
            pattern=r"^[-a-z0-9_]+$",
            description="The address: 'moving' is /moving/, 'home' is /.",
        ),
    ],
    title: Annotated[str, Field(min_length=1, max_length=200)],
    markdown: Annotated[str, Field(max_length=100_000, description="The page's text in Markdown.")],
    seo_title: Annotated[str | None, Field(max_length=70)] = None,
    seo_description: Annotated[str | None, Field(max_length=300)] = None,
    publish: Annotated[bool, Field(description="False: save a draft only.")] = True,
) -> dict[str, Any]:
    """Create or update the landing page at `slug` from Markdown and publish it. Without the publish
    scope the page is saved as a draft and the owner is asked to approve publishing it."""
    call = current()
    data = {"title": title, "body": markdown}
    data |= {
        k: v for k, v in (("seo_title", seo_title), ("seo_description", seo_description)) if v is not None
    }
    with transaction.atomic():
        page = Page.objects.filter(slug=slug).first()
        created = page is None
        if created:
            page = page_create(data={**data, "slug": slug}, actor=call.actor)
        else:
            page = page_update(page=page, data=data, actor=call.actor)
        answer = {
            "page": page.pk,
            "slug": page.slug,
            "created": created,
            "url": tenant_url(call.tenant, "/" if page.slug == HOME_SLUG else f"/{page.slug}/"),
        }
        if not publish:
            return answer | {"status": "draft"}
        if call.has_scope("publish"):
            revision = page_publish(page=page, actor=call.actor)
            return answer | {"status": "published", "revision": revision.number}
        approval = page_publish_propose(page=page, agent=call.agent)
    return answer | {"status": "pending_approval", "approval": approval.pk}


@agent_tool(scopes=("billing",), title="Upgrade link", read_only=False)
def create_checkout(plan: Literal[tuple(PLANS)]) -> dict[str, Any]:
    """A link where the owner changes the business's plan to `plan`: the business's billing page,
    where the owner, signed in, opens the billing portal to confirm and pay. The agent never buys
    anything itself, and never holds a billing-portal session (whoever opens one can cancel the
    subscription or change the card, which is the owner's alone)."""
    tenant = current().tenant
    wanted = PLANS[plan]
    if tenant.plan == wanted.code:
        raise DomainError(f"The business is already on {wanted.name}.", code="already_on_plan")
    sub = subscription_of(tenant)
    if sub is None or not sub.customer_id:
        raise DomainError(
            "This business has no subscription to change; the owner can write to Inkwell support.",
            code=BillingErrorCode.NO_SUBSCRIPTION,
        )
    url = tenant_url(tenant, "/billing/")
    return {"plan": wanted.code, "name": wanted.name, "monthly_usd": wanted.monthly_usd, "url": url}


@agent_tool(scopes=("notify",), title="Message the owner on Telegram", read_only=False)
def send_telegram(text: Annotated[str, Field(min_length=1, max_length=2000)]) -> dict[str, Any]:
    """Send the owner(s) a Telegram message, signed with this agent's name (rate-limited per hour)."""
    call = current()
    return {"sent_to": telegram_owner_message(tenant=call.tenant, text=text.strip(), agent=call.agent)}


# --- memory -----------------------------------------------------------------------------------------

# Checkpoints are the owner's to search and each agent's own to restore (checkpoint_restore), never
# another agent's to find.
SOURCES = tuple(s for s in MemoryEntry.Source.values if s != MemoryEntry.Source.CHECKPOINT)


@agent_tool(scopes=("memory",), title="Search the business memory")
def search_memory(
    query: Annotated[str, Field(min_length=1, max_length=500)],
    limit: Annotated[int, Field(ge=1, le=50)] = 10,
    sources: Annotated[list[Literal[SOURCES]] | None, Field(max_length=len(SOURCES))] = None,
) -> dict[str, Any]:
    """The memory entries (FAQ answers, notes, questionnaire replies, agents' notes) that best answer
    `query`, best first, with how much of the query each covers (confidence 0–1)."""
    results = memory_search(query=query, limit=limit, sources=sources or SOURCES)
    return {
        "results": [
            {
                "id": entry.pk,
                "title": entry.title,
                "text": entry.text,
                "source": entry.source,
                "tags": entry.tags,
                "confidence": round(entry.confidence, 3),
                "updated": entry.updated,
            }
            for entry, _score in results
        ]
    }


@agent_tool(scopes=("memory",), title="Add to the business memory", read_only=False)
def add_memory(
    text: Annotated[str, Field(min_length=1, max_length=4000)],
    title: Annotated[str, Field(max_length=300, description="A question, for an FAQ-like entry.")] = "",
    tags: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=20)] = [],  # noqa: B006
    replaces: Annotated[
        int | None, Field(ge=1, description="An entry's id: ask the owner to change it to this instead.")
    ] = None,
) -> dict[str, Any]:
    """Remember a fact as this agent (the same text again merges into the existing entry). With
    `replaces`, the change to that entry waits for the owner's approval: entries are never changed
    directly."""
    call = current()
    if replaces is not None:
        entry = memory_entries().filter(pk=replaces).first()  # never an agent's checkpoint
        if entry is None:
            raise DomainError("No memory entry has that id.", code="memory_entry_not_found")
        approval = memory_change_propose(entry=entry, title=title, text=text, agent=call.agent)
        return {"status": "pending_approval", "approval": approval.pk, "entry": entry.pk}
    entry, created = memory_add(
        text=text, title=title, tags=tags, source="agent", actor_label=call.agent.label
    )
    return {"status": "saved", "entry": entry.pk, "created": created}
