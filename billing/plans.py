"""The three plans and what each one includes: the one place the plan → features map lives.

A feature named like a TenantConfig toggle (`feature_<name>`) is switched on when a tenant gets a plan
that includes it and off when it loses it (see `plan_features_apply`); the gate (billing.gating)
refuses areas the plan does not include, whatever the toggle says. Other names ("seo", "leads",
"agents") are checked with `plan_allows` by the code that offers them (later: agent tools).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from tenants.models import Plan as PlanCode


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    monthly_usd: int
    features: frozenset[str]
    blurb: str

    @property
    def price_id(self) -> str:
        """The Stripe Price this plan is sold at (STRIPE_PRICE_<CODE> in the environment)."""
        return settings.STRIPE_PRICE_IDS[self.code]


_SEO = frozenset({"dashboard", "seo", "leads", "landing_pages", "contracts"})
_SEO_ADS = _SEO | {"campaigns"}
_FULL = _SEO_ADS | {"chat", "questionnaire", "agents"}

PLANS: dict[str, Plan] = {
    PlanCode.SEO: Plan(
        PlanCode.SEO, "SEO", 500, _SEO, "Dashboard, SEO reports, leads, landing pages and contracts."
    ),
    PlanCode.SEO_ADS: Plan(
        PlanCode.SEO_ADS, "SEO + Ads", 1000, _SEO_ADS, "Everything in SEO, plus Google Ads campaigns."
    ),
    PlanCode.FULL: Plan(
        PlanCode.FULL,
        "Full",
        1500,
        _FULL,
        "Everything in SEO + Ads, plus the chat assistant, the daily questionnaire and agent access.",
    ),  # fmt: skip
}

# Human names of the features, for the pricing page and the upgrade prompt.
FEATURE_LABELS = {
    "dashboard": "Owner dashboard",
    "seo": "SEO reports",
    "leads": "Leads",
    "landing_pages": "Landing pages",
    "contracts": "Contracts",
    "campaigns": "Ads campaigns",
    "chat": "Chat assistant",
    "questionnaire": "Daily questionnaire",
    "agents": "Agent access",
}


def plan_get(code: str) -> Plan | None:
    return PLANS.get(code)


def plan_for_price(price_id: str) -> Plan | None:
    return next((plan for plan in PLANS.values() if plan.price_id == price_id), None)


def plan_allows(*, tenant, feature: str) -> bool:
    """Whether `tenant`'s plan includes `feature`. A tenant without a plan (made by staff or a
    command, not sold through billing) is not limited by one."""
    plan = plan_get(tenant.plan or "")
    return plan is None or feature in plan.features


def cheapest_plan_with(feature: str) -> Plan | None:
    return min(
        (p for p in PLANS.values() if feature in p.features), key=lambda p: p.monthly_usd, default=None
    )


def toggles_for(plan: Plan) -> dict[str, bool]:
    """The TenantConfig toggles a plan sets: on for the features it includes, off for the others."""
    from tenants.features import TOGGLES

    return {toggle: toggle.removeprefix("feature_") in plan.features for toggle in TOGGLES}
