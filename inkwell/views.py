"""Pages of the public host."""

from django.conf import settings
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static

from tenants.models import Plan


def home(request):
    return render(request, "public/home.html")


def pricing(request):
    return render(request, "public/pricing.html", {"plans": Plan.choices, "domain": settings.INKWELL_DOMAIN})


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def favicon(request):
    """Browsers ask every host for /favicon.ico when a page links no icon (the admin, JSON)."""
    return HttpResponsePermanentRedirect(static("inkwell/favicon.svg"))
