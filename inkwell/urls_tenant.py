"""URLs of every tenant host (<subdomain>.<domain>)."""

from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path

from contracts import api_tracking, views_tracking
from inkwell import openapi, views
from marketing import api_campaigns_urls, api_metrics_urls, site
from marketing import views as marketing_views
from tenants import views as tenant_views

urlpatterns = [
    # The tenant's website: landing pages (the catch-all at the end), sitemap and robots.txt.
    path("", site.site_page, name="site_home"),
    path("sitemap.xml", sitemap, {"sitemaps": {"pages": site.PageSitemap}}, name="sitemap"),
    path("robots.txt", site.robots_txt, name="robots_txt"),
    path("theme.css", tenant_views.theme_css, name="theme_css"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("sign-in/", include("tenants.urls")),
    # connecting Google (Search Console, GA4, Ads): owner settings page and the OAuth flow
    path("dashboard/settings/google/", include("marketing.google_urls")),
    path("dashboard/memory/", include("chat.urls")),
    # chat: the owner's inbox, and the widget's endpoints visitors call (area "chat": gated by the
    # feature toggle and the plan); the daily questionnaire's owner page (area "questionnaire")
    path("chat/inbox/", include("chat.urls_inbox")),
    path("chat/", include("chat.urls_widget")),
    path("questionnaire/", include("chat.urls_questionnaire")),
    # agent access (area "agents": the plan and the owner's toggle): agent tokens and their calls,
    # the approvals queue, linking Telegram; the MCP endpoint itself is /mcp (inkwell/asgi.py)
    path("agents/approvals/", include("chat.urls_approvals")),
    path("agents/telegram/", include("chat.urls_telegram")),
    path("agents/tasks/", include("chat.urls_tasks")),
    path("agents/bus/", include("chat.urls_bus")),
    path("agents/", include("chat.urls_agents")),
    path("dashboard/", include("dashboard.urls")),
    path("campaigns/", include("dashboard.urls_campaigns")),
    # plan, subscription and Stripe's billing portal (owners)
    path("billing/", include("billing.urls")),
    # contracts owner pages and API (before the catch-all api/v1/ include)
    path("contracts/", include("contracts.urls")),
    path("api/v1/contracts/", include("contracts.api_urls")),
    # leads: owner pages and API (before the catch-all api/v1/ include)
    path("leads/", include("marketing.urls")),
    path("pages/", include("marketing.urls_pages")),
    path("api/v1/leads/", include("marketing.api_urls")),
    # marketing data: metrics, search queries and pages, ingestion runs (before the catch-all)
    path("api/v1/metrics/", include(api_metrics_urls.metrics_urlpatterns)),
    path("api/v1/seo/", include(api_metrics_urls.seo_urlpatterns)),
    path("api/v1/ingestion/", include(api_metrics_urls.ingestion_urlpatterns)),
    # campaigns (plan-gated), the seasonal calendar, the website's pages and the team
    path("api/v1/campaigns/", include(api_campaigns_urls.campaigns_urlpatterns)),
    path("api/v1/calendar/", include(api_campaigns_urls.calendar_urlpatterns)),
    path("api/v1/pages/", include("marketing.api_pages_urls")),
    path("api/v1/team/", include("tenants.api_team_urls")),
    path("api/v1/memory/", include("chat.api_urls")),
    path("api/v1/questionnaire/", include("chat.api_questionnaire_urls")),
    # the chat inbox's conversations (area "chat", like /chat/inbox/)
    path("api/v1/chat/", include("chat.api_inbox_urls")),
    # agent access: the approvals queue, and the tenant's domain-event stream (cursor reads)
    path("api/v1/agents/approvals/", include("chat.api_approvals_urls")),
    path("api/v1/events/", include("chat.api_events_urls")),
    # the public quote form on the home page posts here
    path("quote/", marketing_views.quote_submit_view, name="quote_submit"),
    path("api/v1/", include("dashboard.api_urls")),
    # the API's OpenAPI schema (anyone: it holds no tenant data) and its docs (members, API keys)
    path("api/schema/", openapi.SchemaView.as_view(), name="api_schema"),
    path("api/docs/", openapi.docs_view, name="api_docs"),
    # Contract portal, customer side: the customer's personal link.
    path("c/", include("contracts.urls_customer")),
    re_path(r"^media/(?P<path>.+)$", tenant_views.media, name="media"),
    # moving a shipment's milestones, from the contract page and the API.
    path(
        "contracts/<int:pk>/milestones/",
        views_tracking.contract_milestone_post,
        name="contract_milestone_post",
    ),
    path(
        "api/v1/contracts/<int:pk>/milestones/",
        api_tracking.ContractMilestonesApi.as_view(),
        name="api_contract_milestones",
    ),
    # Last: any other one-segment address is a landing page (slugs can't take the ones above).
    path("<slug:slug>/", site.site_page, name="site_page"),
]

handler404 = "inkwell.views.not_found"
