"""Public-host pages: pricing, signup (with its live subdomain check), checkout's return pages, the
offline backend's test checkout, and Stripe's webhook."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import simulate
from billing.forms import SignupForm
from billing.models import Signup
from billing.plans import FEATURE_LABELS, PLANS
from billing.selectors import signup_by_token, subdomain_availability
from billing.services.signup import signup_start
from billing.services.webhooks import WebhookRejected, webhook_receive
from inkwell.errors import error_body
from inkwell.ratelimit import address_bucket, client_address, rate_limit
from tenants.selectors import tenant_url


def pricing(request):
    plans = [
        {"plan": plan, "features": [FEATURE_LABELS[f] for f in FEATURE_LABELS if f in plan.features]}
        for plan in PLANS.values()
    ]
    return render(request, "billing/pricing.html", {"plans": plans, "domain": settings.INKWELL_DOMAIN})


@require_http_methods(["GET", "POST"])
def signup(request):
    """The signup form. Coming back from a canceled checkout (`?resume=<token>`) it shows the values
    given before; sending it opens checkout and redirects there."""
    resume = signup_by_token(request.POST.get("resume") or request.GET.get("resume") or "")
    if resume is not None and resume.status != Signup.Status.PENDING:
        resume = None
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            _limit_checkouts(request)
            data = form.cleaned_data
            try:
                started = signup_start(
                    business_name=data["business_name"], subdomain=data["subdomain"], email=data["email"],
                    phone=data["phone"], plan=data["plan"], resume=resume,
                )  # fmt: skip
            except ValidationError as exc:
                for field, errors in exc.error_dict.items():
                    for error in errors:
                        form.add_error(field, error)
            else:
                return HttpResponseRedirect(started.checkout_url, status=303)
    else:
        initial = {"plan": request.GET.get("plan") if request.GET.get("plan") in PLANS else "seo"}
        if resume is not None:
            initial = {
                "business_name": resume.business_name, "subdomain": resume.subdomain, "email": resume.email,
                "phone": resume.phone, "plan": resume.plan, "resume": resume.token,
            }  # fmt: skip
        form = SignupForm(initial=initial)
    context = {"form": form, "domain": settings.INKWELL_DOMAIN, "canceled": resume is not None}
    return render(request, "billing/signup.html", context, status=400 if form.errors else 200)


def _limit_checkouts(request) -> None:
    ip = client_address(request)
    if ip:
        rate_limit(
            scope="signup", key=address_bucket(ip), limit=settings.BILLING_SIGNUPS_PER_HOUR, window=3600,
            message="Too many signups from your network. Try again in an hour, or write to us.",
        )  # fmt: skip


@require_GET
def subdomain_check(request):
    """The live availability check (HTMX), the same rule signup applies before payment."""
    value = request.GET.get("subdomain", "")
    if not value.strip():
        return HttpResponse("")
    availability = subdomain_availability(
        subdomain=value, signup=signup_by_token(request.GET.get("resume", ""))
    )
    return render(
        request,
        "billing/signup.html#check",
        {"availability": availability, "domain": settings.INKWELL_DOMAIN},
    )


def _signup_or_404(token: str) -> Signup:
    found = signup_by_token(token)
    if found is None:
        raise Http404("No such signup.")
    return found


@require_GET
def signup_done(request, token):
    """Checkout's success page: says where setup is, and polls (HTMX) until the workspace is ready."""
    found = _signup_or_404(token)
    template = "billing/signup_done.html#status" if request.htmx else "billing/signup_done.html"
    url = tenant_url(found.tenant, "/sign-in/") if found.tenant_id else ""
    return render(request, template, {"signup": found, "signin_url": url})


@require_http_methods(["GET", "POST"])
def test_checkout(request, token):
    """The offline backend's checkout, clearly a test: Pay sends the signed events Stripe would send."""
    if settings.BILLING_BACKEND != "local":
        raise Http404("Checkout is at Stripe.")
    found = _signup_or_404(token)
    if request.method == "POST" and found.status == Signup.Status.PENDING:
        simulate.checkout_complete(signup=found, deliver=_deliver_in_process)
        return HttpResponseRedirect(f"/signup/done/{found.token}/", status=303)
    if found.status != Signup.Status.PENDING:
        return HttpResponseRedirect(f"/signup/done/{found.token}/", status=303)
    plan = PLANS[found.plan]
    return render(request, "billing/test_checkout.html", {"signup": found, "plan": plan})


def _deliver_in_process(body: bytes, signature: str) -> None:
    webhook_receive(payload=body, signature=signature)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's events: verified on the raw body, stored, 200 at once; processed by the worker."""
    try:
        event, created = webhook_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
    except WebhookRejected as exc:
        return JsonResponse(error_body(exc.code, exc.message), status=400)
    return HttpResponse("ok" if created else "duplicate", content_type="text/plain")
