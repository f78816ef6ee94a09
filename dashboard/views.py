"""Owner dashboard: the overview (the range in the URL), and settings with the team and API keys.
SEO, campaigns and the calendar have their own views_*.py modules."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_POST

from dashboard.ranges import range_from_request
from dashboard.rendering import chart, render_dashboard
from dashboard.selectors import contract_pipeline, latest_leads, latest_scores, overview_kpis
from inkwell.errors import Conflict
from marketing.selectors import NOINDEX_WINDOW_DAYS, noindex_pages_losing_search
from tenants.forms import ApiKeyForm, InviteForm, RoleForm, TenantConfigForm
from tenants.models import Membership
from tenants.permissions import member_required
from tenants.services.apikeys import apikey_create, apikey_revoke, apikeys_of
from tenants.services.config import tenant_config_update
from tenants.services.team import member_invite, member_remove, member_role_set, team_of


@member_required
def overview(request):
    tenant = request.tenant
    chosen = range_from_request(request)
    kpis = overview_kpis(tenant=tenant, period=chosen.period, compare=chosen.compare)
    daily = kpis["daily"]
    context = {
        "range": chosen,
        "cards": kpis["cards"],
        "trend_chart": chart(
            "line",
            kpis["days"],
            [
                {"label": "Search clicks", "data": daily["clicks"]},
                {"label": "Sessions", "data": daily["sessions"]},
                {"label": "Leads", "data": daily["leads"], "axis": "right"},
            ],
        ),
        **latest_scores(),
        "leads": latest_leads(),
        "pipeline": contract_pipeline(),
        "noindex_pages": noindex_pages_losing_search(tenant=tenant),
        "noindex_days": NOINDEX_WINDOW_DAYS,
    }
    return render_dashboard(request, "dashboard/overview.html", context)


@require_http_methods(["GET", "POST"])
@member_required(role=Membership.Role.OWNER)
def settings_view(request):
    config = request.tenant.config
    form = TenantConfigForm(request.POST or None, request.FILES or None, instance=config)
    saved = False
    if request.method == "POST" and form.is_valid():
        tenant_config_update(config=config, data=form.cleaned_data, actor=request.user)
        saved = True
        form = TenantConfigForm(instance=config)
    template = "dashboard/settings.html#config-form" if request.htmx else "dashboard/settings.html"
    status = 400 if form.errors else 200
    context = {"form": form, "saved": saved, **_apikeys_context(request)}
    return render(request, template, context, status=status)


def _apikeys_context(request, **extra) -> dict:
    return {
        "api_keys": apikeys_of(tenant=request.tenant),
        "apikey_form": ApiKeyForm(),
        **_team_context(request),
        **extra,
    }


# --- the team: invite, change role, remove (owners only; the last owner stays) --------------------


def _team_context(request, **extra) -> dict:
    return {"team": team_of(tenant=request.tenant), "invite_form": InviteForm(), **extra}


def _team(request, status: int = 200, **extra):
    return render(request, "dashboard/settings.html#team", _team_context(request, **extra), status=status)


def _membership_or_404(request, pk) -> Membership:
    # Only this tenant's people: an id from another business is a 404, even for an owner of both.
    return get_object_or_404(Membership.objects.select_related("user"), pk=pk, tenant=request.tenant)


@require_POST
@member_required(role=Membership.Role.OWNER)
def team_invite_view(request):
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _team(request, status=400, invite_form=form)
    try:
        membership = member_invite(tenant=request.tenant, actor=request.user, **form.cleaned_data)
    except Conflict as exc:
        form.add_error("email", exc.message)
        return _team(request, status=409, invite_form=form)
    return _team(request, team_notice=f"Invited {membership.user.email}: a sign-in link is on its way.")


@require_POST
@member_required(role=Membership.Role.OWNER)
def team_role_view(request, pk):
    membership = _membership_or_404(request, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _team(request, status=400, team_error="Choose owner or member.")
    try:
        member_role_set(membership=membership, role=form.cleaned_data["role"], actor=request.user)
    except Conflict as exc:
        return _team(request, status=409, team_error=exc.message)
    return _team(request, team_notice=f"{membership.user.email} is now {form.cleaned_data['role']}.")


@require_POST
@member_required(role=Membership.Role.OWNER)
def team_remove_view(request, pk):
    membership = _membership_or_404(request, pk)
    try:
        member_remove(membership=membership, actor=request.user)
    except Conflict as exc:
        return _team(request, status=409, team_error=exc.message)
    return _team(request, team_notice=f"{membership.user.email} is no longer in the team.")


@require_POST
@member_required(role=Membership.Role.OWNER)
def apikey_create_view(request):
    """Make a key and show it once, in this answer only."""
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        context = _apikeys_context(request, apikey_form=form)
        return render(request, "dashboard/settings.html#api-keys", context, status=400)
    new = apikey_create(tenant=request.tenant, label=form.cleaned_data["label"], actor=request.user)
    return render(request, "dashboard/settings.html#api-keys", _apikeys_context(request, new_key=new))


@require_POST
@member_required(role=Membership.Role.OWNER)
def apikey_revoke_view(request, pk):
    api_key = get_object_or_404(apikeys_of(tenant=request.tenant), pk=pk)
    apikey_revoke(api_key=api_key, actor=request.user)
    return render(request, "dashboard/settings.html#api-keys", _apikeys_context(request, revoked=api_key))
