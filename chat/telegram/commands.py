"""What the bot says to a linked owner: /status /report /leads /approve /help, and the Approve /
Reject buttons. Each command is a thin adapter over the selectors and services the dashboard uses,
run inside the linked tenant's schema (the caller sets it, see chat.telegram.updates): nothing here
names a tenant's data any other way, so a chat only ever sees the business it is linked to.

Replies are Telegram HTML; every value that came from a person or an agent goes through `esc`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils import timezone

from billing.plans import plan_get
from billing.selectors import subscription_of
from billing.services.subscriptions import past_due_notice
from chat.models import Approval
from chat.selectors_agents import agents_with_current_task
from chat.telegram.format import esc
from dashboard.selectors import latest_leads, overview_kpis
from dashboard.templatetags.dashboard import kpi_change, kpi_value
from marketing.metrics import biggest_movers, last_complete
from marketing.selectors_ingestion import connector_health
from tenants.models import Tenant
from tenants.selectors import tenant_url

LEADS_SHOWN = 10
APPROVALS_SHOWN = 10
MOVERS_SHOWN = 3
PREVIEW_CHARS = 1200

HELP = (
    "<b>What I can do</b>\n"
    "/status — plan, subscription, the latest data fetch of each connector, approvals waiting, "
    "what each agent is doing\n"
    "/report — this week against the week before, and the biggest movers in search\n"
    "/leads — the latest leads\n"
    "/approve — what your agents propose, with Approve and Reject buttons\n"
    "/help — this list"
)
NOT_LINKED = (
    "Hello! This chat isn't linked to a business yet, so I can't tell it anything.\n"
    "An owner links it from the dashboard: <b>Agents → Telegram → Link a chat</b>, then opens the "
    "link in Telegram."
)


@dataclass
class Reply:
    """One message to send: text, and inline buttons if any."""

    text: str
    buttons: list[list[dict]] = field(default_factory=list)

    @property
    def reply_markup(self) -> dict | None:
        return {"inline_keyboard": self.buttons} if self.buttons else None


def _local(tenant: Tenant, when) -> str:
    return timezone.localtime(when, ZoneInfo(tenant.config.timezone)).strftime("%b %-d, %H:%M")


def _brand(tenant: Tenant) -> str:
    return esc(tenant.config.brand_name or tenant.name)


def pending_approvals():
    """Proposals still waiting for an owner (not expired), oldest first."""
    return Approval.objects.filter(status=Approval.Status.PENDING, expires_at__gt=timezone.now()).order_by(
        "created", "pk"
    )


# --- /status -------------------------------------------------------------------------------------


def _plan_lines(tenant: Tenant) -> list[str]:
    plan = plan_get(tenant.plan or "")
    lines = [
        f"Plan: <b>{esc(plan.name)}</b> (${plan.monthly_usd}/month)"
        if plan
        else "Plan: none (set up by Inkwell staff)"
    ]
    sub = subscription_of(tenant)
    if sub is None:
        lines.append("Subscription: none")
    else:
        line = f"Subscription: <b>{esc(sub.get_status_display())}</b>"
        if sub.current_period_end:
            verb = "ends" if sub.cancel_at_period_end else "renews"
            line += f", {verb} {sub.current_period_end:%b %-d, %Y}"
        lines.append(line)
    notice = past_due_notice(tenant=tenant)
    if notice:
        lines.append(
            f"⚠️ Payment overdue: the workspace pauses on {notice['suspend_on']:%b %-d, %Y} unless it is paid."
        )
    return lines


def _connector_line(tenant: Tenant, health) -> str:
    run = health["last_run"]
    if not health["connected"] and run is None:
        return f"• {esc(health['label'])}: not connected"
    if run is None:
        return f"• {esc(health['label'])}: no fetch yet"
    when = _local(tenant, run.finished or run.started or run.created)
    line = f"• {esc(health['label'])}: {esc(run.get_status_display().lower())} {when}"
    if run.status == run.Status.SUCCEEDED:
        line += f" ({run.rows:,} rows)"
    if health["stale"]:
        line += " — out of date"
    if health["state"] == "needs_reconnecting":
        line += " — needs reconnecting"
    return line


def status_reply(*, tenant: Tenant) -> Reply:
    waiting = pending_approvals().count()
    lines = [f"<b>{_brand(tenant)}</b> — status", *_plan_lines(tenant), "", "<b>Data fetched</b>"]
    lines += [_connector_line(tenant, health) for health in connector_health(tenant=tenant)]
    lines += ["", f"Approvals waiting: <b>{waiting}</b>" + (" — /approve" if waiting else "")]
    lines += _agent_lines()
    return Reply("\n".join(lines))


def _agent_lines() -> list[str]:
    """The agents' states (this schema's), the stuck ones named, each with the task it works on (and
    its percent, if reported): one query however many agents there are."""
    agents = list(agents_with_current_task())
    if not agents:
        return []
    lines = ["", "<b>Agents</b>"]
    for agent in agents:
        line = f"• {esc(agent.name)}: {esc(agent.state)}"
        if agent.stuck_flagged_at:
            line += " — stuck"
        if agent.last_tool:
            line += f" (last: {esc(agent.last_tool)})"
        if agent.current_task_id is not None:
            line += f"\n  task: {esc(agent.current_task_title)}"
            if agent.current_task_progress is not None:
                line += f" ({agent.current_task_progress}%)"
        lines.append(line)
    return lines


# --- /report -------------------------------------------------------------------------------------


def _mover_line(row: dict, arrow: str) -> str:
    delta = row["click_change"]
    clicks = f"{row['clicks']:,} click{'' if row['clicks'] == 1 else 's'}"
    return f"{arrow} {esc(row['query'])}: {clicks} ({'+' if delta > 0 else '−'}{abs(delta):,})"


def report_reply(*, tenant: Tenant) -> Reply:
    period = last_complete(tenant=tenant, days=7)
    overview = overview_kpis(tenant=tenant, period=period)
    lines = [
        f"<b>{_brand(tenant)}</b> — week of {period.start:%b %-d}–{period.end:%b %-d}",
        "against the week before",
        "",
    ]
    for card in overview["cards"]:
        kpi = card["kpi"]
        mark = "" if card["good"] is None else (" ✅" if card["good"] else " 🔻")
        lines.append(
            f"{esc(kpi.label)}: <b>{esc(kpi_value(card['value'], kpi.kind))}</b> "
            f"({esc(kpi_change(card['change'], kpi.unit))}){mark}"
        )
    movers = biggest_movers(tenant=tenant, dimension="query", current=period)
    gained, lost = movers["gained_clicks"][:MOVERS_SHOWN], movers["lost_clicks"][:MOVERS_SHOWN]
    lines += ["", "<b>Biggest movers in search</b>"]
    if not gained and not lost:
        lines.append("No query gained or lost clicks this week.")
    lines += [_mover_line(row, "▲") for row in gained]
    lines += [_mover_line(row, "▼") for row in lost]
    lines += ["", f"Dashboard: {esc(tenant_url(tenant, '/dashboard/'))}"]
    return Reply("\n".join(lines))


# --- /leads --------------------------------------------------------------------------------------


def _lead_block(tenant: Tenant, lead) -> str:
    head = f"• <b>{esc(lead.name)}</b> — {esc(lead.get_status_display())}, {esc(lead.get_source_display())}, {_local(tenant, lead.created)}"
    details = []
    if lead.origin or lead.destination:
        details.append(f"{esc(lead.origin or '?')} → {esc(lead.destination or '?')}")
    details += [esc(value) for value in (lead.phone, lead.email) if value]
    return head + ("\n  " + " · ".join(details) if details else "")


def leads_reply(*, tenant: Tenant) -> Reply:
    leads = latest_leads(limit=LEADS_SHOWN)
    if not leads:
        return Reply(f"<b>{_brand(tenant)}</b> has no leads yet.")
    lines = [f"<b>{_brand(tenant)}</b> — the latest {len(leads)} leads", ""]
    lines += [_lead_block(tenant, lead) for lead in leads]
    lines += ["", f"All leads: {esc(tenant_url(tenant, '/leads/'))}"]
    return Reply("\n".join(lines))


# --- /approve ------------------------------------------------------------------------------------


def approval_text(approval: Approval) -> str:
    """An approval as the owner reads it in Telegram: what, by which agent, and the change."""
    lines = [
        f"<b>{esc(approval.summary)}</b>",
        f"Proposed by {esc(approval.agent_name)} ({esc(approval.get_kind_display().lower())}), "
        f"waits until {approval.expires_at:%b %-d}",
    ]
    diff = (approval.preview or {}).get("diff") or (approval.preview or {}).get("after") or ""
    if diff:
        shown = diff if len(diff) <= PREVIEW_CHARS else diff[:PREVIEW_CHARS] + "\n… (more on the dashboard)"
        lines.append(f"<pre>{esc(shown)}</pre>")
    return "\n".join(lines)


def approval_buttons(approval: Approval) -> list[list[dict]]:
    return [
        [
            {"text": "✅ Approve", "callback_data": f"approve:{approval.pk}"},
            {"text": "❌ Reject", "callback_data": f"reject:{approval.pk}"},
        ]
    ]


def approve_replies(*, tenant: Tenant) -> list[Reply]:
    approvals = list(pending_approvals()[: APPROVALS_SHOWN + 1])
    if not approvals:
        return [Reply("Nothing is waiting for your approval.")]
    more = len(approvals) > APPROVALS_SHOWN
    approvals = approvals[:APPROVALS_SHOWN]
    head = f"<b>{len(approvals)}{'+' if more else ''} waiting for your approval</b>"
    if more:
        head += f"\nThe oldest {APPROVALS_SHOWN} are below; all of them: {esc(tenant_url(tenant, '/agents/approvals/'))}"
    return [Reply(head)] + [Reply(approval_text(a), approval_buttons(a)) for a in approvals]
