"""Tenant-host pages for signing in and out, the site home and the tenant's theme."""

import posixpath

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import login, logout
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST
from django.views.static import serve

from inkwell.ratelimit import client_address
from tenants.contrast import brand_text_colours
from tenants.features import area_is_on
from tenants.forms import CodeForm, EmailForm, PhoneForm
from tenants.middleware import SESSION_TENANT_KEY
from tenants.permissions import member_required
from tenants.services import signin

CHALLENGE_KEY = "signin_challenge"
NEXT_KEY = "signin_next"


def _safe_next(request, target: str | None) -> str | None:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _requested_next(request) -> str:
    """Where the person was going. The sign-in forms carry it in a hidden field, so looking at a
    sign-in page stores nothing: an anonymous visit must not cost a session row."""
    return _safe_next(request, request.POST.get("next") or request.GET.get("next")) or ""


def _remember_next(request, target: str) -> None:
    """Once a link or code is on its way, keep the destination across the trip to the inbox or SMS."""
    if target:
        request.session[NEXT_KEY] = target


def _next_url(request) -> str:
    landing = "/dashboard/" if area_is_on(request.tenant, "/dashboard/") else "/"
    return _safe_next(request, request.session.get(NEXT_KEY)) or landing


def _sign_in(request, user) -> str:
    """Sign `user` in to this tenant and return where to go next."""
    target = _next_url(request)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # rotates the session key
    request.session[SESSION_TENANT_KEY] = request.tenant.schema_name
    request.session.pop(NEXT_KEY, None)
    return target


@cache_control(max_age=300)
def theme_css(request):
    # Text on a brand colour is white (top bar) or dark (buttons) unless that fails WCAG AA on the
    # owner's colour; then black or white, whichever is readable (tenants/contrast.py).
    config = request.tenant.config
    colours = brand_text_colours(primary=config.primary_color, accent=config.accent_color)
    return render(request, "tenants/theme.css", colours, content_type="text/css")


def media(request, path):
    """Uploaded files from the local media folder. A tenant host serves only that tenant's own files;
    the public host serves tenants' files to staff (admin previews). Deployments that keep media in object
    storage point MEDIA_URL there and never link these URLs."""
    path = posixpath.normpath(path)  # what serve() will open: "tenants/1/../2/x" is "tenants/2/x"
    if request.tenant.is_public:
        # Whom the admin would let in (its second factor included), not merely a staff account; and
        # only tenants' uploads (logos): signed contracts (contracts/<schema>/) hold customers' data
        # and are served only through their own views, never as plain media.
        allowed = path.startswith("tenants/") and admin.site.has_permission(request)
    else:
        allowed = path.startswith(f"tenants/{request.tenant.pk}/")
    if not allowed or path.startswith(("..", "/")):
        raise Http404("No such file.")
    return serve(request, path, document_root=settings.MEDIA_ROOT)


@require_http_methods(["GET", "POST"])
def signin_link_request_view(request):
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        signin.signin_link_request(
            tenant=request.tenant, email=form.cleaned_data["email"], ip=client_address(request)
        )
        _remember_next(request, _requested_next(request))
        return render(request, "tenants/signin_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "tenants/signin.html", {"form": form, "next": _requested_next(request)},
                  status=400 if form.errors else 200)  # fmt: skip


@require_http_methods(["GET", "POST"])
def signin_link_view(request, token):
    """GET shows a button; only the POST uses the link, so mail scanners that fetch links can't burn it."""
    if request.method == "GET":
        if not signin.signin_link_peek(tenant=request.tenant, token=token):
            return render(
                request, "error.html", {"message": signin.LINK_FAILED, "retry_url": "/sign-in/"}, status=400
            )
        return render(request, "tenants/signin_confirm.html")
    user = signin.signin_link_consume(tenant=request.tenant, token=token)
    return redirect(_sign_in(request, user))


@require_http_methods(["GET", "POST"])
def signin_code_request_view(request):
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = signin.signin_code_request(
                tenant=request.tenant, phone=form.cleaned_data["phone"], ip=client_address(request)
            )
        except ValidationError as exc:
            form.add_error("phone", exc)
        else:
            request.session[CHALLENGE_KEY] = challenge
            _remember_next(request, _requested_next(request))
            return redirect("signin_code_verify")
    return render(request, "tenants/signin_code.html", {"form": form, "next": _requested_next(request)},
                  status=400 if form.errors else 200)  # fmt: skip


@require_http_methods(["GET", "POST"])
def signin_code_verify_view(request):
    form = CodeForm(request.POST or None)
    challenge = request.session.get(CHALLENGE_KEY)
    if not challenge:
        return redirect("signin_code")
    if request.method == "POST" and form.is_valid():
        try:
            user = signin.signin_code_verify(
                tenant=request.tenant,
                challenge=challenge,
                code=form.cleaned_data["code"],
                ip=client_address(request),
            )
        except ValidationError as exc:
            form.add_error("code", exc)
        except signin.SignInFailed as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(CHALLENGE_KEY, None)
            return redirect(_sign_in(request, user))
    return render(
        request, "tenants/signin_code_verify.html", {"form": form}, status=400 if form.errors else 200
    )


@require_POST
def signout_view(request):
    logout(request)
    return redirect("signin")


@require_POST
@member_required
def signout_everywhere_view(request):
    signin.signout_everywhere(user=request.user, actor=request.user, tenant=request.tenant)
    logout(request)
    return redirect("signin")
