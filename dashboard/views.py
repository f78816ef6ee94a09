"""Owner dashboard: the overview (the range in the URL), and settings with the team and API keys.
SEO, campaigns and the calendar have their own views_*.py modules."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.ranges import range_from_request
from dashboard.rendering import chart, render_dashboard
from dashboard.selectors import contract_pipeline, latest_leads, latest_scores, overview_kpis
from inkwell.errors import Conflict, DomainError, RateLimited
from marketing.selectors import NOINDEX_WINDOW_DAYS, noindex_pages_losing_search
from marketing.selectors_ingestion import NOT_CONNECTED, STALE_AFTER, connector_health, connector_names
from marketing.services.ingestion import ingestion_run_now
from tenants.contrast import brand_contrast
from tenants.forms import ApiKeyForm, InviteForm, RoleForm, TenantConfigForm
from tenants.models import Membership
from tenants.permissions import member_required
from tenants.services.apikeys import apikey_create, apikey_revoke, apikeys_of
from tenants.services.config import tenant_config_update
from tenants.services.team import member_invite, member_remove, member_role_set, team_of
from tenants.validators import validate_hex_colour


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
                {"label": "Leads", "data": daily["leads"], "axis": "right", "type": "bar"},
            ],
        ),
        **latest_scores(),
        "leads": latest_leads(),
        "pipeline": contract_pipeline(),
        # the connectors that feed (or fed) the numbers; the rest invite connecting in settings
        "sources": [
            h for h in connector_health(tenant=tenant) if h["state"] != NOT_CONNECTED or h["last_run"]
        ],
        "stale_days": STALE_AFTER.days,
        "noindex_pages": noindex_pages_losing_search(tenant=tenant),
        "noindex_days": NOINDEX_WINDOW_DAYS,
    }
    return render_dashboard(request, "dashboard/overview.html", context)


@require_http_methods(["GET", "POST"])
@member_required(role=Membership.Role.OWNER)
def settings_view(request):
    config = request.tenant.config
    # Before the form: validating a ModelForm writes the posted values onto the instance.
    stored = {"primary": config.primary_color, "accent": config.accent_color}
    form = TenantConfigForm(request.POST or None, request.FILES or None, instance=config)
    saved = False
    if request.method == "POST" and form.is_valid():
        tenant_config_update(config=config, data=form.cleaned_data, actor=request.user)
        saved = True
        form = TenantConfigForm(instance=config)
    status = 400 if form.errors else 200
    # The warnings follow what the form shows: the colours just saved, or those just refused.
    context = {"form": form, "saved": saved, "contrast": _contrast_of(form, **stored)}
    if request.htmx:
        return render(request, "dashboard/settings.html#config-form", context, status=status)
    context |= {**_apikeys_context(request), **_connectors_context(request)}
    return render(request, "dashboard/settings.html", context, status=status)


# --- brand colours: WCAG AA contrast of the pairs the pages use -----------------------------------


def _valid_colour(value, fallback: str) -> str:
    try:
        validate_hex_colour(value)
    except ValidationError:
        return fallback
    return value


def _contrast_of(form, *, primary: str, accent: str) -> list:
    # A refused colour has no contrast to speak of: the stored one is checked instead.
    primary = _valid_colour(form["primary_color"].value(), primary)
    accent = _valid_colour(form["accent_color"].value(), accent)
    return brand_contrast(primary=primary, accent=accent)


@require_GET
@member_required(role=Membership.Role.OWNER)
def contrast_view(request):
    """The contrast warnings for colours being picked, before they are saved (the form asks as the
    colour inputs change)."""
    config = request.tenant.config
    primary = request.GET.get("primary_color", config.primary_color)
    accent = request.GET.get("accent_color", config.accent_color)
    for value in (primary, accent):
        try:
            validate_hex_colour(value)
        except ValidationError as exc:
            context = {"contrast": [], "contrast_error": exc.messages[0]}
            return render(request, "dashboard/settings.html#contrast", context, status=400)
    context = {"contrast": brand_contrast(primary=primary, accent=accent)}
    return render(request, "dashboard/settings.html#contrast", context)


# --- analytics connectors: health and "Run now" ---------------------------------------------------


def _connectors_context(request, **extra) -> dict:
    return {
        "connectors": connector_health(tenant=request.tenant),
        "stale_days": STALE_AFTER.days,
        **extra,
    }


@require_POST
@member_required(role=Membership.Role.OWNER)
def connector_run_now_view(request, connector):
    if connector not in connector_names(tenant=request.tenant):
        raise Http404("No such connector.")
    try:
        run = ingestion_run_now(tenant=request.tenant, connector=connector, actor=request.user)
    except DomainError as exc:
        context = _connectors_context(request, connectors_error=exc.message)
        response = render(request, "dashboard/settings.html#connectors", context, status=exc.status_code)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response
    notice = (
        f"Fetching {run.window_start:%b %-d} to {run.window_end:%b %-d}: the numbers update when it finishes."
    )
    return render(
        request, "dashboard/settings.html#connectors", _connectors_context(request, connectors_notice=notice)
    )


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
