"""The owner's Google connection pages (dashboard settings → Google), and the public host's OAuth
relay. The flow and why the callback is relayed: marketing/services/google_connect.py."""

from csp.decorators import csp_update
from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketing.forms_google import GoogleSettingsForm
from marketing.services.google_connect import (
    SETTING_KEYS,
    google_connect_complete,
    google_connect_start,
    google_connection,
    google_disconnect,
    google_oauth_configured,
    google_relay_url,
    google_settings_update,
)
from tenants.models import Membership
from tenants.permissions import member_required

SESSION_KEY = "google_oauth"  # the pending flow's state and PKCE verifier, in the tenant host's session
OWNER = Membership.Role.OWNER
# "Connect Google" is a form (POST, CSRF) whose answer redirects to Google's consent page; browsers
# apply the page's form-action to that redirect, so this page alone also allows Google's.
GOOGLE_FORM_ACTION = {"form-action": ["https://accounts.google.com"]}


def _initial(connection) -> dict:
    return {
        f"{state.name}_{key}": state.settings.get(key, "")
        for state in connection.connectors
        for key in SETTING_KEYS[state.name]
    }


@csp_update(GOOGLE_FORM_ACTION)
@require_http_methods(["GET", "POST"])
@member_required(role=OWNER)
def google_settings_view(request):
    connection = google_connection(tenant=request.tenant)
    form = GoogleSettingsForm(request.POST or None, initial=_initial(connection))
    saved = False
    if request.method == "POST" and form.is_valid():
        google_settings_update(tenant=request.tenant, data=form.cleaned_data, actor=request.user)
        connection = google_connection(tenant=request.tenant)
        form = GoogleSettingsForm(initial=_initial(connection))
        saved = True
    context = {
        "form": form,
        "saved": saved,
        "connection": connection,
        "oauth_configured": google_oauth_configured(),
        "ads_token_configured": bool(settings.GOOGLE_ADS_DEVELOPER_TOKEN),
        "just": request.GET.get("done", ""),
    }
    return render(request, "marketing/google_settings.html", context, status=400 if form.errors else 200)


@require_POST
@member_required(role=OWNER)
def google_connect_view(request):
    start = google_connect_start(tenant=request.tenant)
    request.session[SESSION_KEY] = {"state": start.state, "verifier": start.code_verifier}
    return redirect(start.url)


@require_GET
@member_required(role=OWNER)
def google_callback_view(request):
    # Popped before anything is checked: a state works once, whatever the outcome.
    pending = request.session.pop(SESSION_KEY, None) or {}
    google_connect_complete(
        tenant=request.tenant,
        state=request.GET.get("state", ""),
        expected_state=pending.get("state"),
        code_verifier=pending.get("verifier"),
        query=request.GET.dict(),
        actor=request.user,
    )
    return redirect(reverse("google_settings") + "?done=connected")


@require_POST
@member_required(role=OWNER)
def google_disconnect_view(request):
    google_disconnect(tenant=request.tenant, actor=request.user)
    return redirect(reverse("google_settings") + "?done=disconnected")


@require_GET
def google_oauth_relay(request):
    """Public host: Google's one registered redirect URI. Forwards the answer to the tenant the
    signed state names; checks nothing else and stores nothing (the tenant host does both)."""
    return redirect(google_relay_url(state=request.GET.get("state", ""), query=request.GET.dict()))
